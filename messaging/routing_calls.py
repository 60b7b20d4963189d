"""Carrying out routing's decisions on the phone network (``contact_centre.routing``).

A decision is an outbox row (kind ``redirect``, purpose ``route_caller``, params
``call_id``, ``agent_id``, ``call_sid``). Delivery redirects the waiting caller's call
(Twilio's call update) to ``/calls/<row>/answer``, which answers here:

- ``route_answer``: the caller hears that an agent is joining, and ``<Dial>`` rings the
  agent's endpoint (``agent_endpoint``: their phone number, or the browser console's
  Twilio Client identity ``agent-<id>``), for ``RING_SECONDS``.
- ``/calls/<row>/route-answered`` (the ``<Number>``/``<Client>`` ``url``, run on the
  agent's leg when they pick up, before the bridge): the call becomes the agent's
  current call and they are On a call; the agent hears who is joining. If the caller
  has gone meanwhile, the agent hears so and the leg ends.
- ``/calls/<row>/route-done`` (the ``<Dial action>``, the caller's leg): the agent hung
  up, so the agent goes to wrap-up and the caller hears goodbye; or the agent never
  answered, so the caller goes back in the queue, first in line, and routing runs again.
The caller hanging up is reported by the phone line's status callback (``ivr.menus``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Response, request
from twilio.twiml.voice_response import Dial, VoiceResponse

from booking_core.outbox import OutboxMessage
from contact_centre.models import Call, CallDevice, StaffUser
from contact_centre.routing import (
    agent_missed,
    connect_waiting_callers,
    end_routed_call,
    mark_bridged,
)
from helpline.app import current_helpline, get_session
from helpline.twilio_auth import twilio_signed

log = logging.getLogger(__name__)

RING_SECONDS = 20  # how long an agent's phone or browser rings before the caller is requeued
ANSWERED = ("completed", "answered")


@dataclass(frozen=True)
class AgentEndpoint:
    """Where a routed call rings an agent: ``kind`` "phone" (``address`` E.164) or
    "client" (``address`` the Twilio Client identity their browser registered)."""

    kind: str
    address: str


def client_identity(agent_id: int) -> str:
    """The Twilio Client identity of an agent's browser console (Voice SDK tokens are
    issued for it; ``<Dial><Client>`` rings it)."""
    return f"agent-{agent_id}"


def agent_endpoint(agent: StaffUser) -> AgentEndpoint | None:
    """The endpoint the agent chose in their profile (``StaffUser.call_device``); None
    when they take calls on the phone but have no number."""
    if agent.call_device == CallDevice.BROWSER:
        return AgentEndpoint("client", client_identity(agent.id))
    return AgentEndpoint("phone", agent.phone) if agent.phone else None


def dial_agent(endpoint: AgentEndpoint, *, action: str, answered_url: str,
               caller_id: str | None) -> Dial:
    """``<Dial>`` ringing ``endpoint`` for ``RING_SECONDS``; ``answered_url`` runs on the
    agent's leg when they pick up; ``action`` gets ``DialCallStatus`` when it ends."""
    dial = Dial(action=action, method="POST", timeout=RING_SECONDS,
                caller_id=caller_id or None)
    if endpoint.kind == "client":
        dial.client(endpoint.address, url=answered_url, method="POST")
    else:
        dial.number(endpoint.address, url=answered_url, method="POST")
    return dial


def _url(path: str) -> str:
    return current_helpline().settings.public_base_url.rstrip("/") + path


def _route(row: OutboxMessage) -> tuple[int, int]:
    return int(row.params.get("call_id", 0)), int(row.params.get("agent_id", 0))


def _route_again() -> None:
    connect_waiting_callers(get_session(),
                            wrap_up_seconds=current_helpline().settings.wrap_up_seconds)


def route_answer(row: OutboxMessage) -> VoiceResponse:
    """The caller's call, just taken out of the queue: ring the agent routing chose.
    A redirect that is no longer wanted (the caller was given back to the queue, or the
    agent has no endpoint now) puts the caller back in the queue."""
    from ivr.agent import requeue
    from messaging.calls import say_node

    session = get_session()
    call_id, agent_id = _route(row)
    call = session.get(Call, call_id)
    agent = session.get(StaffUser, agent_id)
    endpoint = agent_endpoint(agent) if agent is not None else None
    if (call is None or call.agent_id != agent_id or call.answered_at is not None
            or endpoint is None):
        session.rollback()
        if endpoint is None and call is not None:
            agent_missed(session, call_id, agent_id)
            _route_again()
        return requeue(row.language)
    session.rollback()
    response = VoiceResponse()
    say_node(response, row.language, "queue.caller_joined")
    settings = current_helpline().settings
    response.append(dial_agent(
        endpoint, action=_url(f"/calls/{row.id}/route-done"),
        answered_url=_url(f"/calls/{row.id}/route-answered"),
        caller_id=settings.twilio_caller_id or settings.twilio_phone_number))
    return response


def register(bp: object) -> None:
    """Add the routed call's webhooks to the ``/calls`` blueprint."""
    from messaging.calls import call_row, say_node, twiml

    @bp.post("/<int:row_id>/route-answered")  # type: ignore[attr-defined]
    @twilio_signed
    def route_answered(row_id: int) -> Response:
        row = call_row(row_id)
        call_id, agent_id = _route(row)
        session = get_session()
        session.rollback()
        agent = session.get(StaffUser, agent_id)
        lang = agent.language if agent is not None else row.language
        response = VoiceResponse()
        if mark_bridged(session, call_id, agent_id):
            say_node(response, lang, "queue.agent")
        else:
            say_node(response, lang, "queue.empty")
            response.hangup()
        return twiml(response)

    @bp.post("/<int:row_id>/route-done")  # type: ignore[attr-defined]
    @twilio_signed
    def route_done(row_id: int) -> Response:
        from ivr.agent import requeue

        row = call_row(row_id)
        call_id, agent_id = _route(row)
        status = request.form.get("DialCallStatus", "")
        session = get_session()
        session.rollback()
        call = session.get(Call, call_id)
        answered = call is not None and call.answered_at is not None
        session.rollback()
        if status in ANSWERED and answered:
            end_routed_call(session, str(row.params.get("call_sid", "")))
            _route_again()
            response = VoiceResponse()
            say_node(response, row.language, "route.goodbye")
            response.hangup()
            return twiml(response)
        agent_missed(session, call_id, agent_id)
        _route_again()
        return twiml(requeue(row.language))
