"""Grievance workflow rules: SLA clock, claims, transfers, replies, feedback, escalation."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking_core.base import InvalidInput
from booking_core.outbox import OutboxKind, OutboxMessage
from grievances.escalation import escalate_overdue
from grievances.models import GrievanceEvent, GrievanceStatus, PublicHoliday
from grievances.sla import calendar_days_deadline, working_days_deadline
from grievances.workflow import (
    MAX_TRANSFERS,
    AlreadyClaimed,
    InvalidTransition,
    TransferLimitReached,
    add_note,
    claim_grievance,
    close_grievance,
    record_citizen_feedback,
    reopen_grievance,
    reply_to_citizen,
    resolve_grievance,
    send_interim_reply,
    transfer_grievance,
)
from helpline.app import create_app
from helpline.grievance_jobs import run_escalations
from locales.formatting import sms_date
from tests.conftest import make_settings
from tests.factories import make_hospital
from tests.fixtures_console import make_grievance, make_staff

IST = ZoneInfo("Asia/Kolkata")


def ist(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=IST).astimezone(dt.UTC)


def events(session, grievance_id):
    return [e.kind for e in session.scalars(
        select(GrievanceEvent).where(GrievanceEvent.grievance_id == grievance_id)
        .order_by(GrievanceEvent.id))]


def sms(session, grievance_id):
    return [m.template for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.grievance_id == grievance_id,
                                    OutboxMessage.kind == OutboxKind.SMS)
        .order_by(OutboxMessage.id))]


# --- the SLA clock --------------------------------------------------------------------

def test_acknowledgement_counts_working_days_only():
    # Friday 7 March 2025, 15:00 IST: Monday and Tuesday are the two working days.
    due = working_days_deadline(ist(2025, 3, 7, 15), 2, set())
    assert due == ist(2025, 3, 12)  # the end of Tuesday 11 March
    # Registered on a Saturday night (UTC already Sunday? no: IST is what counts).
    assert working_days_deadline(ist(2025, 3, 8, 23, 30), 2, set()) == ist(2025, 3, 12)
    # Monday 10 March is a holiday: Tuesday and Wednesday count.
    assert working_days_deadline(ist(2025, 3, 7, 15), 2, {dt.date(2025, 3, 10)}) == ist(
        2025, 3, 13)


def test_resolution_counts_calendar_days_in_local_time():
    # 23:30 IST on 1 March is still 1 March locally although UTC says 18:00.
    assert calendar_days_deadline(ist(2025, 3, 1, 23, 30), 15) == ist(2025, 3, 17)


def test_registration_routes_category_and_starts_the_clock(session):
    with session.begin():
        session.add(PublicHoliday(day=dt.date(2025, 3, 10), name="Holi (test)"))
    g = make_grievance(session, category="medicines_unavailable", now=ist(2025, 3, 7, 15))
    assert (g.desk, g.priority) == ("pharmacy", 1)
    assert g.acknowledge_due_at == ist(2025, 3, 13)
    assert g.resolve_due_at == ist(2025, 3, 23)


# --- claims and work ------------------------------------------------------------------

def test_claim_acknowledges_once_and_refuses_a_second_agent(session, agent, other_agent):
    g = make_grievance(session)
    claimed = claim_grievance(session, g.id, agent_id=agent.id, actor=agent.username)
    assert claimed.assigned_to_id == agent.id
    assert claimed.status == GrievanceStatus.ACKNOWLEDGED
    with pytest.raises(AlreadyClaimed):
        claim_grievance(session, g.id, agent_id=other_agent.id, actor=other_agent.username)
    # Claiming again by the owner changes nothing.
    claim_grievance(session, g.id, agent_id=agent.id, actor=agent.username)
    assert events(session, g.id) == ["registered", "claimed", "acknowledged"]
    assert sms(session, g.id) == ["grievance_registered", "grievance_acknowledged_helpline"]


def test_notes_replies_and_interim_reply_are_audited(session, agent):
    g = make_grievance(session, language="en")
    add_note(session, g.id, "Called the sanitation in-charge", actor=agent.username)
    reply_to_citizen(session, g.id, "action", actor=agent.username)
    today = dt.datetime.now(IST).date()
    send_interim_reply(session, g.id, today + dt.timedelta(days=20), actor=agent.username)
    with pytest.raises(InvalidInput):
        reply_to_citizen(session, g.id, "anything", actor=agent.username)
    session.expire_all()
    event_rows = session.scalars(select(GrievanceEvent).where(
        GrievanceEvent.grievance_id == g.id).order_by(GrievanceEvent.id)).all()
    assert [e.kind for e in event_rows] == [
        "registered", "note", "acknowledged", "replied", "interim_reply"]
    assert all(e.actor == agent.username and e.channel == "agent" for e in event_rows[1:])
    assert event_rows[1].details["text"] == "Called the sanitation in-charge"
    interim = session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "grievance_interim")).one()
    expected = sms_date("en", today + dt.timedelta(days=20))
    assert expected in interim.body and g.reference in interim.body
    assert session.get(type(g), g.id).status == GrievanceStatus.IN_PROGRESS


def test_transfers_stop_at_three(session, agent):
    hospitals = [make_hospital(session) for _ in range(MAX_TRANSFERS + 1)]
    g = make_grievance(session, hospital_id=hospitals[0].id)
    claim_grievance(session, g.id, agent_id=agent.id, actor=agent.username)
    for n, target in enumerate(hospitals[1:], start=1):
        moved = transfer_grievance(session, g.id, hospital_id=target.id, reason="not ours",
                                   actor=agent.username)
        assert (moved.transfer_count, moved.hospital_id, moved.assigned_to_id) == (
            n, target.id, None)
    with pytest.raises(TransferLimitReached):
        transfer_grievance(session, g.id, hospital_id=hospitals[0].id, actor=agent.username)
    assert sms(session, g.id).count("grievance_transferred") == MAX_TRANSFERS


def test_close_queues_the_follow_up_call_once(session, agent):
    g = make_grievance(session)
    with pytest.raises(InvalidTransition):
        close_grievance(session, g.id, actor=agent.username)
    resolve_grievance(session, g.id, "Toilets cleaned; roster fixed", actor=agent.username)
    close_grievance(session, g.id, actor=agent.username)
    close_grievance(session, g.id, actor=agent.username)
    calls = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == OutboxKind.CALL)).all()
    assert [(c.template, c.dedupe_key, c.params) for c in calls] == [
        ("grievance_followup", f"grievance:{g.id}:followup", {"grievance_id": g.id})]
    assert calls[0].to_phone == g.citizen.phone


def test_not_solved_feedback_reopens_as_an_appeal(session, agent):
    g = make_grievance(session)
    resolve_grievance(session, g.id, "done", actor=agent.username)
    close_grievance(session, g.id, actor=agent.username)
    after = record_citizen_feedback(session, g.id, solved=False, channel="ivr")
    assert after.status == GrievanceStatus.REOPENED
    assert after.escalation_level == 2 and after.appeal_opened_at is not None
    assert after.resolve_due_at > after.feedback_at
    # The IVR asking again changes nothing more.
    record_citizen_feedback(session, g.id, solved=False, channel="ivr")
    assert events(session, g.id)[-4:] == ["closed", "feedback", "reopened", "appeal_opened"]
    assert sms(session, g.id)[-1] == "grievance_appeal"


def test_poor_rating_appeals_and_good_rating_closes(session, agent):
    poor = make_grievance(session)
    good = make_grievance(session)
    for g in (poor, good):
        resolve_grievance(session, g.id, "done", actor=agent.username)
    assert record_citizen_feedback(session, poor.id, solved=True, rating=1,
                                   channel="ivr").escalation_level == 2
    closed = record_citizen_feedback(session, good.id, solved=True, rating=5, channel="ivr")
    assert closed.status == GrievanceStatus.CLOSED and closed.feedback_rating == 5
    with pytest.raises(InvalidInput):
        record_citizen_feedback(session, good.id, solved=True, rating=9, channel="ivr")


def test_reopen_needs_a_resolved_grievance(session, agent):
    g = make_grievance(session)
    with pytest.raises(InvalidTransition):
        reopen_grievance(session, g.id, "citizen called", actor=agent.username)
    resolve_grievance(session, g.id, "done", actor=agent.username)
    for empty in ("", "   ", "\n", "x" * 301):  # the history must say why
        with pytest.raises(InvalidInput) as refused:
            reopen_grievance(session, g.id, empty, actor=agent.username)
        assert refused.value.details["field"] == "reason"
    assert events(session, g.id).count("reopened") == 0
    again = reopen_grievance(session, g.id, "  citizen called  ", actor=agent.username)
    assert again.status == GrievanceStatus.REOPENED and again.resolved_at is None
    reopened = session.scalars(select(GrievanceEvent).where(
        GrievanceEvent.grievance_id == g.id, GrievanceEvent.kind == "reopened")).one()
    assert reopened.details["reason"] == "citizen called"


# --- escalation -----------------------------------------------------------------------

def test_escalation_job_escalates_each_late_grievance_once(session, settings):
    now = dt.datetime.now(dt.UTC)
    late = make_grievance(session, now=now - dt.timedelta(days=20))
    unacknowledged = make_grievance(session, now=now - dt.timedelta(days=6))
    fresh = make_grievance(session, now=now)
    assert escalate_overdue(session, now=now) == 2
    assert escalate_overdue(session, now=now) == 0
    session.expire_all()
    statuses = {g.id: (g.status, g.escalation_level) for g in (
        session.get(type(late), x.id) for x in (late, unacknowledged, fresh))}
    assert statuses == {
        late.id: (GrievanceStatus.ESCALATED, 1),
        unacknowledged.id: (GrievanceStatus.ESCALATED, 1),
        fresh.id: (GrievanceStatus.REGISTERED, 0),
    }
    ev = session.scalars(select(GrievanceEvent).where(GrievanceEvent.kind == "escalated")
                         .order_by(GrievanceEvent.grievance_id)).all()
    assert [(e.grievance_id, e.details["deadline"], e.channel) for e in ev] == [
        (late.id, "acknowledge", "system"), (unacknowledged.id, "acknowledge", "system")]


def test_periodic_entry_runs_without_arguments(session, app):
    from helpline.periodic import PERIODIC_TASKS

    task = next(t for t in PERIODIC_TASKS if t.target.endswith(":run_escalations"))
    module, _, name = task.target.partition(":")
    assert getattr(__import__(module, fromlist=[name]), name) is run_escalations
    make_grievance(session, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    with app.app_context():
        assert run_escalations() == {"escalated": 1, "closed": 0}
        assert run_escalations() == {"escalated": 0, "closed": 0}


@pytest.mark.postgres
def test_two_agents_claiming_at_once_one_wins(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        agents = [make_staff(s, f"racer{i}") for i in range(8)]
        grievance_id = make_grievance(s).id
    barrier = threading.Barrier(len(agents))
    outcomes: list[str] = []

    def claim(agent_id: int, name: str) -> None:
        with helpline.session() as s:
            barrier.wait(timeout=10)
            try:
                claim_grievance(s, grievance_id, agent_id=agent_id, actor=name)
                outcomes.append("won")
            except AlreadyClaimed:
                outcomes.append("lost")

    threads = [threading.Thread(target=claim, args=(a.id, a.username)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    with helpline.session() as s:
        assert events(s, grievance_id).count("claimed") == 1
        assert sms(s, grievance_id).count("grievance_acknowledged_helpline") == 1
    helpline.engine.dispose()


def test_grievance_sms_fit_two_segments_with_longest_variables():
    """DLT variables are at most 30 characters; Hindi is UCS-2 (67 per part when split),
    English GSM-7 (153 per part)."""
    from locales import catalogs

    params = {"reference": "61234567", "hospital": "x" * 30, "date": "30 सितंबर 2025"}
    keys = [k for k in catalogs()["en"] if k.startswith("sms.grievance_")]
    assert len(keys) >= 9
    for key in keys:
        hi = catalogs()["hi"][key].format(**{**params, "hospital": "अ" * 30})
        en = catalogs()["en"][key].format(**{**params, "date": "30 Sept 2025"})
        assert len(hi) <= 2 * 67, key
        assert len(en) <= 2 * 153 and en.isascii(), key


# --- a complaint about no hospital: whole sentences, not the helpline in a hospital's place

@pytest.mark.parametrize("language", ["hi", "en"])
def test_sms_about_a_complaint_with_no_hospital_are_whole_sentences(session, agent, language):
    g = make_grievance(session, language=language)
    assert g.hospital_id is None
    claim_grievance(session, g.id, agent_id=agent.id, actor=agent.username)
    reply_to_citizen(session, g.id, "action", actor=agent.username)
    bodies = {m.template: m.body for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.grievance_id == g.id))}
    assert set(bodies) >= {"grievance_acknowledged_helpline", "grievance_reply_action_helpline"}
    assert "grievance_acknowledged" not in bodies and "grievance_reply_action" not in bodies
    name = "दिल्ली स्वास्थ्य हेल्पलाइन" if language == "hi" else "Delhi Health Helpline"
    for template in ("grievance_acknowledged_helpline", "grievance_reply_action_helpline"):
        body = bodies[template]
        assert body.count(name) == 1, body  # said once, as the sender
        assert g.reference in body
        assert "कर रहा है" not in body  # «हेल्पलाइन» is feminine; «हम ... कर रहे हैं»


def test_sms_about_a_complaint_at_a_hospital_name_the_hospital(session, agent, hospital):
    g = make_grievance(session, hospital_id=hospital.id, language="en")
    claim_grievance(session, g.id, agent_id=agent.id, actor=agent.username)
    reply_to_citizen(session, g.id, "action", actor=agent.username)
    bodies = {m.template: m.body for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.grievance_id == g.id))}
    assert hospital.short_name("en") in bodies["grievance_reply_action"]
    assert hospital.short_name("en") in bodies["grievance_acknowledged"]
