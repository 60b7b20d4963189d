"""Staff escalate a grievance by hand, with a reason, before any deadline passes: one
level up as the clock would, the supervisors responsible told by badge and SMS with who
and why, once however often the form is sent, never by another hospital's staff."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading

import pytest
from sqlalchemy import select

from booking_core.base import InvalidInput, NotFound
from booking_core.outbox import OutboxMessage
from grievances.escalation import (
    MAX_ESCALATION_REASON,
    AlreadyEscalated,
    GrievanceChanged,
    escalate_grievance,
    escalate_overdue,
)
from grievances.models import Grievance, GrievanceEvent, GrievanceStatus
from grievances.notifications import StaffNotification
from grievances.workflow import (
    InvalidTransition,
    close_grievance,
    record_citizen_feedback,
    resolve_grievance,
)
from helpline.app import create_app
from locales import render
from messaging.dlt import dlt_pattern
from tests.conftest import make_settings
from tests.factories import make_hospital
from tests.fixtures_console import ConsoleClient, make_grievance, make_staff

REASON = "The caller says he will harm the ward doctor tonight."


@pytest.fixture
def people(session):
    """A grievance about Hanuman Hospital and one about no hospital; Hanuman's supervisor
    (in Hindi), another hospital's clerk and supervisor, the helpline's agent (in
    English), its supervisor and an admin. Plain ids: a row read again would hold
    SQLite's lock during a request."""
    hanuman = make_hospital(session, name_en="Hanuman Hospital")
    other = make_hospital(session, name_en="Other Hospital")
    ids = {"ours": make_grievance(session, hospital_id=hanuman.id).id,
           "nowhere": make_grievance(session, description="The ambulance never came.").id}
    for username, role, hospital, lang in (
            ("super.hanuman", "supervisor", hanuman.id, "hi"),
            ("opd.other", "agent", other.id, "en"),
            ("super.other", "supervisor", other.id, "en"),
            ("agent.helpline", "agent", None, "en"),
            ("agent.hindi", "agent", None, "hi"),
            ("super.helpline", "supervisor", None, "en"),
            ("admin.one", "admin", None, "en")):
        ids[username] = make_staff(session, username, role=role, hospital_id=hospital,
                                   language=lang,
                                   display_name=username.replace(".", " ").title()).id
    session.rollback()
    return ids


def _grievance(session, grievance_id: int) -> Grievance:
    session.expire_all()
    return session.get_one(Grievance, grievance_id)


def _events(session, grievance_id: int, kind: str = "escalated_by_staff"):
    rows = list(session.scalars(select(GrievanceEvent).where(
        GrievanceEvent.grievance_id == grievance_id, GrievanceEvent.kind == kind)))
    session.rollback()
    return rows


def _notices(session, grievance_id: int) -> list[StaffNotification]:
    rows = list(session.scalars(select(StaffNotification).where(
        StaffNotification.grievance_id == grievance_id).order_by(StaffNotification.staff_id)))
    session.rollback()
    return rows


def _sms(session, grievance_id: int) -> list[OutboxMessage]:
    rows = list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.grievance_id == grievance_id,
        OutboxMessage.template.like("supervisor_%"))))
    session.rollback()
    return rows


# --- the domain ----------------------------------------------------------------------


def test_an_agent_escalates_to_the_hospitals_supervisor_with_a_reason(session, people, now):
    raised = escalate_grievance(session, people["ours"], staff_id=people["agent.helpline"],
                                reason=f"  {REASON}  ", seen_level=0, now=now)
    assert (raised.escalation_level, raised.status) == (1, GrievanceStatus.ESCALATED)
    assert raised.escalated_at == now
    [event] = _events(session, people["ours"])
    assert event.actor == "agent.helpline" and event.channel == "agent"
    assert event.details == {"reason": REASON, "level": 1,
                             "staff_id": people["agent.helpline"]}
    [notice] = _notices(session, people["ours"])  # the hospital's supervisor alone
    assert notice.staff_id == people["super.hanuman"]
    assert (notice.kind, notice.reason_text, notice.raised_by_id) == (
        "escalated_by_staff", REASON, people["agent.helpline"])
    [sms] = _sms(session, people["ours"])
    assert sms.template == "supervisor_escalated_by_staff" and sms.language == "hi"
    assert dlt_pattern("hi", "sms.supervisor_escalated_by_staff").fullmatch(sms.body)
    # the clock finds it escalated already (only the other, late one, escalates)
    assert escalate_overdue(session, now=now + dt.timedelta(days=60)) == 1
    assert _grievance(session, people["ours"]).escalation_level == 1
    assert [n.kind for n in _notices(session, people["ours"])] == ["escalated_by_staff"]


