"""The ``/portal`` blueprint: language, CSRF and the verified-mobile cookie for every view."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, request

from booking_core.base import DomainError, NotFound
from portal_web import i18n, security

portal = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates",
                   static_folder="static")


@portal.before_request
def _prepare() -> None:
    g.portal_lang = i18n.chosen_language()
    if request.method == "POST" and not security.csrf_ok():
        abort(400, "csrf")


@portal.after_request
def _cookies(response: Response) -> Response:
    return security.write_cookies(response)


portal.context_processor(i18n.template_context)


@portal.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    """A domain refusal no view caught (an unknown hospital in the URL): a page, not a
    500."""
    from portal_web.pages import render_error

    # A number typed into an address (a booking number of another mobile, one digit
    # wrong): the sentence for that kind of thing when there is one ("We found no
    # booking with that number for this mobile."), else the page's general one.
    entity, reason = exc.details.get("entity"), exc.details.get("reason")
    specific = any(i18n.has_message(f"portal.err.{exc.code}.{entity}{tail}")
                   for tail in ("", f".{reason}")) if isinstance(entity, str) else False
    return render_error(404 if isinstance(exc, NotFound) else 400, exc.code, str(exc),
                        sentence=i18n.error_text(exc.code, exc.details) if specific else None)
