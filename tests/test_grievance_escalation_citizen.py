"""The citizen is told when their complaint moves up: to a supervisor (the clock's
escalation or staff's by hand), or their appeal to the senior officers. One SMS per
level, in the citizen's language, whatever escalated it and however often; staff's
reason never reaches it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking_core.outbox import OutboxMessage
from grievances.escalation import escalate_grievance, escalate_overdue
from grievances.models import Grievance
from grievances.workflow import close_grievance, record_citizen_feedback, resolve_grievance
from messaging.dlt import dlt_pattern
from tests.factories import make_hospital
from tests.fixtures_console import make_grievance, make_staff

REASON = "The caller says he will harm the ward doctor tonight."
TOLD = ("grievance_escalated", "grievance_appeal_escalated")


def citizen_sms(session, grievance_id: int) -> list[OutboxMessage]:
    """The escalation texts queued to the grievance's own citizen."""
    session.expire_all()
    phone = session.get_one(Grievance, grievance_id).citizen.phone
    rows = list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.grievance_id == grievance_id, OutboxMessage.to_phone == phone,
        OutboxMessage.template.in_(TOLD)).order_by(OutboxMessage.id)))
    session.rollback()
    return rows


@pytest.fixture
def agent_id(session):
    make_staff(session, "super.desk", role="supervisor")
    staff = make_staff(session, "agent.desk", language="en").id
    session.rollback()
    return staff


def appeal(session, grievance_id: int, now: dt.datetime) -> None:
    """Resolved, closed, and the citizen says it was not solved: an appeal (level 2)."""
    resolve_grievance(session, grievance_id, "Toilets cleaned.", actor="agent.desk",
                      now=now - dt.timedelta(days=3))
    close_grievance(session, grievance_id, actor="agent.desk", now=now - dt.timedelta(days=2))
    record_citizen_feedback(session, grievance_id, solved=False, channel="ivr",
                            now=now - dt.timedelta(days=2))
    session.rollback()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_clock_tells_the_citizen_once_in_their_language(session, now, lang):
    hospital = make_hospital(session, name_en="Lok Nayak Hospital")
    late = make_grievance(session, hospital_id=hospital.id, language=lang,
                          now=now - dt.timedelta(days=30))
    unplaced = make_grievance(session, language=lang, now=now - dt.timedelta(days=30))
    on_time = make_grievance(session, language=lang, now=now)
    session.rollback()
    assert escalate_overdue(session, now=now) == 2
    assert escalate_overdue(session, now=now + dt.timedelta(hours=1)) == 0
    for grievance in (late, unplaced):
        [sms] = citizen_sms(session, grievance.id)
        assert (sms.template, sms.language) == ("grievance_escalated", lang)
        assert dlt_pattern(lang, "sms.grievance_escalated").fullmatch(sms.body)
        assert grievance.reference in sms.body
    assert citizen_sms(session, on_time.id) == []


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_staff_escalating_tells_the_citizen_but_not_why(session, agent_id, now, lang):
    grievance = make_grievance(session, language=lang)
    session.rollback()
    for _ in range(2):  # the same form twice escalates and texts once
        escalate_grievance(session, grievance.id, staff_id=agent_id, reason=REASON,
                           seen_level=0, now=now)
    [sms] = citizen_sms(session, grievance.id)
    assert (sms.template, sms.language) == ("grievance_escalated", lang)
    assert dlt_pattern(lang, "sms.grievance_escalated").fullmatch(sms.body)
    assert "harm" not in sms.body and "doctor" not in sms.body
    # the clock, later, finds it with the supervisors already: no second text
    escalate_overdue(session, now=now + dt.timedelta(days=60))
    assert len(citizen_sms(session, grievance.id)) == 1


@pytest.mark.parametrize("by_hand", [True, False])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_an_appeal_sent_to_the_senior_officers_is_told_as_an_appeal(session, agent_id, now,
                                                                     lang, by_hand):
    grievance = make_grievance(session, language=lang, now=now - dt.timedelta(days=40))
    session.rollback()
    appeal(session, grievance.id, now - dt.timedelta(days=30) if not by_hand else now)
    if by_hand:
        escalate_grievance(session, grievance.id, staff_id=agent_id, reason=REASON,
                           seen_level=2, now=now)
    else:
        assert escalate_overdue(session, now=now) == 1
    session.expire_all()
    assert session.get_one(Grievance, grievance.id).escalation_level == 3
    session.rollback()
    [sms] = citizen_sms(session, grievance.id)
    assert (sms.template, sms.language) == ("grievance_appeal_escalated", lang)
    assert dlt_pattern(lang, "sms.grievance_appeal_escalated").fullmatch(sms.body)
    assert grievance.reference in sms.body
    words = {"hi": "अपील", "en": "appeal"}[lang]
    assert words in sms.body