def test_a_grievance_about_no_hospital_goes_to_the_helplines_supervisors(session, people):
    escalate_grievance(session, people["nowhere"], staff_id=people["agent.helpline"],
                       reason=REASON, seen_level=0)
    assert [n.staff_id for n in _notices(session, people["nowhere"])] == [
        people["super.helpline"]]


def test_an_appeal_escalates_to_the_senior_officers(session, people, now):
    gid = people["nowhere"]
    resolve_grievance(session, gid, "Ambulance service spoken to.", actor="agent.helpline")
    close_grievance(session, gid, actor="agent.helpline")
    record_citizen_feedback(session, gid, solved=False, channel="ivr")
    assert _grievance(session, gid).escalation_level == 2
    session.rollback()
    escalate_grievance(session, gid, staff_id=people["agent.helpline"], reason=REASON,
                       seen_level=2, now=now)
    assert _grievance(session, gid).escalation_level == 3
    assert {(n.staff_id, n.kind) for n in _notices(session, gid)} == {
        (people["super.helpline"], "appeal_escalated_by_staff"),
        (people["admin.one"], "appeal_escalated_by_staff")}


@pytest.mark.parametrize("reason", ["", "   ", "x" * (MAX_ESCALATION_REASON + 1)])
def test_a_reason_is_required(session, people, reason):
    with pytest.raises(InvalidInput) as refused:
        escalate_grievance(session, people["ours"], staff_id=people["agent.helpline"],
                           reason=reason, seen_level=0)
    assert refused.value.details == {"field": "escalation_reason"}
    assert _grievance(session, people["ours"]).escalation_level == 0
    assert _notices(session, people["ours"]) == []


def test_a_resolved_or_closed_grievance_is_not_escalated(session, people):
    gid = people["nowhere"]
    resolve_grievance(session, gid, "Ambulance service spoken to.", actor="agent.helpline")
    for step in ("resolved", "closed"):
        with pytest.raises(InvalidTransition):
            escalate_grievance(session, gid, staff_id=people["agent.helpline"],
                               reason=REASON, seen_level=0)
        assert _grievance(session, gid).escalation_level == 0, step
        close_grievance(session, gid, actor="agent.helpline")
    assert _events(session, gid) == [] and _notices(session, gid) == []


def test_another_hospitals_staff_cannot_escalate(session, people):
    for grievance, person in (("ours", "opd.other"), ("ours", "super.other"),
                              ("nowhere", "super.hanuman")):
        with pytest.raises(NotFound):
            escalate_grievance(session, people[grievance], staff_id=people[person],
                               reason=REASON, seen_level=0)
        assert _grievance(session, people[grievance]).escalation_level == 0
    # the hospital's own supervisor may
    escalate_grievance(session, people["ours"], staff_id=people["super.hanuman"],
                       reason=REASON, seen_level=0)
    assert _grievance(session, people["ours"]).escalation_level == 1


def test_a_form_sent_twice_escalates_once(session, people):
    for _ in range(2):
        escalate_grievance(session, people["ours"], staff_id=people["agent.helpline"],
                           reason=REASON, seen_level=0)
    assert _grievance(session, people["ours"]).escalation_level == 1
    assert len(_events(session, people["ours"])) == 1
    assert len(_notices(session, people["ours"])) == 1 and len(_sms(session, people["ours"])) == 1
    # a colleague's form from before is told it is escalated already
    with pytest.raises(AlreadyEscalated):
        escalate_grievance(session, people["ours"], staff_id=people["agent.hindi"],
                           reason=REASON, seen_level=0)
    assert len(_events(session, people["ours"])) == 1


def test_a_grievance_escalated_by_the_clock_is_not_escalated_again(session, people, now):
    late = make_grievance(session, now=now - dt.timedelta(days=30)).id
    assert escalate_overdue(session, now=now) == 1
    for seen in (0, 1, None):
        with pytest.raises(AlreadyEscalated):
            escalate_grievance(session, late, staff_id=people["agent.helpline"],
                               reason=REASON, seen_level=seen)
    assert _grievance(session, late).escalation_level == 1


def test_a_form_from_before_an_appeal_is_refused(session, people):
    gid = people["nowhere"]
    resolve_grievance(session, gid, "Ambulance service spoken to.", actor="agent.helpline")
    close_grievance(session, gid, actor="agent.helpline")
    record_citizen_feedback(session, gid, solved=False, channel="ivr")
    with pytest.raises(GrievanceChanged):
        escalate_grievance(session, gid, staff_id=people["agent.helpline"], reason=REASON,
                           seen_level=0)
    assert _grievance(session, gid).escalation_level == 2


