"""Callbacks in agents' hands, as the helpline's supervisors see and return them.

The callbacks page of a helpline supervisor (or admin) lists every claimed or calling
callback with its agent's name and state; **Return to the waiting list** puts a claimed
one back in its old place, recorded in the audit trail, and is refused with a sentence
when the callback changed after the page was drawn. One being called is never returned.
Signing out returns the agent's claimed callbacks. Agents and a hospital's supervisor
neither see nor return them. Forms are sent as the browser sends them.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading

import pytest
from sqlalchemy import select, update

from booking_core.audit import AuditAction, AuditEntry
from booking_core.base import utcnow
from contact_centre.callbacks import (
    call_back,
    claim_callback,
    my_callbacks,
    record_callback_outcome,
    release_callback,
    waiting_callbacks,
)
from contact_centre.models import AgentState, CallbackRequest, CallbackStatus, StaffUser
from contact_centre.wallboard import wallboard
from tests.factories import make_hospital
from tests.fixtures_console import ConsoleClient, make_staff, next_mobile

WORDS = {
    "en": {"section": "Claimed by agents", "release": "Return to the waiting list",
           "done": "The callback is back in the waiting list, in its old place.",
           "break": "On a break", "on_call": "On a call", "offline": "Offline",
           "calling": "Being called now", "ago": "25 minutes ago",
           "finished": "Not returned: the agent saved a result for this callback meanwhile.",
           "calling_refused": "Not returned: the agent is calling this citizen now.",
           "waiting": "Not returned: this callback is already back in the waiting list.",
           "other_hands": "Not returned: this callback was taken again after the page"},
    "hi": {"section": "एजेंटों के पास कॉल-बैक", "release": "इंतज़ार की सूची में वापस भेजें",
           "done": "कॉल-बैक इंतज़ार की सूची में अपनी पुरानी जगह पर वापस आ गया है।",
           "break": "ब्रेक पर", "on_call": "कॉल पर", "offline": "ऑफ़लाइन",
           "calling": "अभी कॉल हो रही है", "ago": "25 मिनट पहले",
           "finished": "वापस नहीं भेजा गया: इस बीच एजेंट ने इस कॉल-बैक का नतीजा सेव कर दिया।",
           "calling_refused": "वापस नहीं भेजा गया: एजेंट अभी इस नागरिक को कॉल कर रहे हैं।",
           "waiting": "वापस नहीं भेजा गया: यह कॉल-बैक पहले ही इंतज़ार की सूची में वापस आ चुका है।",
           "other_hands": "वापस नहीं भेजा गया: पेज खुलने के बाद यह कॉल-बैक फिर से लिया गया है।"},
}


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def held_rows(page: str) -> dict[int, str]:
    """The rows of the "claimed by agents" table, by callback id, in page order."""
    return {int(m.group(1)): m.group(2) for m in re.finditer(
        r'<tr data-held-id="(\d+)"[^>]*>(.*?)</tr>', page, re.S)}


def release_form(page: str, callback_id: int) -> dict[str, str] | None:
    found = re.search(rf'<form[^>]*action="/console/callbacks/{callback_id}/release"[^>]*>'
                      r"(.*?)</form>", page, re.S)
    if found is None:
        return None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                             found.group(1)))
    fields.pop("csrf_token")
    return fields


def send_release(console: ConsoleClient, form: dict[str, str], callback_id: int) -> str:
    answer = console.post(f"/console/callbacks/{callback_id}/release",
                          form)
    assert answer.status_code == 302
    return page_text(console.get("/console/callbacks"))


def signed_in(client, username: str) -> ConsoleClient:
    console = ConsoleClient(client)
    assert console.login(username).status_code == 302
    return console


def new_callback(session, *, minutes_ago: int = 60, reason: str = "queue_wait") -> int:
    with session.begin():
        callback = CallbackRequest(phone=next_mobile(), language="hi", reason=reason,
                                   requested_at=utcnow() - dt.timedelta(minutes=minutes_ago))
        session.add(callback)
    return callback.id


def claimed_by(session, agent_id: int, *, minutes_ago: int = 25, **kw) -> int:
    callback_id = new_callback(session, **kw)
    claim_callback(session, callback_id, agent_id=agent_id,
                   now=utcnow() - dt.timedelta(minutes=minutes_ago))
    session.commit()
    return callback_id


def put_in_state(session, agent_id: int, state: AgentState) -> None:
    with session.begin():
        session.execute(update(StaffUser).where(StaffUser.id == agent_id).values(state=state))


def stored(session, callback_id: int) -> tuple:
    session.rollback()
    row = session.get(CallbackRequest, callback_id, populate_existing=True)
    copy = (row.status, row.claimed_by_id, row.claimed_at, row.requested_at)
    session.rollback()
    return copy


def audit(session) -> list[tuple]:
    entries = [(e.action, e.actor, e.entity_key, e.before, e.after) for e in session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "callback").order_by(AuditEntry.id))]
    session.rollback()
    return entries


@pytest.fixture
def asha(session):
    return make_staff(session, "agent.asha", display_name="Asha Verma")


@pytest.fixture
def ravi(session):
    return make_staff(session, "agent.ravi", display_name="Ravi Kumar")


@pytest.fixture
def supervisor(session, request):
    language = getattr(request, "param", "en")
    return make_staff(session, "super.meena", role="supervisor", language=language,
                      display_name="Meena Joshi")


@pytest.mark.parametrize("supervisor", ["en", "hi"], indirect=True)
def test_a_supervisor_sees_every_claimed_callback_with_its_agent_and_state(
        client, session, supervisor, asha, ravi):
    words = WORDS[supervisor.language]
    later = claimed_by(session, asha.id, minutes_ago=5)
    oldest = claimed_by(session, asha.id, minutes_ago=25, reason="after_hours")
    calling = claimed_by(session, ravi.id, minutes_ago=15)
    call_back(session, calling, agent=ravi)  # Ravi is On a call
    session.commit()
    put_in_state(session, asha.id, AgentState.BREAK)
    waiting_only = new_callback(session)
    page = page_text(signed_in(client, "super.meena").get("/console/callbacks"))
    assert words["section"] + " (3)" in page
    rows = held_rows(page)
    assert list(rows) == [oldest, calling, later]  # the one held longest first
    assert waiting_only not in rows
    phone = stored_phone(session, oldest)
    assert phone not in page and phone[-4:] in rows[oldest]  # masked, last digits shown
    assert "Asha Verma" in rows[oldest] and "agent.asha" not in page  # a name, never a username
    assert words["break"] in rows[oldest] and words["ago"] in rows[oldest]
    assert "Ravi Kumar" in rows[calling] and words["on_call"] in rows[calling]
    assert release_form(page, oldest) == {
        "agent": str(asha.id), "claimed": stored(session, oldest)[2].isoformat()}
    assert release_form(page, calling) is None and words["calling"] in rows[calling]
    assert words["release"] in rows[later]


def stored_phone(session, callback_id: int) -> str:
    phone = session.get(CallbackRequest, callback_id).phone
    session.rollback()
    return phone


def test_agents_and_a_hospitals_supervisor_neither_see_nor_return_them(
        app, client, session, asha, supervisor, admin_user):
    held = claimed_by(session, asha.id)
    hospital = make_hospital(session)
    make_staff(session, "super.lnh", role="supervisor", hospital_id=hospital.id)
    session.commit()
    claim = {"agent": str(asha.id), "claimed": stored(session, held)[2].isoformat()}
    admin = signed_in(app.test_client(), "admin.one")
    page = page_text(admin.get("/console/callbacks"))
    assert WORDS["en"]["section"] in page and release_form(page, held) is not None
    agent = signed_in(app.test_client(), "agent.asha")
    page = page_text(agent.get("/console/callbacks"))
    assert WORDS["en"]["section"] not in page and 'data-held-id' not in page
    assert agent.post(f"/console/callbacks/{held}/release", claim).status_code == 403
    hospitals = signed_in(app.test_client(), "super.lnh")
    assert hospitals.get("/console/callbacks").status_code == 403
    assert hospitals.post(f"/console/callbacks/{held}/release", claim).status_code == 403
    assert stored(session, held)[:2] == (CallbackStatus.CLAIMED, asha.id)


@pytest.mark.parametrize("supervisor", ["en", "hi"], indirect=True)
def test_return_puts_it_back_in_its_place_and_the_audit_trail_says_who(
        app, client, session, supervisor, asha):
    words = WORDS[supervisor.language]
    first = new_callback(session, minutes_ago=90)
    held = claimed_by(session, asha.id, minutes_ago=25, **{"reason": "agent"})
    last = new_callback(session, minutes_ago=10)
    # ``claimed_by`` made its request 60 minutes ago: between the other two.
    requested = stored(session, held)[3]
    assert [cb.id for cb in waiting_callbacks(session)] == [first, last]
    assert wallboard(session).callbacks_waiting == 2
    session.rollback()
    console = signed_in(client, "super.meena")
    page = page_text(console.get("/console/callbacks"))
    page = send_release(console, release_form(page, held), held)
    assert words["done"] in page
    assert held not in held_rows(page)
    assert stored(session, held) == (CallbackStatus.WAITING, None, None, requested)
    assert [cb.id for cb in waiting_callbacks(session)] == [first, held, last]
    assert my_callbacks(session, asha.id) == []
    assert wallboard(session).callbacks_waiting == 3
    session.rollback()
    assert audit(session) == [
        (AuditAction.UPDATED, "super.meena", str(held),
         {"status": "claimed", "claimed_by": "agent.asha"},
         {"status": "waiting", "claimed_by": None})]
    # The agent's page no longer has it, and anyone may claim it.
    agents_page = page_text(signed_in(app.test_client(), "agent.asha").get(
        "/console/callbacks"))
    assert f'id="callback-{held}"' not in agents_page
    assert f'action="/console/callbacks/{held}/claim"' in agents_page


@pytest.mark.parametrize("supervisor", ["en", "hi"], indirect=True)
@pytest.mark.parametrize("meanwhile", ["finished", "calling_refused", "waiting", "other_hands"])
def test_a_return_sent_from_a_page_drawn_before_the_callback_changed_is_refused(
        client, session, supervisor, asha, meanwhile):
    words = WORDS[supervisor.language]
    held = claimed_by(session, asha.id)
    console = signed_in(client, "super.meena")
    form = release_form(page_text(console.get("/console/callbacks")), held)
    if meanwhile == "finished":
        record_callback_outcome(session, held, agent_id=asha.id, outcome="reached")
    elif meanwhile == "calling_refused":
        call_back(session, held, agent=asha)
    else:  # another supervisor returned it (and Asha took it again)
        other = make_staff(session, "super.two", role="supervisor")
        claim = stored(session, held)[2]
        release_callback(session, held, by=other, expected_agent_id=asha.id,
                         seen_claimed_at=claim)
        if meanwhile == "other_hands":
            claim_callback(session, held, agent_id=asha.id)
    session.commit()
    before = stored(session, held)
    entries = audit(session)
    page = send_release(console, form, held)
    assert words[meanwhile] in page and words["done"] not in page
    assert stored(session, held) == before
    assert audit(session) == entries


def test_signing_out_returns_claimed_callbacks_but_not_one_being_called(
        client, session, asha, ravi):
    claimed = [claimed_by(session, asha.id, minutes_ago=m) for m in (20, 10)]
    calling = claimed_by(session, asha.id, minutes_ago=5)
    theirs = claimed_by(session, ravi.id)
    call_back(session, calling, agent=asha)
    session.commit()
    console = signed_in(client, "agent.asha")
    assert console.post("/console/logout").status_code == 302
    for callback_id in claimed:
        assert stored(session, callback_id)[:3] == (CallbackStatus.WAITING, None, None)
    assert stored(session, calling)[:2] == (CallbackStatus.CALLING, asha.id)
    assert stored(session, theirs)[:2] == (CallbackStatus.CLAIMED, ravi.id)
    assert [(e[1], e[2], e[4]) for e in audit(session)] == [
        ("agent.asha", str(n), {"status": "waiting", "claimed_by": None}) for n in claimed]
    assert [cb.id for cb in my_callbacks(session, asha.id)] == [calling]
    session.rollback()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("round_", range(3))
def test_a_return_and_the_agents_result_at_the_same_moment_exactly_one_wins(
        app, session, supervisor, asha, round_):
    held = claimed_by(session, asha.id)
    boss = signed_in(app.test_client(), "super.meena")
    agent = signed_in(app.test_client(), "agent.asha")
    form = release_form(page_text(boss.get("/console/callbacks")), held)
    agents_page = page_text(agent.get("/console/callbacks"))
    version = re.search(rf'action="/console/callbacks/{held}/outcome".*?name="version" '
                        r'value="(\d+)"', agents_page, re.S).group(1)
    start = threading.Barrier(2)
    answers: dict[str, int] = {}

    def release() -> None:
        start.wait(10)
        answers["release"] = boss.post(
            f"/console/callbacks/{held}/release", form).status_code

    def save() -> None:
        start.wait(10)
        answers["save"] = agent.post(f"/console/callbacks/{held}/outcome", {
            "version": version, "outcome": "reached", "notes": "Spoke to her"}).status_code

    threads = [threading.Thread(target=f) for f in (release, save)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == {"release": 302, "save": 302}
    boss_page = page_text(boss.get("/console/callbacks"))
    agent_page = page_text(agent.get("/console/callbacks"))
    released = WORDS["en"]["done"] in boss_page
    saved = "Outcome saved." in agent_page
    assert released != saved  # exactly one was applied
    status, owner, _, _ = stored(session, held)
    if released:
        assert WORDS["en"]["finished"] not in boss_page
        assert "Another agent has taken this callback." in agent_page
        assert (status, owner) == (CallbackStatus.WAITING, None)
        assert [e[1] for e in audit(session)] == ["super.meena"]
    else:
        assert WORDS["en"]["finished"] in boss_page
        assert (status, owner) == (CallbackStatus.DONE, asha.id)
        assert [e[1] for e in audit(session)] == ["agent.asha"]
