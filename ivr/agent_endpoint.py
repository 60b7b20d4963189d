"""Where an agent takes calls: their own phone, or the console's browser phone.

The one place that turns an agent into the thing Twilio rings, for whichever side
connects a caller to them (routing a queued caller, a callback bridge):

- ``agent_dial(agent, browser=...)``: the ``<Dial>`` verb with ``<Number>`` (their phone)
  or ``<Client>agent-<id></Client>`` (the browser phone signed in with that identity);
- ``agent_address(agent, browser=...)``: the ``To`` of a REST call placed to the agent
  (the phone number, or ``client:agent-<id>``);
- ``client_identity(agent_id)``: the identity in the browser phone's access token
  (``agent_console.views_phone``), so the token and the ``<Client>`` always agree.
"""

from __future__ import annotations

from typing import Any

from twilio.twiml.voice_response import Dial

from booking_core.base import InvalidInput
from contact_centre.models import StaffUser

CLIENT_PREFIX = "agent-"


class AgentUnreachable(InvalidInput):
    code = "no_agent_phone"


def client_identity(agent_id: int) -> str:
    """``agent-<staff id>``: the browser phone's Twilio Client identity."""
    return f"{CLIENT_PREFIX}{int(agent_id)}"


def agent_address(agent: StaffUser, *, browser: bool) -> str:
    """What Twilio calls to reach the agent: ``client:agent-<id>`` for the browser
    phone, else the agent's phone (E.164). ``AgentUnreachable`` when a phone is wanted
    and the agent has none."""
    if browser:
        return f"client:{client_identity(agent.id)}"
    if not agent.phone:
        raise AgentUnreachable("the agent has no phone number", field="phone")
    return agent.phone


def agent_dial(agent: StaffUser, *, browser: bool, **dial_attributes: Any) -> Dial:
    """``<Dial ...><Client>agent-<id></Client></Dial>`` for the browser phone, or
    ``<Dial ...><Number>+91...</Number></Dial>`` for the agent's phone; attributes
    (``action``, ``timeout``, ``caller_id``...) go on ``<Dial>`` as twilio-python spells
    them. Append it to the caller's ``VoiceResponse``. ``AgentUnreachable`` as
    ``agent_address``."""
    dial = Dial(**dial_attributes)
    if browser:
        dial.client(client_identity(agent.id))
    else:
        dial.number(agent_address(agent, browser=False))
    return dial