def test_the_words_name_who_has_it_now():
    from locales import render

    assert "supervisor" in render("en", "sms.grievance_escalated", reference="1")
    assert "सुपरवाइज़र" in render("hi", "sms.grievance_escalated", reference="1")
    assert "senior officers" in render("en", "sms.grievance_appeal_escalated", reference="1")
    assert "वरिष्ठ अधिकारियों" in render("hi", "sms.grievance_appeal_escalated",
                                           reference="1")


SAID_ON_SMS = {("hi", 1): "सुपरवाइज़र के पास", ("en", 1): "with a supervisor",
               ("hi", 3): "वरिष्ठ अधिकारियों के पास",
               ("en", 3): "with the senior officers"}


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("level", [1, 3])
def test_every_channel_says_who_has_it_as_the_sms_did(session, agent_id, now, lang, level):
    """The status a citizen asks for by SMS (and on the portal and the phone, from the
    same ``shown_status``) says a supervisor at level 1 and the senior officers for an
    appeal at level 3, as the escalation's own SMS said: never a senior officer for a
    complaint a supervisor holds."""
    from messaging.replies import handle_inbound

    grievance = make_grievance(session, language=lang, now=now - dt.timedelta(days=40))
    session.rollback()
    if level == 3:
        appeal(session, grievance.id, now)
    escalate_grievance(session, grievance.id, staff_id=agent_id, reason=REASON,
                       seen_level=level - 1, now=now)
    session.expire_all()
    shown = session.get_one(Grievance, grievance.id).shown_status
    session.rollback()
    assert shown == ("escalated" if level == 1 else "escalated_appeal")
    phone = grievance.citizen.phone
    handle_inbound(session, message_sid=f"SM{level}{lang}", from_phone=phone,
                   body=f"{'स्थिति' if lang == 'hi' else 'STATUS'} {grievance.reference}",
                   tz="Asia/Kolkata", helpline_number="+911140000000")
    session.expire_all()
    reply = session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_phone == phone,
        OutboxMessage.template == "reply_grievance_status")).one()
    session.rollback()
    assert SAID_ON_SMS[(lang, level)] in reply.body, reply.body
    if level == 1:
        assert "वरिष्ठ" not in reply.body and "senior" not in reply.body


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_status_says_a_supervisor_has_it(client, session, agent_id, now, lang):
    grievance = make_grievance(session, language=lang)
    session.rollback()
    escalate_grievance(session, grievance.id, staff_id=agent_id, reason=REASON,
                       seen_level=0, now=now)
    session.rollback()
    text = portal_status_text(client, grievance, lang)
    assert {"hi": "सुपरवाइज़र के पास", "en": "With a supervisor"}[lang] in text, text[:1500]
    assert "senior officer" not in text and "वरिष्ठ अधिकारी" not in text


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_status_of_a_complaint_staff_reopened_names_no_senior_officer(
        client, session, lang):
    """Staff reopen a resolved complaint at its own level: the citizen reads that it is
    being looked into again, not that a senior officer has it (nobody escalated it)."""
    from grievances.workflow import reopen_grievance

    grievance = make_grievance(session, language=lang)
    session.rollback()
    resolve_grievance(session, grievance.id, "Spoke to the ward.", actor="agent.desk")
    reopen_grievance(session, grievance.id, reason="Citizen called back: still rude",
                     actor="agent.desk")
    session.rollback()
    text = portal_status_text(client, grievance, lang)
    assert {"hi": "दोबारा काम हो रहा है", "en": "being looked into again"}[lang] in text
    assert "senior officer" not in text and "वरिष्ठ अधिकारी" not in text


def portal_status_text(client, grievance: Grievance, lang: str) -> str:
    """The portal's status page for ``grievance`` in ``lang``, as words (looked up by its
    number and mobile, as the citizen does)."""
    import html
    import re

    from tests.test_portal_pages import CSRF

    client.get(f"/portal/lang/{lang}")
    form = client.get("/portal/grievances/status").get_data(as_text=True)
    page = client.post("/portal/grievances/status", data={
        "csrf_token": CSRF.search(form).group(1), "reference": grievance.reference,
        "mobile": grievance.citizen.phone}, follow_redirects=True).get_data(as_text=True)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
