"""The ``/api/v1`` blueprint: per-client rate limit and JSON errors for every view."""

from __future__ import annotations

from flask import Blueprint, Response, request

from booking_core.base import DomainError
from helpline.app import current_helpline
from portal_api.errors import ApiError, api_error_response, domain_error_response, error_response

api = Blueprint("api", __name__, url_prefix="/api/v1")

# Endpoints a client may fetch without counting against its limit.
UNMETERED = {"api.openapi"}


def client_key() -> str:
    """Who counts as one client: the connecting address, or behind ``TRUSTED_PROXIES``
    proxies the address the outermost of them saw (``ProxyFix`` in ``create_app``)."""
    return request.remote_addr or "unknown"


@api.before_request
def _rate_limit() -> Response | None:
    if request.endpoint in UNMETERED:
        return None
    helpline = current_helpline()
    verdict = helpline.limiter.hit(
        "api", client_key(), helpline.settings.api_rate_limit_per_minute, 60
    )
    if verdict.allowed:
        return None
    return error_response(
        429, "rate_limited", "too many requests; slow down",
        {"limit_per_minute": verdict.limit}, {"Retry-After": str(verdict.retry_after)},
    )


@api.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return api_error_response(exc)


@api.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    return domain_error_response(exc)
