"""The browser phone and the caller on screen.

- ``/console/phone``: the browser phone (Twilio's Voice JavaScript SDK, vendored under
  ``static/vendor/``), best kept open in its own tab or window so moving between console
  pages never drops a call. Its page alone may reach Twilio (its own
  Content-Security-Policy).
- ``POST /console/phone/token``: a short-lived access token for the signed-in agent
  (``VoiceGrant``, identity ``agent-<staff id>``); 409 with the reason in the agent's
  language when the browser phone is not configured.
- ``/console/caller``: the screen pop, an HTML fragment every console page polls each
  second: the caller on the agent's current call with their record and one-click
  actions (``contact_centre.caller_history``).
  The call's disposition is recorded in the desk panel's wrap-up form.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, render_template, request, url_for
from sqlalchemy.orm import Session
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from agent_console import bp
from agent_console.auth import helpline_work
from agent_console.i18n import t
from agent_console.session_keys import kept_key, kept_value
from booking_core.base import whole_number
from booking_core.citizens import Citizen
from booking_core.phones import mask_phone
from contact_centre.callbacks import IN_HAND
from contact_centre.caller_history import (
    CallerPop,
    call_for_agent,
    callback_caller,
    caller_on_screen,
)
from contact_centre.models import CallbackRequest
from helpline.app import current_helpline, get_session
from helpline.security_headers import BROWSER_PHONE_POLICY
from messaging.routing_calls import client_identity

# Short, so a token copied off a screen is soon useless; the page fetches a new one when
# the SDK says this one is about to expire (``tokenWillExpire``, 10 s ahead).
TOKEN_TTL_SECONDS = 600


def voice_token(agent_id: int) -> str:
    """A Voice access token for the agent's browser phone: incoming calls to
    ``agent-<id>`` and, with ``TWILIO_TWIML_APP_SID``, outgoing calls through that
    TwiML App; signed with the API key's secret, valid ``TOKEN_TTL_SECONDS``."""
    settings = current_helpline().settings
    token = AccessToken(settings.twilio_account_sid, settings.twilio_api_key_sid,
                        settings.twilio_api_key_secret, identity=client_identity(agent_id),
                        ttl=TOKEN_TTL_SECONDS)
    token.add_grant(VoiceGrant(
        outgoing_application_sid=settings.twilio_twiml_app_sid or None, incoming_allow=True))
    return token.to_jwt()


@bp.get("/phone")
@helpline_work
def phone() -> Any:
    settings = current_helpline().settings
    html = render_template("console/phone.html",
                           configured=settings.browser_phone_configured,
                           identity=client_identity(g.staff.id))
    return Response(html, mimetype="text/html",
                    headers={"Content-Security-Policy": BROWSER_PHONE_POLICY})


@bp.post("/phone/token")
@helpline_work
def phone_token() -> Any:
    """JSON ``{"token", "identity", "expires_in"}``; 409 ``{"error": {"code",
    "message"}}`` when the browser phone is not configured (a state of this
    installation, not a failure: the console never answers 5xx to a sound request).
    A POST, so the console's CSRF check applies (header ``X-CSRF-Token``); without a
    session the console answers 401 to the page's script (``X-Fragment``) and nothing
    is issued."""
    if not current_helpline().settings.browser_phone_configured:
        return jsonify(error={"code": "browser_phone_not_configured",
                              "message": t("console.phone.not_configured")}), 409
    return jsonify(token=voice_token(g.staff.id), identity=client_identity(g.staff.id),
                   expires_in=TOKEN_TTL_SECONDS), 200, {"Cache-Control": "no-store"}


@bp.get("/caller")
def caller_pop() -> Any:
    """The screen pop fragment (empty when no call is with the agent)."""
    pop = caller_on_screen(get_session(), g.staff.id)
    if pop is None:
        return Response("", mimetype="text/html", headers={"Cache-Control": "no-store"})
    html = render_template("console/_caller_pop.html", pop=pop, mask_phone=mask_phone)
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


def callback_pops(session: Session, callbacks: list[CallbackRequest]) -> dict[int, CallerPop]:
    """The caller panel of each callback card still in the agent's hands."""
    return {cb.id: callback_caller(session, cb) for cb in callbacks if cb.status in IN_HAND}


def caller_from_args() -> tuple[str, str | None] | None:
    """(mobile, language) of the caller a pre-filled form is for: ``?call=<id>`` (a
    call this agent answered) or ``?callback=<id>`` (a callback in this agent's hands),
    so the caller's number never travels in a URL of ours; likewise ``?citizen=<id>``
    (a search hit) and ``?who=<key>`` (``caller_key``). None for anything else."""
    session = get_session()
    citizen_id = whole_number(request.args.get("citizen"))
    if citizen_id is not None:
        citizen = session.get(Citizen, citizen_id)
        return (citizen.phone, citizen.preferred_language) if citizen is not None else None
    who = request.args.get("who")
    if who:
        phone = kept_value(CALLERS, who)
        return (phone, None) if phone else None
    call_id = whole_number(request.args.get("call"))
    if call_id is not None:
        call = call_for_agent(session, call_id, g.staff.id)
        if call is not None and call.from_phone:
            return call.from_phone, call.language
        return None
    callback_id = whole_number(request.args.get("callback"))
    if callback_id is not None:
        callback = session.get(CallbackRequest, callback_id)
        if callback is not None and callback.claimed_by_id == g.staff.id:
            return callback.phone, callback.language
    return None


# Session key: the mobiles this console session is booking for, by a short random key
# (``caller_key``); the last few only.
CALLERS = "booking_callers"
CALLERS_KEPT = 8


def caller_key(phone: str) -> str:
    """A short key for ``phone`` in this agent's session: the booking page's links and
    redirects carry it (``?who=``), never the number itself."""
    return kept_key(CALLERS, phone, CALLERS_KEPT)


@bp.app_template_global("caller_links")
def caller_links(call_id: int | None = None, callback_id: int | None = None) -> dict[str, str]:
    """The one-click actions' addresses for a caller on screen (see
    ``caller_from_args``)."""
    key = {"call": call_id} if call_id is not None else {"callback": callback_id}
    return {"book": url_for("console.booking", **key),
            "grievance": url_for("console.new_grievance", **key)}
