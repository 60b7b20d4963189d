"""Rendering portal pages, and the portal's own error pages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Response, g, make_response, render_template, request

from portal_web import i18n
from portal_web.verify import portal_path

log = logging.getLogger(__name__)


def page(template: str, status: int = 200, **context: Any) -> Response:
    response = make_response(render_template(f"portal/{template}", **context), status)
    return response


# Per endpoint, the form as the citizen sent it, drawn without the database.
OUTAGE_FORMS: dict[str, Callable[[], Any]] = {}


def kept_on_outage(endpoint: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register how the form of ``endpoint`` is drawn again, from ``request.form`` alone
    and without asking the database, when the database fails during its POST: the
    citizen gets a 503 with everything they typed still in the fields and a sentence
    saying it was not saved, instead of a bare error page and a lost complaint. A POST
    refused for an expired CSRF token gets the same form back (400), saying it was not
    sent (``outage_message``)."""

    def register(draw: Callable[[], Any]) -> Callable[[], Any]:
        OUTAGE_FORMS[f"portal.{endpoint}"] = draw
        return draw

    return register


def outage_message() -> str:
    """The sentence above a form drawn again from what was sent: not saved during an
    outage, or not sent at all because the form's CSRF token had expired."""
    if g.get("portal_form_expired"):
        return i18n.t("portal.error.form_expired_kept")
    return i18n.t("portal.outage.not_saved")


def sent_from() -> str | None:
    """The portal page a form was sent from (the browser's Referer, when it is this
    site's own portal page), or None."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return None
    return portal_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def render_error(status: int, code: str, message: str,
                 sentence: str | None = None) -> Response:
    """Errors under ``/portal`` (unknown pages, a form without its CSRF token, a
    database outage) as a page in the citizen's language with a way on."""
    if "portal_lang" not in g:
        g.portal_lang = i18n.chosen_language()
    key = {400: "portal.error.bad_request", 404: "portal.error.not_found",
           405: "portal.error.bad_request", 413: "portal.error.too_large",
           503: "portal.error.unavailable"}.get(status, "portal.error.generic")
    draw = OUTAGE_FORMS.get(request.endpoint or "") if request.method == "POST" else None
    if status == 400 and message == "csrf" and draw is not None:
        # The form's token had expired (cookies cleared, a page left open for days, a
        # new browser session): nothing was done, and the form comes back with what
        # was typed and a fresh token, so sending it again is one press, not retyping.
        g.portal_form_expired = True
        try:
            response = make_response(draw())
        except Exception:  # the form cannot be drawn: the plain expired-form page
            log.exception("the form of %s could not be drawn again", request.endpoint)
        else:
            response.status_code = 400
            return response
    if status == 503 and draw is not None:
        try:
            response = make_response(draw())
        except Exception:  # the form cannot be drawn: the plain outage page
            log.exception("the form of %s could not be drawn during an outage",
                          request.endpoint)
        else:
            response.status_code = 503
            response.headers["Retry-After"] = "30"
            return response
    if status == 400 and message == "csrf":
        key = "portal.error.form_expired"
    back = None
    if status == 503 and request.method == "POST":
        # A button pressed during an outage (cancel, take, pass on, leave): it did
        # nothing, and the citizen is taken back to the page it was on to press it again.
        key = "portal.error.unavailable_not_done"
        back = sent_from()
    # A URL no portal route matched gets no blueprint context: give it explicitly.
    response = page("error.html", status, **i18n.template_context(),
                    message=sentence or i18n.t(key), back=back)
    if status == 503:
        response.headers["Retry-After"] = "30"
    return response
