"""Post/Redirect/Get for the portal's forms: what a POST hands to the page after it.

Every portal POST that changes something (a one-time code sent or checked, a booking,
a complaint, a card) answers 303 to a GET page, so the browser's history holds only
GET pages: Back and reload never offer to send a form again. What the next page must
show that its URL cannot carry (a mobile as typed, a long complaint, a card's name: the
project keeps phone numbers, health ids and card numbers out of URLs and logs) travels
in ``portal_carry``, a signed cookie (HttpOnly, SameSite=Lax, path ``/portal``) that
lives ``MAX_AGE`` seconds and is read once, by the page it names. Nothing is stored
server-side, so any web process can answer the GET.

A browser keeps about 4 KB per cookie: a carry that does not fit (a complaint of
thousands of Devanagari letters) is not kept, and the caller renders its page in
answer to the POST as before, so nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, redirect, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

CARRY_COOKIE = "portal_carry"
MAX_AGE = 10 * 60
MAX_COOKIE = 3800  # bytes of the signed value: a browser's limit is 4096 with the name
_SALT = "portal-carry"
_PATH = "/portal"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def redirect_with(location: str, **carried: Any) -> Response | None:
    """A 303 to ``location`` carrying ``carried`` to it, or None when it does not fit
    in a cookie (the caller then renders its page in place)."""
    token = _serializer().dumps({"to": location.split("?", 1)[0], "data": carried})
    if len(token) > MAX_COOKIE:
        return None
    g.portal_set_carry = token
    return redirect(location, code=303)


def take() -> dict[str, Any]:
    """What the POST before this GET carried to this page (once), else ``{}``."""
    if "portal_carried" in g:
        return g.portal_carried  # type: ignore[no-any-return]
    carried: dict[str, Any] = {}
    token = request.cookies.get(CARRY_COOKIE, "")
    if token and request.method == "GET":
        try:
            found = _serializer().loads(token, max_age=MAX_AGE)
        except BadSignature:  # SignatureExpired included
            found = None
        if not isinstance(found, dict):
            g.portal_set_carry = ""  # forged or stale: gone after this answer
        elif found.get("to") == request.path:
            carried = dict(found.get("data") or {})
            g.portal_set_carry = ""  # read once
    g.portal_carried = carried
    return carried


def write_cookie(response: Response) -> None:
    token = g.pop("portal_set_carry", None)
    if token:
        response.set_cookie(CARRY_COOKIE, token, max_age=MAX_AGE, httponly=True,
                            samesite="Lax", secure=request.is_secure, path=_PATH)
    elif token == "":
        response.delete_cookie(CARRY_COOKIE, path=_PATH, httponly=True, samesite="Lax",
                               secure=request.is_secure)
