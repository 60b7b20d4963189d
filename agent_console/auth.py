"""Signing in and out, session expiry, CSRF and roles.

- Sessions live in Flask's signed cookie (HttpOnly, SameSite=Lax) and expire after
  ``IDLE_TIMEOUT`` without a request or ``ABSOLUTE_TIMEOUT`` after sign-in; a
  deactivated account is signed out on its next request.
- A page's own script polls in the background (``X-Fragment`` requests and
  ``/console/live``). Those requests never write the session cookie: a poll sent
  before a form's answer and answered after it would otherwise put back the session
  as it was, losing the form's message, a language switch, or a sign-out. They keep
  an open console signed in through a separate cookie (``KEEPALIVE_COOKIE``), bound
  to the session's user and sign-in time, which holds only when it was last seen.
- Every POST carries the session's CSRF token (form field ``csrf_token`` or header
  ``X-CSRF-Token``); without it the request is refused before any view runs.
- Failed sign-ins are counted per username (``LOGIN_LIMIT``) and per client address
  (``ADDRESS_LIMIT``) in ``LOGIN_WINDOW`` seconds; once either is reached, sign-ins for
  that username or from that address are refused until the window ends, even with the
  right password (else guessing could go on). A successful sign-in is never counted, so
  a whole shift signing in from one office router is never refused.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_limiter import Limiter, RateLimitExceeded
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import HTTPException

from agent_console import bp
from agent_console.i18n import console_context, error_text, t
from booking_core.base import DomainError, refusals_by_field
from contact_centre.accounts import AccountDisabled, authenticate
from contact_centre.agents import set_agent_language, set_agent_state, sign_out
from contact_centre.models import AgentState, Role, StaffUser
from helpline.app import current_helpline, get_session
from helpline.ratelimit import client_address, retry_after

IDLE_TIMEOUT = 30 * 60
ABSOLUTE_TIMEOUT = 12 * 3600
LOGIN_LIMIT = 10
LOGIN_WINDOW = 15 * 60
ADDRESS_LIMIT = 50
PUBLIC_ENDPOINTS = {"console.login", "console.static"}
KEEPALIVE_COOKIE = "console_seen"
KEEPALIVE_EVERY = 60  # seconds: how stale "last seen" may get before a poll renews it
BACKGROUND_ENDPOINTS = {"console.live"}

bp.context_processor(console_context)


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def background_request() -> bool:
    """True for the requests a page's script makes on its own (polls, the phone's
    token): they do not show that a person is there and never write the session."""
    return bool(request.headers.get("X-Fragment")) or request.endpoint in BACKGROUND_ENDPOINTS


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that a background request never sets the
    cookie (see the module's docstring)."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if background_request():
            return
        super().save_session(app, session, response)


def _keepalive() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="console.keepalive")


def _last_seen() -> float:
    """When this session was last seen: its own ``seen`` or, if later, the time in the
    keep-alive cookie written by background requests of the same sign-in."""
    seen = float(session.get("seen", 0))
    cookie = request.cookies.get(KEEPALIVE_COOKIE)
    if cookie:
        try:
            uid, since, polled = _keepalive().loads(cookie)
        except (BadSignature, ValueError, TypeError):
            return seen
        if uid == session.get("uid") and since == session.get("since"):
            seen = max(seen, float(polled))
    return seen


@bp.after_request
def _write_keepalive(response: Response) -> Response:
    polled = g.pop("keepalive", None)
    if polled is not None:
        interface = current_app.session_interface
        response.set_cookie(
            KEEPALIVE_COOKIE,
            _keepalive().dumps([session.get("uid"), session.get("since"), polled]),
            path=interface.get_cookie_path(current_app),
            secure=interface.get_cookie_secure(current_app),
            httponly=True, samesite="Lax")
    return response


@bp.before_request
def _check_session_and_csrf() -> Any:
    if request.endpoint == "console.static":
        # A page's stylesheet or script: it neither needs the session nor may write it
        # (one answered after a form's redirect would put the older session back).
        return None
    if request.method == "POST":
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(str(sent), str(expected)):
            abort(400, "csrf")
    g.staff = None
    uid = session.get("uid")
    if uid is not None:
        now = time.time()
        seen = _last_seen()
        fresh = (now - seen < IDLE_TIMEOUT
                 and now - session.get("since", 0) < ABSOLUTE_TIMEOUT)
        user = get_session().get(StaffUser, uid) if fresh else None
        if user is None or not user.active or session.get("pw") != user.password_hash[-12:]:
            if request.headers.get("X-Fragment"):
                abort(401)  # the page's script reloads it, and that page says why
            _end_session()
            if request.endpoint not in PUBLIC_ENDPOINTS:
                if request.method == "POST":
                    return _sign_in_again_keeping_the_form()
                flash(t("console.session_expired"), "info")
                return redirect(url_for("console.login", next=request.full_path))
        else:
            if background_request():
                if now - seen >= KEEPALIVE_EVERY:  # a poll a second needs no cookie each
                    g.keepalive = int(now)
            else:
                session["seen"] = now
            g.staff = user
    if g.staff is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.headers.get("X-Fragment"):
            abort(401)
        if request.method == "POST":  # its CSRF token was good: signed out in another tab
            return _sign_in_again_keeping_the_form()
        return redirect(url_for("console.login", next=request.full_path))
    return None


def _end_session() -> None:
    """Forget who was signed in, but keep the CSRF token and language: a form sent from
    another tab afterwards is then recognised as ours and sent to sign in again, rather
    than refused."""
    kept = {k: session[k] for k in ("csrf", "lang") if k in session}
    session.clear()
    session.update(kept)


def _sign_in_again_keeping_the_form() -> Any:
    """A form sent after the session ended does nothing; the agent signs in and comes
    back to the page the form was on (not to the form's POST-only address), where the
    page's script puts back what was typed (``#restore``)."""
    flash(t("console.session_expired_kept"), "info")
    page = url_for("console.home")
    referrer = urlsplit(request.referrer or "")
    if (referrer.netloc == request.host and referrer.path.startswith("/console/")
            and referrer.path != url_for("console.login")):
        page = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return redirect(url_for("console.login", next=page + "#restore"), code=303)


def roles(*allowed: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Views only these roles may open; others get 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.staff is None or g.staff.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)


def helpline_work(view: Callable[..., Any]) -> Callable[..., Any]:
    """Views of the helpline's own work (callbacks, the desk, routed calls, the browser
    phone): a hospital's staff (``StaffUser.works_the_helpline`` false) get 403."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.staff is None or not g.staff.works_the_helpline:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def helpline_oversight(view: Callable[..., Any]) -> Callable[..., Any]:
    """Views of the contact centre's operations (wallboard, failed messages): only
    accounts that oversee the helpline (``StaffUser.oversees_the_helpline``); a
    hospital's supervisor gets 403."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.staff is None or not g.staff.oversees_the_helpline:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def flash_error(exc: DomainError) -> None:
    """The real reason, in the agent's language: the error's own words for its code,
    narrowed by what it names (``details``: the field, the reason, the entity)."""
    flash(error_text(exc.code, exc.details), "error")


def field_refusals(exc: DomainError, form_fields: Sequence[str]) -> dict[str, str]:
    """Every refusal in ``exc`` at once (``refusals_by_field``), each in its own words
    for the template to say under its field (``console/_field_errors.html``): {field:
    message}, in the order the form shows its fields (``form_fields``, top to bottom, by
    the names the domain refuses them under), whatever order the domain checked them
    in. A refusal of no field the form shows (none named, or one it has no input for)
    is flashed, said at the top of the page, so that nothing refused goes unsaid."""
    refused = refusals_by_field(exc)
    messages: dict[str, str] = {}
    for name in form_fields:
        if name in refused:
            error = refused.pop(name)
            messages[name] = error_text(error.code, error.details)
    for error in refused.values():
        flash_error(error)
    return messages


def flash_done(key: str, **params: object) -> None:
    flash(t(key, **params), "info")


def _form_field(name: str) -> str:
    try:
        return request.form.get(name) or ""
    except HTTPException:  # an unreadable body: the view answers for it
        return ""


def submitted_username() -> str:
    """The username of a sign-in form as accounts know it ("-" when there is none)."""
    return _form_field("username").strip().lower()[:60] or "-"


def _failed_sign_in(response: Response) -> bool:
    return response.status_code == 401


def throttle_failed_sign_ins(limiter: Limiter) -> None:
    """Count a sign-in against its username and its address only when it fails; refuse
    further sign-ins (429) while either count is full."""
    window = f"{LOGIN_WINDOW // 60} minutes"
    for limit, key, scope in ((LOGIN_LIMIT, submitted_username, "username"),
                              (ADDRESS_LIMIT, client_address, "address")):
        limiter.limit(
            f"{limit} per {window}", key_func=key, scope=scope, methods=["POST"],
            deduct_when=_failed_sign_in,
            exempt_when=lambda: request.endpoint != "console.login",
        )(bp)


@bp.errorhandler(RateLimitExceeded)
def _sign_ins_throttled(_exc: RateLimitExceeded) -> Any:
    wait = retry_after(current_helpline().limiter)
    html = render_template("console/login.html", next=_form_field("next"),
                           error=t("console.login_throttled", minutes=-(-wait // 60)))
    return html, 429, {"Retry-After": str(wait)}


def safe_next(target: str | None) -> str:
    """``target`` when it is a console page, else the console's home."""
    return _safe_next(target)


def _safe_next(target: str | None) -> str:
    if (target and target.startswith("/console/") and not target.startswith("//")
            and "\\" not in target):
        return target
    return url_for("console.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if g.staff is not None:
            return redirect(url_for("console.home"))
        if request.args.get("lang") in ("hi", "en"):
            session["lang"] = request.args["lang"]
        return render_template("console/login.html", next=request.args.get("next", ""))
    password = request.form.get("password") or ""
    try:
        user = authenticate(get_session(), submitted_username(), password)
    except AccountDisabled:
        # The right password: a 403, which is no failed sign-in, so it never locks out
        # the person once an administrator enables the account again.
        return render_template("console/login.html", next=request.form.get("next", ""),
                               error=t("console.err.account_disabled")), 403
    if user is None:  # the 401 is what counts as a failed sign-in
        html = render_template("console/login.html", next=request.form.get("next", ""),
                               error=t("console.login_failed"))
        return html, 401
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    now = time.time()
    # The language stays for the sign-in page after signing out (``_end_session``).
    session.update(uid=user.id, since=now, seen=now, pw=user.password_hash[-12:],
                   lang=user.language)
    csrf_token()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Any:
    # Signed out, an available agent takes no more calls (routing would ring them), and
    # the callbacks they claimed go back to the waiting list (``agents.sign_out``).
    if g.staff is not None:
        sign_out(get_session(), g.staff.id)
    # Keeps the CSRF token and language: a form another tab sends afterwards signs in
    # again keeping what was typed (``_sign_in_again_keeping_the_form``), in Hindi for
    # a Hindi agent.
    _end_session()
    response = redirect(url_for("console.login"))
    response.delete_cookie(KEEPALIVE_COOKIE,
                           path=current_app.session_interface.get_cookie_path(current_app))
    return response


@bp.post("/me/language")
def switch_language() -> Any:
    try:
        set_agent_language(get_session(), g.staff.id, request.form.get("language", ""))
    except DomainError as exc:
        flash_error(exc)
    else:
        session["lang"] = g.staff.language  # also the sign-in page's, once signed out
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/me/state")
@helpline_work
def switch_state() -> Any:
    try:
        agent, _ = set_agent_state(get_session(), g.staff.id, request.form.get("state", ""),
                                   wrap_up_seconds=current_helpline().settings.wrap_up_seconds)
    except DomainError as exc:
        flash_error(exc)
    else:
        if agent.state == AgentState.WRAP_UP:
            pass  # the call is over: the desk's wrap-up sentence now names what follows
        elif agent.state_after_call is not None:  # kept for when the call is over
            flash_done(f"console.done_state_after_call.{agent.state_after_call.value}")
        elif agent.state == AgentState.ON_CALL:  # Available, once the call is over
            flash_done("console.done_state_after_call.available")
    return redirect(_safe_next(request.form.get("next")))
