"""Opt-out, opt-in and help through the real signed /sms/inbound webhook, for every way
the keywords are typed, and the bare CANCEL / CANCEL <reference> split."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, AppointmentStatus, Channel, book_appointment
from booking_core.base import unit_of_work
from booking_core.citizens import Citizen, set_sms_opt_out
from booking_core.outbox import OutboxMessage, OutboxStatus
from locales import render
from messaging.models import InboundSms
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_messaging import CITIZEN_PHONE, deliver_now, parse_twiml, signed_post
from tests.sms_keywords import HELP, NOT_OPT_OUT, OPT_IN, OPT_OUT

HELPLINE_NUMBER = "+911140000000"


@pytest.fixture
def client(msg_app):
    return msg_app.test_client()


def _phone(index: int) -> str:
    return f"+9198123{index:05d}"


def _sid(index: int) -> str:
    return f"SM{index:032x}"


def _inbound(client, body: str, sid: str, phone: str = CITIZEN_PHONE) -> None:
    response = signed_post(client, "/sms/inbound", {
        "MessageSid": sid, "From": phone, "To": HELPLINE_NUMBER, "Body": body})
    assert response.status_code == 200
    assert list(parse_twiml(response)) == []  # replies go through the outbox


def _replies(session) -> dict[str, list[tuple[str, str]]]:
    """Each phone's queued replies and messages, as (template, language)."""
    session.expire_all()
    replies: dict[str, list[tuple[str, str]]] = {}
    for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        replies.setdefault(row.to_phone, []).append((row.template, row.language))
    session.commit()
    return replies


def _opted_out(session) -> dict[str, bool]:
    session.expire_all()
    flags = dict(session.execute(select(Citizen.phone, Citizen.sms_opted_out)).all())
    session.commit()
    return flags


def _commands(session) -> dict[str, str]:
    commands = dict(session.execute(select(InboundSms.from_phone, InboundSms.command)).all())
    session.commit()
    return commands


