"""TwiML for the calls we place (``/calls/...``) and their status callbacks.

The words of every call are declared with the phone line's flow (``ivr.call_flow``:
``bridge.*``, ``queue.agent``, ``followup``), so the map shows them too.

- ``agent_callback`` (params ``callback_id``): Twilio calls the agent first; when they
  answer we ``<Dial>`` the citizen who asked for the callback and record the outcome.
- ``route_caller`` (a redirect of a waiting caller's call, not a call we place):
  routing's decision carried out, ``messaging.routing_calls``.
- ``waiting_list_offer`` (params ``entry_id``): "an appointment has opened up: press 1 to take it",
  run by the engine (``ivr.offer``); an unanswered call lets the hold run out, and the
  scheduler passes the seat on (``booking_core.waiting_list.lapse_offers``).
- ``grievance_followup`` (params ``grievance_id``): "press 1 if solved, 2 if not" in the
  citizen's language, run by the phone line's engine (``ivr.followup``: ``*``, ``0``,
  retries and exits as on the inbound line); unanswered calls are retried
  (``messaging.followup``).
Every route is a signed webhook; the row id in the URL names the call's outbox row.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, request
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from booking_core.base import unit_of_work, utcnow
from booking_core.outbox import OutboxKind, OutboxMessage, OutboxStatus
from booking_core.waiting_list import OFFER_CALL
from contact_centre.outbound_calls import (
    agent_call_ended,
    agent_missed_callback,
    begin_callback_bridge,
    record_bridge_result,
)
from contact_centre.routing import ROUTE_PURPOSE
from grievances.models import Grievance
from helpline.app import current_helpline, get_session
from helpline.twilio_auth import twilio_signed
from locales import SPEECH_LANGUAGES, normalise_language, render
from messaging import followup
from messaging.routing_calls import register as register_routing_calls
from messaging.routing_calls import route_answer
from messaging.sms_webhooks import row_id_arg
from messaging.status import advance, row_for_callback

log = logging.getLogger(__name__)

bp = Blueprint("calls", __name__, url_prefix="/calls")


def url(path: str) -> str:
    return current_helpline().settings.public_base_url.rstrip("/") + path


def say(response: VoiceResponse | Gather, lang: str, key: str, **params: Any) -> None:
    lang = normalise_language(lang)
    settings = current_helpline().settings
    voice = settings.voice_hi if lang == "hi" else settings.voice_en
    response.say(render(lang, key, **params), voice=voice, language=SPEECH_LANGUAGES[lang])


def say_node(response: VoiceResponse | Gather, lang: str, node: str) -> None:
    """What the declared node ``node`` (``ivr.call_flow``) says."""
    from ivr.engine import FLOW

    for key in FLOW.nodes[node].says:
        say(response, lang, key)


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def call_row(row_id: int) -> OutboxMessage:
    row = get_session().get(OutboxMessage, row_id)
    if row is None or row.kind not in (OutboxKind.CALL, OutboxKind.REDIRECT):
        abort(404)
    return row


@bp.post("/<int:row_id>/answer")
@twilio_signed
def answer(row_id: int) -> Response:
    row = call_row(row_id)
    handler = {"agent_callback": _callback_answer, ROUTE_PURPOSE: route_answer,
               followup.PURPOSE: _followup_prompt, OFFER_CALL: _offer_prompt}.get(row.template)
    if handler is None:
        abort(404)
    return twiml(handler(row))


def _callback_answer(row: OutboxMessage) -> VoiceResponse:
    response = VoiceResponse()
    session = get_session()
    callback_id = int(row.params.get("callback_id", 0))
    callback = begin_callback_bridge(session, callback_id,
                                     call_sid=request.form.get("CallSid", ""),
                                     agent_id=_placed_by(row))
    if callback is None:
        say_node(response, row.language, "bridge.not_reached")
        response.hangup()
        return response
    say_node(response, row.language, "bridge.agent")
    settings = current_helpline().settings
    dial = Dial(caller_id=settings.twilio_caller_id or settings.twilio_phone_number,
                action=url(f"/calls/{row.id}/bridged"), method="POST", timeout=30)
    dial.number(callback.phone)
    response.append(dial)
    return response


@bp.post("/<int:row_id>/bridged")
@twilio_signed
def bridged(row_id: int) -> Response:
    row = call_row(row_id)
    status = request.form.get("DialCallStatus", "")
    callback = record_bridge_result(get_session(), int(row.params.get("callback_id", 0)),
                                    status, agent_id=_placed_by(row),
                                    call_sid=request.form.get("CallSid", ""))
    response = VoiceResponse()
    if callback is not None and status not in ("completed", "answered"):
        say_node(response, row.language, "bridge.not_reached")
    response.hangup()
    return twiml(response)


def _placed_by(row: OutboxMessage) -> int | None:
    """The agent who placed a callback's call (rows written before this was kept: None,
    the callback's own agent is used)."""
    agent_id = row.params.get("agent_id")
    return agent_id if isinstance(agent_id, int) else None


