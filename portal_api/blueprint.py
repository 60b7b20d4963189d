"""The ``/api/v1`` blueprint: per-client rate limit and JSON errors for every view."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_limiter import Limiter, RateLimitExceeded

from booking_core.base import DomainError
from helpline.app import current_helpline
from helpline.ratelimit import retry_after
from portal_api.errors import ApiError, api_error_response, domain_error_response, error_response

api = Blueprint("api", __name__, url_prefix="/api/v1")

# Endpoints a client may fetch without counting against its limit.
UNMETERED = {"api.openapi"}


def meter_clients(limiter: Limiter, per_minute: int) -> None:
    """One count per client address (``helpline.ratelimit.client_address``) for all of
    ``/api/v1`` together: ``per_minute`` requests a minute, whichever endpoints."""
    limiter.shared_limit(
        f"{per_minute} per minute", scope="api",
        # CORS preflights are the browser's, not the client's, requests.
        exempt_when=lambda: request.endpoint in UNMETERED or request.method == "OPTIONS",
    )(api)


@api.errorhandler(RateLimitExceeded)
def _rate_limited(exc: RateLimitExceeded) -> Response:
    wait = retry_after(current_helpline().limiter)
    return error_response(
        429, "rate_limited", "too many requests; slow down",
        {"limit_per_minute": exc.limit.limit.amount}, {"Retry-After": str(wait)},
    )


@api.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return api_error_response(exc)


@api.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    return domain_error_response(exc)
