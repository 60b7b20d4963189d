"""Post/Redirect/Get for the portal's forms: what a POST hands to the page after it.

Every portal POST that changes something (a one-time code sent or checked, a booking,
a complaint, a card) answers 303 to a GET page, so the browser's history holds only
GET pages: Back and reload never offer to send a form again. What the next page must
show that its URL cannot carry (a mobile as typed, a long complaint, a card's name: the
project keeps phone numbers, health ids and card numbers out of URLs and logs) travels
in ``portal_carry``, a sealed cookie (``helpline.sealing``: encrypted and
authenticated, so a name, a mobile or a complaint in it cannot be read by the next
person at a shared computer; HttpOnly, SameSite=Lax, path ``/portal``) that lives
``MAX_AGE`` seconds and is read once, by the page it names. Nothing is stored
server-side, so any web process can answer the GET.

A POST refused for bad input redirects the same way, to the GET page of its form,
carrying what was typed and the message keys of what was wrong (``i18n.keep``): that
page shows the form again with the same messages, and Back or reload after a refusal
never offer to send the form again either.

An action that succeeded (a booking, a move, a cancellation, a complaint, a waiting
list joined or left) says so once, on the page its 303 leads to: the word of what was
done rides in the carry (``redirect_done``, ``done``), never in the URL, so the address
bar, a bookmark or a link shared from it shows the page as it stands, not "... is
booked" again as if it had just happened.

A browser keeps about 4 KB per cookie: a carry that does not fit (a complaint of
thousands of Devanagari letters) is not kept, and the caller renders its page in
answer to the POST as before, so nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, redirect, request

from helpline.sealing import BadSeal, open_sealed, seal

CARRY_COOKIE = "portal_carry"
MAX_AGE = 10 * 60
MAX_COOKIE = 3800  # bytes of the sealed value: a browser's limit is 4096 with the name
PURPOSE = "portal-carry"
_PATH = "/portal"


def redirect_with(location: str, *, sticky: bool = False, **carried: Any) -> Response | None:
    """A 303 to ``location`` carrying ``carried`` to it, or None when it does not fit
    in a cookie (the caller then renders its page in place). A ``sticky`` carry (a
    refused form's typing and messages) is not read once: reload and Back show the
    same form again, until the next POST of the portal or ``MAX_AGE``."""
    token = seal(current_app.config["SECRET_KEY"], PURPOSE,
                 {"to": location.split("?", 1)[0], "data": carried, "sticky": sticky})
    if len(token) > MAX_COOKIE:
        return None
    g.portal_set_carry = token
    return redirect(location, code=303)


def redirect_done(location: str, done: str) -> Response:
    """The 303 after an action that succeeded, to the page that shows its result, which
    says ``done`` ("booked", "registered", ...) once: read from the carry by ``done()``,
    so a reload, another browser or a copy of the URL shows the page without it."""
    return redirect_with(location, done=done) or redirect(location, code=303)


def done() -> str:
    """What the action before this GET did (``redirect_done``), once; else ``""``."""
    return str(take().get("done", ""))


def take() -> dict[str, Any]:
    """What the POST before this GET carried to this page (once), else ``{}``."""
    if "portal_carried" in g:
        return g.portal_carried  # type: ignore[no-any-return]
    carried: dict[str, Any] = {}
    token = request.cookies.get(CARRY_COOKIE, "")
    if token and request.method == "GET":
        try:
            found = open_sealed(current_app.config["SECRET_KEY"], PURPOSE, token, MAX_AGE)
        except BadSeal:  # SealExpired included
            found = None
        if not isinstance(found, dict):
            g.portal_set_carry = ""  # forged or stale: gone after this answer
        elif found.get("to") == request.path:
            carried = dict(found.get("data") or {})
            if not found.get("sticky"):
                g.portal_set_carry = ""  # read once
    g.portal_carried = carried
    return carried


def write_cookie(response: Response) -> None:
    token = g.pop("portal_set_carry", None)
    if token is None and request.method == "POST" and CARRY_COOKIE in request.cookies:
        token = ""  # a form was sent: what an earlier one left is over
    if token:
        response.set_cookie(CARRY_COOKIE, token, max_age=MAX_AGE, httponly=True,
                            samesite="Lax", secure=request.is_secure, path=_PATH)
    elif token == "":
        response.delete_cookie(CARRY_COOKIE, path=_PATH, httponly=True, samesite="Lax",
                               secure=request.is_secure)