def _followup_prompt(row: OutboxMessage) -> VoiceResponse:
    """The follow-up call runs on the phone line's engine (``ivr.followup``)."""
    from ivr.flow import start_call

    grievance = get_session().get(Grievance, int(row.params.get("grievance_id", 0)))
    if grievance is None:
        abort(404)
    return start_call("followup", row.language, gv=grievance.id, row=row.id)


def _offer_prompt(row: OutboxMessage) -> VoiceResponse:
    """The waiting-list offer runs on the phone line's engine (``ivr.offer``)."""
    from ivr.flow import start_call

    return start_call("offer", row.language, wl=int(row.params.get("entry_id", 0)), row=row.id)


CALL_STATUSES = {"completed": "delivered", "answered": "delivered", "busy": "undelivered",
                 "no-answer": "undelivered", "failed": "failed", "canceled": "undelivered"}


@bp.post("/status")
@twilio_signed
def call_status() -> Response:
    """Twilio's final word on a call we placed: the row's status, and what follows."""
    sid, status = request.form.get("CallSid", ""), request.form.get("CallStatus", "")
    session = get_session()
    session.rollback()  # a fresh transaction: nothing read in this request is reused
    with unit_of_work(session):
        row = row_for_callback(session, sid, row_id_arg())
        if row is not None and status in CALL_STATUSES:
            advance(row, OutboxStatus(CALL_STATUSES[status]),
                    None if status in ("completed", "answered") else status, utcnow())
    if row is not None and status in followup.UNANSWERED:
        if row.template == followup.PURPOSE:
            followup.schedule_retry(session, row, status)
        elif row.template == "agent_callback":
            agent_missed_callback(session, int(row.params.get("callback_id", 0)), status,
                                  agent_id=_placed_by(row))
    elif row is not None and status == "completed" and row.template == "agent_callback":
        # The agent's leg is over: wrap-up, whatever the bridge's own report did.
        agent_call_ended(session, int(row.params.get("callback_id", 0)),
                         agent_id=_placed_by(row), call_sid=sid)
    if row is not None and row.template in (followup.PURPOSE, OFFER_CALL):
        # Its person may have asked for an agent: the call log's row, if so, ends here
        # as an inbound call's does at ``/ivr/status``.
        from ivr.menus import record_call_status

        record_call_status(request.form, placed=True)
    return twiml(VoiceResponse())


register_routing_calls(bp)


def render_call_error(status: int, code: str, message: str) -> Response:
    """Errors under /calls still answer TwiML: an apology in both languages, then
    hang up, never Twilio's "application error"."""
    log.warning("call webhook error %s %s", status, code)
    response = VoiceResponse()
    say(response, "hi", "messaging.call.error")
    say(response, "en", "messaging.call.error")
    response.hangup()
    return Response(str(response), status=200, mimetype="text/xml")
