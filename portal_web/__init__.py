"""portal_web: the citizens' web portal at ``/portal/``, in Hindi and English.

This is the smallest frame the eHealth card page (``portal_web.card``) needs: the
``portal`` blueprint, the language (``?lang=`` remembered in a cookie), CSRF on every
POST (a ``csrf_token`` field matching the ``portal_csrf`` cookie) and the verified
mobile (the API's signed verification token in the ``portal_mobile`` cookie, 15
minutes), with ``portal/base.html``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from booking_core.phones import normalise_mobile
from locales import normalise_language, render

CSRF_COOKIE, MOBILE_COOKIE, LANG_COOKIE = "portal_csrf", "portal_mobile", "lang"
VERIFIED_MAX_AGE = 15 * 60
_MOBILE_SALT = "portal.verified-mobile"  # the API's verification tokens (portal_api.auth)

portal = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")


def _language() -> str:
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    return normalise_language(chosen)


def csrf_token() -> str:
    token = g.get("portal_csrf") or request.cookies.get(CSRF_COOKIE, "")
    if len(token) < 32:
        token = secrets.token_urlsafe(32)
        g.portal_new_csrf = token
    g.portal_csrf = token
    return str(token)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_MOBILE_SALT)


def verified_mobile() -> str | None:
    """The E.164 mobile this browser proved it holds in the last 15 minutes, or None."""
    token = request.cookies.get(MOBILE_COOKIE, "")
    if "portal_mobile" in g:
        return g.portal_mobile  # type: ignore[no-any-return]
    try:
        data = _serializer().loads(token, max_age=VERIFIED_MAX_AGE) if token else None
    except BadSignature:
        data = None
    phone = data.get("phone") if isinstance(data, dict) else None
    return phone if isinstance(phone, str) else None


def remember_mobile(phone: str) -> None:
    g.portal_mobile = normalise_mobile(phone)
    g.portal_set_mobile = _serializer().dumps({"phone": g.portal_mobile})


@portal.before_request
def _prepare() -> None:
    g.portal_lang = _language()
    if request.method == "POST":
        expected = request.cookies.get(CSRF_COOKIE, "")
        sent = str(request.form.get("csrf_token", ""))
        if len(expected) < 32 or not hmac.compare_digest(sent, expected):
            abort(400)


@portal.after_request
def _cookies(response: Response) -> Response:
    secure = request.is_secure
    if new := g.pop("portal_new_csrf", None):
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="Lax", secure=secure,
                            path="/portal")
    if mobile := g.pop("portal_set_mobile", None):
        response.set_cookie(MOBILE_COOKIE, mobile, max_age=VERIFIED_MAX_AGE, httponly=True,
                            samesite="Lax", secure=secure, path="/portal")
    if "lang" in request.args:
        response.set_cookie(LANG_COOKIE, g.portal_lang, max_age=365 * 86400, samesite="Lax",
                            secure=secure, path="/")
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


@portal.context_processor
def _context() -> dict[str, Any]:
    lang = g.get("portal_lang", "hi")
    return {"lang": lang, "t": lambda key, **params: render(lang, key, **params),
            "csrf_token": csrf_token}


def init_app(app: Flask) -> None:
    """Register the portal's routes."""
    from portal_web.card import register_card_routes

    register_card_routes(portal, verified_mobile=verified_mobile,
                         remember_mobile=remember_mobile)
    app.register_blueprint(portal)
