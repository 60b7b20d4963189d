"""An agent's own profile (their phone, where they take calls) and console errors that
say the real reason in the agent's language."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from contact_centre.models import AgentState, CallDevice, StaffUser
from locales import has_message, render
from tests.fixtures_console import make_staff

ROOT = Path(__file__).resolve().parent.parent


def _flash(page: str) -> str:
    found = re.search(r'<p class="flash error[^"]*"[^>]*>(.*?)</p>', page, re.S)
    assert found, "no error shown"
    return html.unescape(found.group(1)).strip()


def _agent(session, console, **kw) -> StaffUser:
    agent = make_staff(session, "agent.one", **kw)
    console.login("agent.one")
    return agent


def _fresh(session, agent_id: int) -> StaffUser:
    session.expire_all()
    agent = session.get(StaffUser, agent_id)
    session.commit()
    return agent


@pytest.mark.parametrize("typed", ["98123 45678", "098123-45678", "+91 98123 45678",
                                   "0091 98123 45678", "+91-9812345678", " 9812345678 "])
def test_agents_set_their_own_phone_however_they_write_it(session, console, typed):
    agent = _agent(session, console, phone=None)
    answer = console.post("/console/me/profile", {"phone": typed, "call_device": "phone"})
    assert answer.status_code == 302
    assert _fresh(session, agent.id).phone == "+919812345678"
    page = console.get("/console/me/profile").get_data(as_text=True)
    assert "Your profile is saved." in page and 'value="+919812345678"' in page


@pytest.mark.parametrize(("typed", "reason"), [
    ("011 2345 6789", "That is a landline: enter a mobile number."),
    ("+1 415 555 2671", "Only Indian mobile numbers (+91) can be used."),
    ("98123", "That is not a valid Indian number: check the digits."),
    ("call me", "That is not a phone number: enter 10 digits, such as 98123 45678."),
])
def test_a_wrong_phone_says_why_and_changes_nothing(session, console, typed, reason):
    agent = _agent(session, console, phone="+919800000001")
    answer = console.post("/console/me/profile", {"phone": typed, "call_device": "browser"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert _flash(page) == reason
    assert f'value="{html.escape(typed.strip(), quote=True)}"' in page  # typed text kept
    stored = _fresh(session, agent.id)
    assert (stored.phone, stored.call_device) == ("+919800000001", CallDevice.PHONE)


def test_an_available_agent_cannot_drop_the_phone_they_take_calls_on(session, console):
    agent = _agent(session, console, phone="+919800000001")
    console.post("/console/me/state", {"state": "available"})
    answer = console.post("/console/me/profile", {"phone": "", "call_device": "phone"})
    assert _flash(answer.get_data(as_text=True)) == (
        "Add your mobile number in My profile before taking calls.")
    assert _fresh(session, agent.id).phone == "+919800000001"  # one transaction: all or nothing


def test_going_available_without_a_phone_says_so_in_the_agents_language(session, console):
    agent = _agent(session, console, phone=None, language="hi")
    answer = console.post("/console/me/state", {"state": "available", "next": "/console/"})
    page = console.get(answer.headers["Location"]).get_data(as_text=True)
    assert _flash(page) == "कॉल लेने से पहले «मेरी प्रोफ़ाइल» में अपना मोबाइल नंबर जोड़िए।"
    assert _fresh(session, agent.id).state == AgentState.OFFLINE
    answer = console.post("/console/me/profile", {"phone": "०११", "call_device": "phone"})
    assert _flash(answer.get_data(as_text=True)) == "यह सही भारतीय नंबर नहीं है: अंक जाँच लीजिए।"


def test_a_state_only_calls_set_is_refused_with_its_reason(session, console):
    _agent(session, console)
    answer = console.post("/console/me/state", {"state": "on_call", "next": "/console/"})
    page = console.get(answer.headers["Location"]).get_data(as_text=True)
    assert _flash(page) == "Choose Available, On a break or Offline."


def _raised_fields() -> set[tuple[str, str]]:
    """(error class, field) of every domain error raised with a literal field name."""
    found = set()
    for package in ("booking_core", "grievances", "contact_centre"):
        for path in (ROOT / package).rglob("*.py"):
            for match in re.finditer(r'raise (\w+)\((?:[^()]|\([^()]*\))*?field=f?"([\w.]+)',
                                     path.read_text(), re.S):
                found.add((match.group(1), match.group(2).split(".")[0]))
    return found


def test_every_field_a_domain_error_names_has_words_in_both_languages():
    from booking_core import base

    generic = {"InvalidInput": "invalid_input", "Conflict": "conflict"}
    raised = _raised_fields()
    assert ("InvalidInput", "note") in raised  # the scan finds them
    missing = []
    for cls, field in sorted(raised):
        code = generic.get(cls)
        if code is None:
            continue  # its own class, its own code and words (checked below)
        if not has_message(f"console.err.{code}.{field}"):
            missing.append(f"console.err.{code}.{field}")
    assert missing == []
    for error in _subclasses(base.DomainError):
        key = f"console.err.{error.code}"
        if error.code in ("domain_error", "unauthenticated", "otp_rate_limited",
                          "otp_not_requested", "otp_expired", "otp_wrong_code",
                          "otp_attempts_exhausted"):
            continue  # the portal's and feed's errors: never shown in the console
        assert has_message(key), key
        assert render("hi", key) != render("en", key), key


def _subclasses(cls: type) -> set[type]:
    import booking_core.verification  # noqa: F401  (every error class imported)
    import contact_centre.agents  # noqa: F401
    import contact_centre.routing  # noqa: F401
    import grievances.workflow  # noqa: F401

    out = set()
    for sub in cls.__subclasses__():
        out.add(sub)
        out |= _subclasses(sub)
    return out
