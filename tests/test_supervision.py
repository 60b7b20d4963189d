"""Supervision that acts: escalations (appeals too) notify the supervisors responsible
by a console badge and an SMS; failed messages are resent or marked handled once; the
wallboard holds the service level against its target."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from booking_core.base import unit_of_work
from booking_core.outbox import OutboxMessage, OutboxStatus
from contact_centre.models import Call, CallOutcome
from grievances.escalation import escalate_overdue
from grievances.models import Grievance, GrievanceStatus
from grievances.notifications import StaffNotification, unseen_count
from grievances.workflow import close_grievance, record_citizen_feedback, resolve_grievance
from helpline.app import create_app
from messaging.dlt import dlt_pattern
from messaging.resend import AlreadyHandled, NotResendable, resend_failed_message
from tests.conftest import make_settings
from tests.factories import make_hospital
from tests.fixtures_console import ConsoleClient, make_grievance, make_staff
from tests.fixtures_messaging import deliver_now, messaging_app, queue_sms


def staff_sms(session, phone: str) -> list[OutboxMessage]:
    session.expire_all()
    rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.to_phone == phone)))
    session.rollback()  # end the read: SQLite's writers wait for readers
    return rows


def test_an_escalation_tells_the_hospitals_supervisor_by_badge_and_sms(session, console, now):
    hospital = make_hospital(session, name_en="Lok Nayak Hospital")
    other = make_hospital(session)
    mine = make_staff(session, "super.ln", role="supervisor", hospital_id=hospital.id,
                      language="hi")
    elsewhere = make_staff(session, "super.other", role="supervisor", hospital_id=other.id)
    central = make_staff(session, "super.central", role="supervisor")
    late = make_grievance(session, hospital_id=hospital.id, now=now - dt.timedelta(days=30))
    unplaced = make_grievance(session, now=now - dt.timedelta(days=30))

    assert escalate_overdue(session, now=now) == 2
    assert escalate_overdue(session, now=now) == 0  # once, however often it runs
    # The hospital's own supervisor hears of its grievance; the helpline's supervisor of
    # the one with no hospital; the other hospital's supervisor of neither.
    assert unseen_count(session, mine.id, within_hospital=hospital.id) == 1
    assert unseen_count(session, central.id, within_hospital=None) == 1
    assert unseen_count(session, elsewhere.id, within_hospital=other.id) == 0
    [sms] = staff_sms(session, mine.phone)
    assert sms.template == "supervisor_escalation" and sms.language == "hi"
    assert late.reference in sms.body
    assert dlt_pattern("hi", "sms.supervisor_escalation").fullmatch(sms.body)
    assert staff_sms(session, elsewhere.phone) == []
    assert [unplaced.reference in m.body for m in staff_sms(session, central.phone)] == [True]

    session.rollback()
    console.login("super.ln")
    home = console.get("/console/").get_data(as_text=True)
    assert re.search(r'id="escalation-badge">1 नया<', home)
    page = console.get("/console/escalations").get_data(as_text=True)
    assert late.reference in page and unplaced.reference not in page
    console.post("/console/escalations/seen")
    assert 'id="escalation-badge"' not in console.get("/console/").get_data(as_text=True)


def test_an_appeal_past_its_deadline_escalates_to_the_senior_officers(session, now):
    supervisor = make_staff(session, "super.app", role="supervisor")
    admin = make_staff(session, "admin.app", role="admin", language="en")
    grievance = make_grievance(session, now=now - dt.timedelta(days=40))
    resolve_grievance(session, grievance.id, "Cleaned", actor="super.app",
                      now=now - dt.timedelta(days=39))
    close_grievance(session, grievance.id, actor="super.app", channel="console",
                    now=now - dt.timedelta(days=38))
    record_citizen_feedback(session, grievance.id, solved=False, channel="ivr",
                            now=now - dt.timedelta(days=37))
    session.expire_all()
    assert session.get(Grievance, grievance.id).escalation_level == 2
    # Measured before this change: the late appeal stayed at level 2, escalated: 0.
    assert escalate_overdue(session, now=now) == 1
    session.expire_all()
    appeal = session.get(Grievance, grievance.id)
    assert (appeal.escalation_level, appeal.status) == (3, GrievanceStatus.ESCALATED)
    assert escalate_overdue(session, now=now) == 0
    kinds = {staff: kind for staff, kind in session.execute(
        select(StaffNotification.staff_id, StaffNotification.kind))}
    assert kinds == {supervisor.id: "appeal_overdue", admin.id: "appeal_overdue"}
    [sms] = staff_sms(session, admin.phone)
    assert sms.template == "supervisor_appeal_overdue" and "appeal" in sms.body


def failed_sms(session, **kw) -> OutboxMessage:
    row = queue_sms(session, template="appointment_cancelled", language="en", **kw)
    with unit_of_work(session):
        session.get(OutboxMessage, row.id).status = OutboxStatus.FAILED
    return row


@pytest.mark.postgres
def test_two_resends_at_once_send_one_message(pg_database_url, fake_twilio):
    app = messaging_app(pg_database_url, fake_twilio)
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        supervisors = [make_staff(s, f"super.race{i}", role="supervisor").id for i in (1, 2)]
        failed = failed_sms(s, phone="+919811122233")
    start = threading.Barrier(2)
    results: list[object] = []

    def resend(staff_id: int) -> None:
        with helpline.session() as s:
            start.wait()
            try:
                results.append(resend_failed_message(s, failed.id, staff_id=staff_id).id)
            except AlreadyHandled as exc:
                results.append(exc)

    threads = [threading.Thread(target=resend, args=(i,)) for i in supervisors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(r).__name__ for r in results) == ["AlreadyHandled", "int"]
    assert deliver_now(helpline) == 1
    assert len(fake_twilio.sent_bodies("+919811122233")) == 1
    with helpline.session() as s:
        again = s.scalar(select(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"resend:{failed.id}"))
        assert again.body == failed.body and again.status == OutboxStatus.SENT
        assert s.get(OutboxMessage, failed.id).resent_as_id == again.id
    helpline.engine.dispose()


def test_failed_messages_are_resent_or_marked_handled_from_the_console(session, console):
    make_staff(session, "super.out", role="supervisor", language="en")
    resend_me, handle_me = failed_sms(session), failed_sms(session)
    code = queue_sms(session, template="otp_code", language="en")
    with unit_of_work(session):
        session.get(OutboxMessage, code.id).status = OutboxStatus.UNDELIVERED
    session.rollback()
    console.login("super.out")
    page = console.get("/console/outbox").get_data(as_text=True)
    assert f'id="resend-{resend_me.id}"' in page and f'id="handled-{code.id}"' in page
    assert f'id="resend-{code.id}"' not in page  # a one-time code is never sent again
    answer = console.post(f"/console/outbox/{resend_me.id}/resend", follow_redirects=True)
    assert "queued to go again" in answer.get_data(as_text=True)
    again = console.post(f"/console/outbox/{resend_me.id}/resend", follow_redirects=True)
    assert "already dealt with this message" in again.get_data(as_text=True)
    console.post(f"/console/outbox/{handle_me.id}/handled")
    page = console.get("/console/outbox").get_data(as_text=True)
    assert f'id="resend-{resend_me.id}"' not in page and f'id="handled-{handle_me.id}"' not in page
    with pytest.raises(NotResendable):
        resend_failed_message(session, code.id, staff_id=1)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.dedupe_key.like("resend:%"))) == 1


def _wallboard_calls(session, quick: int, slow: int) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with unit_of_work(session):
        for i, wait in enumerate([5] * quick + [90] * slow):
            queued = now - dt.timedelta(seconds=200)
            session.add(Call(call_sid=f"CAsl{i}", path=["main", "agent"], outcome=CallOutcome.AGENT,
                             started_at=queued, queued_at=queued,
                             answered_at=queued + dt.timedelta(seconds=wait),
                             ended_at=queued + dt.timedelta(seconds=wait + 60)))


@pytest.mark.parametrize("target,mark", [(80, "missed"), (70, "met")])
def test_the_wallboard_holds_the_service_level_against_its_target(database_url, target, mark):
    app = create_app(make_settings(database_url, service_level_target_percent=target))
    helpline = app.extensions["helpline"]
    with helpline.session() as s:
        make_staff(s, "super.sl", role="supervisor", language="en")
        _wallboard_calls(s, quick=3, slow=1)  # 75 % within 30 s
    console = ConsoleClient(app.test_client())
    console.login("super.sl")
    page = console.get("/console/wallboard").get_data(as_text=True)
    assert re.search(rf'class="sl-{mark}" id="wb-sl">75%<', page)
    assert f"Target {target}% in 30 s" in page
    helpline.engine.dispose()


def test_ventilators_staff_and_stock_are_shown_with_their_age(session, console, now):
    from booking_core.resources import update_resources

    hospital = make_hospital(session, name_en="Lok Nayak Hospital")
    fresh = {"ventilators": {"total": 12, "in_use": 9}, "staff": {"doctor": 14, "nurse": 40},
             "medicines": [{"item": "Insulin", "quantity": 3, "unit": "vials",
                            "reorder_level": 10}]}
    update_resources(session, hospital.id, fresh, source="feed", now=now - dt.timedelta(hours=2))
    update_resources(session, hospital.id, {"staff": {"pharmacist": 2}}, source="feed",
                     now=now - dt.timedelta(hours=9))
    make_staff(session, "super.res", role="supervisor", language="en")
    make_staff(session, "nurse.ln", role="agent", language="en", hospital_id=hospital.id)
    make_staff(session, "agent.res", role="agent", language="en")
    session.rollback()
    console.login("super.res")
    page = console.get("/console/hospitals").get_data(as_text=True)
    block = page.split(f'id="res-{hospital.id}"', 1)[1].split("</ul>", 1)[0]
    assert "Ventilators: 3 of 12 available" in block and "Doctors on duty: 14" in block
    assert "Insulin: running low" in block and "updated 2 hours ago" in block
    # Nine hours old: flagged stale, like a bed count; the fresh figures are not.
    stale = re.findall(r'<li class="stale" data-kind="(\w+)">\s*([^<]+)', block)
    assert [(kind, text.strip()) for kind, text in stale] == [("staff", "Pharmacists on duty: 2")]
    console.post("/console/logout")
    console.login("agent.res")  # agents see beds and stock-outs, not the staffing figures
    assert 'id="resource-figures"' not in console.get("/console/hospitals").get_data(as_text=True)
    console.post("/console/logout")
    console.login("nurse.ln")
    mine = console.get("/console/hospitals/mine").get_data(as_text=True)
    assert 'id="my-resources"' in mine and "Nurses on duty: 40" in mine
