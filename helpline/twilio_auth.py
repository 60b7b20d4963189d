"""Checking that a webhook really came from Twilio."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def public_url() -> str:
    """The URL Twilio called: ``PUBLIC_BASE_URL`` + path and query string as sent.
    Behind a proxy ``request.url`` shows the inside address, which would never match."""
    base = current_app.extensions["helpline"].settings.public_base_url.rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def signature_is_valid() -> bool:
    settings = current_app.extensions["helpline"].settings
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.twilio_auth_token:
        return False
    validator = RequestValidator(settings.twilio_auth_token)
    # request.form only: query values mixed in (request.values) break the signature.
    return bool(validator.validate(public_url(), request.form, signature))


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403, nothing changed) any request without a valid X-Twilio-Signature."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not signature_is_valid():
            log.warning("refused webhook with a bad signature on %s", request.path)
            return Response("forbidden", status=403, mimetype="text/plain")
        return view(*args, **kwargs)

    return wrapped


def for_twilio_only(render_twiml: Callable[[int, str, str], Response]
                    ) -> Callable[[int, str, str], Response]:
    """Wrap a webhook prefix's error renderer: a request Twilio signed gets the TwiML
    (a caller must never hear "an application error has occurred"); anyone else gets
    the plain status, as the webhooks themselves answer them (403, 404, 413, ...)."""

    def render(status: int, code: str, message: str) -> Response:
        try:
            signed = signature_is_valid()
        except HTTPException:  # the body could not be read at all (too large)
            signed = False
        if signed:
            return render_twiml(status, code, message)
        return Response(code, status=status, mimetype="text/plain")

    return render