def _send_all(client, variants: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Each variant from its own number; returns {phone: (body, reply language)}."""
    sent = {}
    for index, (body, language) in enumerate(variants):
        _inbound(client, body, _sid(index + 1), _phone(index))
        sent[_phone(index)] = (body, language)
    return sent


def test_every_opt_out_word_opts_out_and_gets_the_one_stopped_reply(
    client, msg_session, msg_helpline, fake_twilio
):
    sent = _send_all(client, OPT_OUT)
    replies, flags, commands = _replies(msg_session), _opted_out(msg_session), _commands(
        msg_session)
    wrong = {body: (replies.get(phone), flags.get(phone), commands.get(phone))
             for phone, (body, language) in sent.items()
             if (replies.get(phone), flags.get(phone), commands.get(phone))
             != ([("reply_stopped", language)], True, "stop")}
    assert wrong == {}
    # The reply is transactional: it goes out to the number that just opted out.
    assert deliver_now(msg_helpline) == len(OPT_OUT)
    not_received = {body: fake_twilio.sent_bodies(phone) for phone, (body, language)
                    in sent.items()
                    if fake_twilio.sent_bodies(phone) != [render(language, "sms.reply_stopped")]}
    assert not_received == {}


def test_every_opt_in_word_opts_back_in(client, msg_session):
    with unit_of_work(msg_session):
        for index in range(len(OPT_IN)):
            set_sms_opt_out(msg_session, _phone(index), True)
    sent = _send_all(client, OPT_IN)
    replies, flags = _replies(msg_session), _opted_out(msg_session)
    wrong = {body: (replies.get(phone), flags.get(phone))
             for phone, (body, language) in sent.items()
             if (replies.get(phone), flags.get(phone)) != ([("reply_started", language)], False)}
    assert wrong == {}


def test_help_words_get_help_and_opt_nobody_out(client, msg_session):
    sent = _send_all(client, HELP)
    replies, flags = _replies(msg_session), _opted_out(msg_session)
    wrong = {body: replies.get(phone) for phone, (body, language) in sent.items()
             if replies.get(phone) != [("reply_help", language)]}
    assert wrong == {}
    assert True not in flags.values()


def test_near_misses_never_opt_out(client, msg_session):
    with unit_of_work(msg_session):
        for index in range(len(NOT_OPT_OUT)):
            set_sms_opt_out(msg_session, _phone(index), False)
    _send_all(client, [(body, "") for body in NOT_OPT_OUT])
    flags, replies = _opted_out(msg_session), _replies(msg_session)
    assert [body for index, body in enumerate(NOT_OPT_OUT) if flags[_phone(index)]] == []
    assert {template for rows in replies.values() for template, _ in rows} == {"reply_help"}
    assert len(replies) == len(NOT_OPT_OUT)


def _booking(session, language: str) -> Appointment:
    hospital = make_hospital(session, short_en="Lok Nayak Hospital", short_hi="लोक नायक अस्पताल")
    department = make_department(session, hospital)
    slot = make_slot(session, department, starts_in=dt.timedelta(days=3))
    appointment = book_appointment(session, slot_id=slot.id, phone=CITIZEN_PHONE,
                                   channel=Channel.PORTAL, language=language)
    session.expunge_all()
    return appointment


def _status(session, appointment_id: int) -> AppointmentStatus:
    status = session.scalar(select(Appointment.status).where(Appointment.id == appointment_id))
    session.commit()
    return status


def _templates(session, phone: str = CITIZEN_PHONE) -> list[tuple[str, str]]:
    return _replies(session).get(phone, [])


def test_bare_cancel_opts_out_and_cancel_with_a_reference_cancels(client, msg_session):
    appointment = _booking(msg_session, "en")
    before = _templates(msg_session)
    _inbound(client, " Cancel.", _sid(1))
    assert _status(msg_session, appointment.id) == AppointmentStatus.BOOKED
    assert _opted_out(msg_session)[CITIZEN_PHONE] is True
    assert _templates(msg_session)[len(before):] == [("reply_stopped", "en")]

    _inbound(client, f"CANCEL {appointment.reference}", _sid(2))
    assert _status(msg_session, appointment.id) == AppointmentStatus.CANCELLED
    # The cancellation is confirmed even to an opted-out number: it carries the reference.
    assert _templates(msg_session)[len(before) + 1:] == [("appointment_cancelled", "en")]


def test_bare_radd_asks_for_the_reference_and_radd_with_one_cancels(client, msg_session):
    appointment = _booking(msg_session, "hi")
    before = _templates(msg_session)
    _inbound(client, "रद्द", _sid(1))
    assert _status(msg_session, appointment.id) == AppointmentStatus.BOOKED
    assert _opted_out(msg_session)[CITIZEN_PHONE] is False
    assert _templates(msg_session)[len(before):] == [("reply_help", "hi")]

    devanagari = "".join(chr(0x0966 + int(d)) for d in appointment.reference)
    _inbound(client, f"रद्द {devanagari[:4]} {devanagari[4:]}।", _sid(2))
    assert _status(msg_session, appointment.id) == AppointmentStatus.CANCELLED
    assert _templates(msg_session)[len(before) + 1:] == [("appointment_cancelled", "hi")]
    assert _opted_out(msg_session)[CITIZEN_PHONE] is False


@pytest.mark.parametrize("word", ["END", "QUIT", "quit.", "बंद करो", "band karo"])
def test_an_opt_out_word_stops_the_reminders_of_a_booked_visit(
    client, msg_session, msg_helpline, fake_twilio, word
):
    appointment = _booking(msg_session, "en")
    _inbound(client, word, _sid(1))
    deliver_now(msg_helpline)
    rows = {row.template: row.status for row in msg_session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_phone == CITIZEN_PHONE))}
    msg_session.commit()
    assert rows["appointment_reminder_evening"] == OutboxStatus.SUPPRESSED
    assert rows["appointment_confirmation"] == OutboxStatus.SENT
    # A citizen whose language is on record is answered in it, whatever script they used.
    bodies = fake_twilio.sent_bodies(CITIZEN_PHONE)
    assert len(bodies) == 2 and render("en", "sms.reply_stopped") in bodies
    assert _status(msg_session, appointment.id) == AppointmentStatus.BOOKED


def test_start_after_a_carrier_opt_out_opts_the_number_back_in(
    client, msg_session, msg_helpline, fake_twilio
):
    """21610 created the citizen opted out; START from that number opts it back in."""
    from tests.fixtures_messaging import NOON_IST, queue_sms

    fake_twilio.reject(CITIZEN_PHONE, 21610)
    queue_sms(msg_session, not_before=NOON_IST)
    deliver_now(msg_helpline)
    assert _opted_out(msg_session) == {CITIZEN_PHONE: True}
    _inbound(client, "Start", _sid(1))
    assert _opted_out(msg_session) == {CITIZEN_PHONE: False}
    assert _templates(msg_session)[-1] == ("reply_started", "en")
