"""How the API says no: always ``{"error": {"code", "message"}}`` with the right 4xx.

Domain errors carry a stable ``code``; the HTTP status follows from the code where it
is special, else from the error's family (not found, forbidden, conflict, invalid). A
refusal of one field (every 422 a client can correct) names it in ``details.field``:
the domain names the service argument, which is the body's field (``body_field`` where
the body calls it otherwise); a path parameter (``reference``) is named the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, jsonify

from booking_core.base import Conflict, DomainError, Forbidden, InvalidInput, NotFound

STATUS_BY_CODE = {
    "unauthenticated": 401,
    "otp_rate_limited": 429,
    "otp_attempts_exhausted": 429,
}

# Werkzeug's names for some statuses read oddly in an API; these are ours.
CODE_BY_STATUS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """A request the adapter refuses before (or instead of) calling the domain."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details


def error_response(status: int, code: str, message: str,
                   details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    plain = {k: v for k, v in (details or {}).items()
             if v is None or isinstance(v, str | int | float | bool)}
    if plain:
        body["details"] = plain
    response = jsonify(error=body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@contextmanager
def body_field(name: str, domain_name: str) -> Iterator[None]:
    """A domain refusal of the service argument ``domain_name`` reported under the
    request body's ``name`` for it (``details.field``): a client is told which of the
    fields it sent to correct. The domain names its arguments (``phone``,
    ``card_number``, ...), which most bodies use as they are."""
    try:
        yield
    except DomainError as exc:
        if exc.details.get("field") == domain_name:
            exc.details["field"] = name
        raise


def status_for(exc: DomainError) -> int:
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, InvalidInput):
        return 422
    return 400


def domain_error_response(exc: DomainError) -> Response:
    status = status_for(exc)
    headers = {}
    if status == 429 and "retry_after" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after"])
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="hospital-feed"'
    return error_response(status, exc.code, str(exc), exc.details, headers)


def api_error_response(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def render_http_error(status: int, code: str, message: str) -> Response:
    """The renderer the app uses for errors raised outside our views under ``/api``
    (unknown URLs, wrong methods, oversized bodies, crashes)."""
    return error_response(status, CODE_BY_STATUS.get(status, code), message)