@pytest.mark.postgres
@pytest.mark.parametrize("same_agent", [True, False])
def test_escalations_at_once_from_the_same_form_raise_the_level_once(pg_database_url,
                                                                     same_agent):
    app = create_app(make_settings(pg_database_url))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        make_staff(s, "super.race", role="supervisor")
        agents = [make_staff(s, f"racer{i}").id for i in range(6)]
        grievance_id = make_grievance(s).id
    if same_agent:
        agents = [agents[0]] * len(agents)
    barrier = threading.Barrier(len(agents))
    outcomes: list[str] = []

    def escalate(staff_id: int) -> None:
        with helpline.session() as s:
            barrier.wait(timeout=10)
            try:
                level = escalate_grievance(s, grievance_id, staff_id=staff_id, reason=REASON,
                                           seen_level=0).escalation_level
                outcomes.append(f"level {level}")
            except AlreadyEscalated:
                outcomes.append("refused")

    threads = [threading.Thread(target=escalate, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # the same person's repeats return the escalated grievance; others are refused
    assert sorted(outcomes) == (["level 1"] * 6 if same_agent
                                else ["level 1"] + ["refused"] * 5)
    with helpline.session() as s:
        assert s.get_one(Grievance, grievance_id).escalation_level == 1
        assert len(_events(s, grievance_id)) == 1
        assert len(_notices(s, grievance_id)) == 1 and len(_sms(s, grievance_id)) == 1
    helpline.engine.dispose()


# --- the console ---------------------------------------------------------------------


def _text(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def _sign_in(console: ConsoleClient, username: str) -> None:
    assert console.login(username).status_code == 302


def test_an_agent_escalates_from_the_grievance_page(session, console, people):
    _sign_in(console, "agent.helpline")
    page = _text(console.get(f"/console/grievances/{people['ours']}"))
    form = re.search(r'<form[^>]*id="form-escalate"[^>]*>.*?</form>', page, re.S)
    assert form, "no Escalate form"
    assert f'data-confirm="{render("en", "console.confirm_escalate")}"' in form.group(0)
    assert 'name="level" value="0"' in form.group(0)
    assert render("en", "console.escalate_hint") in form.group(0)

    sent = {"reason": REASON, "level": "0"}
    answer = console.post(f"/console/grievances/{people['ours']}/escalate", sent,
                          follow_redirects=True)
    page = _text(answer)
    assert render("en", "console.done_escalate") in page
    history = re.search(r'<ol class="events[^"]*" id="events">.*?</ol>', page, re.S).group(0)
    assert render("en", "console.event.escalated_by_staff") in history
    # who: the display name, never the username (the history names people)
    assert REASON in history and "Agent Helpline" in history and "agent.helpline" not in history
    assert 'id="form-escalate"' not in page  # with the supervisors now: nothing to offer
    # the same form sent again (a double click, the back button): no second escalation
    again = _text(console.post(f"/console/grievances/{people['ours']}/escalate", sent,
                               follow_redirects=True))
    assert render("en", "console.done_escalate") in again
    assert len(_events(session, people["ours"])) == 1
    assert _grievance(session, people["ours"]).escalation_level == 1


def test_the_supervisor_sees_who_escalated_it_and_why(session, console, people, now):
    late = make_grievance(session, hospital_id=None, now=now - dt.timedelta(days=30))
    escalate_overdue(session, now=now)
    escalate_grievance(session, people["nowhere"], staff_id=people["agent.helpline"],
                       reason=REASON, seen_level=0)
    session.rollback()
    _sign_in(console, "super.helpline")
    page = _text(console.get("/console/escalations"))
    rows = dict(re.findall(r'<tr[^>]*>(?:(?!</tr>).)*?>(\d{6,})</a>((?:(?!</tr>).)*)</tr>',
                           page, re.S))
    reference = _grievance(session, people["nowhere"]).reference
    manual = rows[reference]
    assert render("en", "console.notice.escalated_by_staff") in manual
    assert render("en", "console.escalated_by", name="Agent Helpline") in manual
    assert REASON in manual
    overdue = rows[late.reference]
    assert render("en", "console.notice.grievance_escalated") in overdue
    assert REASON not in overdue and "Agent Helpline" not in overdue


def test_the_hospitals_supervisor_reads_it_in_hindi(session, console, people):
    _sign_in(console, "agent.hindi")
    page = _text(console.get(f"/console/grievances/{people['ours']}"))
    assert render("hi", "console.escalate") in page
    assert render("hi", "console.escalate_hint") in page
    answer = console.post(f"/console/grievances/{people['ours']}/escalate",
                          {"reason": "मरीज़ के बेटे ने डॉक्टर को धमकी दी।", "level": "0"},
                          follow_redirects=True)
    page = _text(answer)
    assert render("hi", "console.done_escalate") in page
    assert render("hi", "console.event.escalated_by_staff") in page
    console.post("/console/logout")
    _sign_in(console, "super.hanuman")
    page = _text(console.get("/console/escalations"))
    assert render("hi", "console.notice.escalated_by_staff") in page
    assert render("hi", "console.escalated_by", name="Agent Hindi") in page
    assert "मरीज़ के बेटे ने डॉक्टर को धमकी दी।" in page


def test_the_page_refuses_in_words_without_a_reason_or_once_closed(session, console, people):
    _sign_in(console, "agent.helpline")
    answer = console.post(f"/console/grievances/{people['nowhere']}/escalate",
                          {"reason": " ", "level": "0"}, follow_redirects=True)
    assert render("en", "console.err.invalid_input.escalation_reason") in _text(answer)
    resolve_grievance(session, people["nowhere"], "Spoken to the ambulance service.",
                      actor="agent.helpline")
    session.rollback()
    page = _text(console.get(f"/console/grievances/{people['nowhere']}"))
    assert 'id="form-escalate"' not in page
    answer = console.post(f"/console/grievances/{people['nowhere']}/escalate",
                          {"reason": REASON, "level": "0"}, follow_redirects=True)
    assert render("en", "console.err.invalid_transition") in _text(answer)
    assert _grievance(session, people["nowhere"]).escalation_level == 0
    assert _events(session, people["nowhere"]) == []


def test_another_hospitals_staff_get_404(session, console, people):
    _sign_in(console, "opd.other")
    assert console.get(f"/console/grievances/{people['ours']}").status_code == 404
    answer = console.post(f"/console/grievances/{people['ours']}/escalate",
                          {"reason": REASON, "level": "0"})
    assert answer.status_code == 404
    assert _grievance(session, people["ours"]).escalation_level == 0


@pytest.mark.parametrize("key", [
    "console.escalate", "console.escalation_reason", "console.escalate_hint",
    "console.escalate_hint_appeal", "console.confirm_escalate", "console.done_escalate",
    "console.err.invalid_input.escalation_reason", "console.err.already_escalated",
    "console.err.grievance_changed", "console.event.escalated_by_staff",
    "console.notice.escalated_by_staff", "console.notice.appeal_escalated_by_staff",
    "console.appeal_with_senior_officers", "console.confirm_escalate_appeal",
    "console.done_escalate_appeal"])
def test_every_escalation_word_is_in_both_languages(key):
    english, hindi = render("en", key), render("hi", key)
    assert english and hindi and english != hindi and key not in english + hindi
    assert re.search("[\u0900-\u097f]", hindi) and not re.search("[A-Za-z]", hindi)


def test_an_appeal_with_the_senior_officers_says_so_on_its_status_line(
        session, console, people, now):
    lang = "en"
    gid = people["nowhere"]
    resolve_grievance(session, gid, "Ambulance service spoken to.", actor="agent.helpline")
    close_grievance(session, gid, actor="agent.helpline")
    record_citizen_feedback(session, gid, solved=False, channel="ivr")
    session.rollback()
    _sign_in(console, "super.helpline")
    form = re.search(r'<form[^>]*id="form-escalate"[^>]*>',
                     _text(console.get(f"/console/grievances/{gid}"))).group(0)
    # The appeal goes to the senior officers: the question and the answer say so.
    assert f'data-confirm="{render(lang, "console.confirm_escalate_appeal")}"' in form
    page = _text(console.post(f"/console/grievances/{gid}/escalate",
                              {"reason": REASON, "level": "2"}, follow_redirects=True))
    assert render(lang, "console.done_escalate_appeal") in page
    assert render(lang, "console.done_escalate") not in page
    status = re.search(r'<dd[^>]*id="status">(.*?)</dd>', page, re.S).group(1)
    assert render(lang, "console.appeal_with_senior_officers") in status, status
    queue = _text(console.get("/console/?scope=escalated"))
    row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*{_grievance(session, gid).reference}'
                    r'(?:(?!</tr>).)*</tr>', queue, re.S)
    assert row and render(lang, "console.appeal") in row.group(0), queue[-3000:]


@pytest.mark.parametrize("level", ["junk", "", "-1", "99999999999999999999"])
def test_a_form_without_the_level_it_showed_is_refused_not_escalated(
        session, console, people, level):
    _sign_in(console, "agent.helpline")
    page = _text(console.post(f"/console/grievances/{people['ours']}/escalate",
                              {"reason": REASON, "level": level}, follow_redirects=True))
    assert render("en", "console.err.grievance_changed") in page
    assert _grievance(session, people["ours"]).escalation_level == 0
    assert _events(session, people["ours"]) == []
