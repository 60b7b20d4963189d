"""CSRF protection and the short-lived, sealed verified-mobile cookie.

- CSRF: a random token in the ``portal_csrf`` cookie (HttpOnly, SameSite=Lax, path
  ``/portal``) that every form repeats in its ``csrf_token`` field; a POST whose field
  does not match is refused (400) before any view runs. Another site can neither read
  the cookie nor make the browser send it with a cross-site POST.
- Verified mobile: after the right one-time code the browser holds ``portal_mobile``,
  the same sealed token the API hands out (``portal_api.auth``): encrypted, so anyone
  else at the device (a shared or cyber-café computer) cannot read the number in it,
  and authenticated, so it cannot be made or changed. Accepted for
  ``VERIFIED_MAX_AGE`` seconds from the code (15 minutes), HttpOnly, SameSite=Lax,
  ``Secure`` over HTTPS. Nothing is stored server-side, so any web process can read it.
  The number never appears in a URL or a page in full.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Response, current_app, g, request

from booking_core.phones import mask_phone
from helpline.sealing import BadSeal, SealExpired
from portal_api.auth import issue_verification_token, read_verification_token
from portal_web import carry
from portal_web.i18n import LANG_COOKIE, LANG_COOKIE_MAX_AGE

CSRF_COOKIE = "portal_csrf"
MOBILE_COOKIE = "portal_mobile"
VERIFIED_MAX_AGE = 15 * 60
_PATH = "/portal"


def csrf_token() -> str:
    token = g.get("portal_csrf") or request.cookies.get(CSRF_COOKIE, "")
    if len(token) < 32:
        token = secrets.token_urlsafe(32)
        g.portal_new_csrf = token
    g.portal_csrf = token
    return token


def csrf_ok() -> bool:
    expected = request.cookies.get(CSRF_COOKIE, "")
    try:
        sent = request.form.get("csrf_token", "")
    except Exception:  # an unreadable body is refused like a missing token
        return False
    return len(expected) >= 32 and hmac.compare_digest(str(sent), expected)


def verified_mobile() -> str | None:
    """The E.164 mobile this browser proved it holds in the last 15 minutes, or None.
    ``g.portal_mobile_expired`` says a proof was there but has run out."""
    if "portal_mobile" in g:
        return g.portal_mobile  # type: ignore[no-any-return]
    phone = None
    token = request.cookies.get(MOBILE_COOKIE, "")
    if token:
        try:
            phone = read_verification_token(current_app.config["SECRET_KEY"], token,
                                            VERIFIED_MAX_AGE)
        except SealExpired:
            g.portal_mobile_expired = True
        except BadSeal:
            pass
    g.portal_mobile = phone
    return phone


def verified_mobile_masked() -> str:
    return mask_phone(verified_mobile())


def remember_mobile(phone: str) -> None:
    """Keep ``phone`` as verified for this browser (written with the answer)."""
    g.portal_mobile = phone
    g.portal_set_mobile = issue_verification_token(current_app.config["SECRET_KEY"], phone)


def forget_mobile() -> None:
    g.portal_mobile = None
    g.portal_set_mobile = ""


def remember_language(code: str) -> None:
    g.portal_set_lang = code


def write_cookies(response: Response) -> Response:
    secure = request.is_secure
    new_csrf = g.pop("portal_new_csrf", None)
    if new_csrf:
        response.set_cookie(CSRF_COOKIE, new_csrf, httponly=True, samesite="Lax",
                            secure=secure, path=_PATH)
    mobile = g.pop("portal_set_mobile", None)
    if mobile is not None:
        if mobile:
            response.set_cookie(MOBILE_COOKIE, mobile, max_age=VERIFIED_MAX_AGE, httponly=True,
                                samesite="Lax", secure=secure, path=_PATH)
        else:
            response.delete_cookie(MOBILE_COOKIE, path=_PATH, httponly=True, samesite="Lax",
                                   secure=secure)
    lang = g.pop("portal_set_lang", None)
    if lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax",
                            secure=secure, path="/")
    carry.write_cookie(response)
    if request.endpoint != "portal.static":
        # Pages carry a CSRF token and, once verified, a citizen's appointments.
        response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def expired_mobile() -> bool:
    """A verification was there but ran out (say so, rather than ask as if new)."""
    verified_mobile()
    return bool(g.get("portal_mobile_expired"))
