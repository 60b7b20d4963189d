"""/sms/status and /sms/inbound: signed, idempotent, replies in the sender's language."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from sqlalchemy import select

from booking_core.appointments import AppointmentStatus, Channel, book_appointment
from booking_core.citizens import Citizen
from booking_core.outbox import OutboxMessage, OutboxStatus
from grievances.services import register_grievance
from messaging.models import InboundSms
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_messaging import (
    CITIZEN_PHONE,
    deliver_now,
    make_citizen,
    parse_twiml,
    queue_sms,
    signed_post,
)


@pytest.fixture
def client(msg_app):
    return msg_app.test_client()


@pytest.fixture
def sent(msg_helpline, msg_session):
    """Queue SMS and have a worker send them."""

    def queue_and_send(**kw):
        row = queue_sms(msg_session, **kw)
        deliver_now(msg_helpline)
        return row

    return queue_and_send


def _rows(session, **filters) -> list[OutboxMessage]:
    session.expire_all()
    rows = list(session.scalars(select(OutboxMessage).filter_by(**filters)
                                .order_by(OutboxMessage.id)))
    session.commit()
    for row in rows:  # snapshots: reading them later must not reopen a transaction
        session.expunge(row)
    return rows


def _appointment_status(session, appointment_id: int) -> AppointmentStatus:
    from booking_core.appointments import Appointment

    status = session.scalar(select(Appointment.status).where(Appointment.id == appointment_id))
    session.commit()
    return status


def _inbound(client, body: str, sid: str, phone: str = CITIZEN_PHONE):
    response = signed_post(client, "/sms/inbound",
                           {"MessageSid": sid, "From": phone, "To": "+911140000000",
                            "Body": body})
    assert response.status_code == 200
    root = parse_twiml(response)
    assert list(root) == []  # replies go through the outbox, never inline TwiML
    return response


def _booking(session, language="en"):
    """A booked appointment, detached from ``session`` (a snapshot of it)."""
    hospital = make_hospital(session, short_en="Lok Nayak Hospital", short_hi="लोक नायक अस्पताल")
    department = make_department(session, hospital)
    slot = make_slot(session, department, starts_in=dt.timedelta(days=3))
    appointment = book_appointment(session, slot_id=slot.id, phone=CITIZEN_PHONE,
                                   channel=Channel.PORTAL, language=language)
    session.expunge_all()
    return appointment


@pytest.mark.parametrize("path", ["/sms/status?row=1", "/sms/inbound"])
def test_forged_signatures_are_refused_and_change_nothing(client, msg_session, sent, path):
    row = sent()
    params = {"MessageSid": row.twilio_sid or "SMx", "MessageStatus": "failed",
              "From": CITIZEN_PHONE, "Body": "STOP"}
    forged = signed_post(client, path, params, token="not-the-token")
    unsigned = client.post(path, data=params)
    assert forged.status_code == 403 and unsigned.status_code == 403
    assert _rows(msg_session)[0].status == OutboxStatus.SENT
    assert _rows(msg_session, template="reply_stopped") == []


def test_status_callbacks_move_a_message_forward_only(client, msg_session, sent):
    row = sent()
    sid = _rows(msg_session)[0].twilio_sid
    for status, expected in [("sent", OutboxStatus.SENT), ("delivered", OutboxStatus.DELIVERED),
                             ("sent", OutboxStatus.DELIVERED)]:
        response = signed_post(client, f"/sms/status?row={row.id}",
                               {"MessageSid": sid, "MessageStatus": status})
        assert response.status_code == 200 and parse_twiml(response) is not None
        assert _rows(msg_session)[0].status == expected


def test_undelivered_and_failed_callbacks_keep_the_error(client, msg_session, sent):
    first, second = sent(), sent(params={"code": "111111"})
    sids = {r.id: r.twilio_sid for r in _rows(msg_session)}
    signed_post(client, f"/sms/status?row={first.id}", {
        "MessageSid": sids[first.id], "MessageStatus": "undelivered", "ErrorCode": "30003"})
    signed_post(client, f"/sms/status?row={second.id}", {
        "MessageSid": sids[second.id], "MessageStatus": "failed", "ErrorCode": "30007"})
    rows = {r.id: r for r in _rows(msg_session)}
    assert rows[first.id].status == OutboxStatus.UNDELIVERED
    assert rows[first.id].last_error == "30003: undelivered"
    assert rows[second.id].status == OutboxStatus.FAILED


def test_a_callback_attaches_the_sid_of_a_row_whose_worker_died(client, msg_session):
    from sqlalchemy import update

    row = queue_sms(msg_session, not_before=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    with msg_session.begin():
        msg_session.execute(update(OutboxMessage).values(status=OutboxStatus.SENDING))
    signed_post(client, f"/sms/status?row={row.id}",
                {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"})
    [stored] = _rows(msg_session)
    assert (stored.twilio_sid, stored.status) == ("SM" + "a" * 32, OutboxStatus.DELIVERED)
    # A SID already held elsewhere cannot be attached to a second row.
    signed_post(client, f"/sms/status?row={row.id}",
                {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"})
    assert _rows(msg_session)[0].twilio_sid == "SM" + "a" * 32


def test_stop_and_start_set_the_opt_out_and_reply_once_per_message_sid(
    client, msg_session, msg_helpline, fake_twilio
):
    make_citizen(msg_session, language="hi")
    _inbound(client, "stop", "SM" + "1" * 32)
    _inbound(client, "stop", "SM" + "1" * 32)  # Twilio retried the webhook
    assert deliver_now(msg_helpline) == 1
    assert msg_session.scalar(select(Citizen.sms_opted_out)) is True
    msg_session.commit()
    [reply] = _rows(msg_session, template="reply_stopped")
    assert reply.language == "hi" and reply.status == OutboxStatus.SENT
    assert fake_twilio.sent_bodies(CITIZEN_PHONE) == [reply.body]
    _inbound(client, "START", "SM" + "2" * 32)
    assert msg_session.scalar(select(Citizen.sms_opted_out)) is False
    assert msg_session.scalar(select(InboundSms.command).where(
        InboundSms.message_sid == "SM" + "2" * 32)) == "start"
    msg_session.commit()


@pytest.mark.parametrize(("body", "language"), [("hello?", "en"), ("नमस्ते", "hi"),
                                                 ("HELP", "en"), ("मदद", "hi")])
def test_unknown_text_and_help_get_help_in_the_senders_language(client, msg_session, body,
                                                                 language):
    _inbound(client, body, "SM" + "3" * 32)
    [reply] = _rows(msg_session, template="reply_help")
    assert reply.language == language
    assert ("रद्द" in reply.body) == (language == "hi") and "+911140000000" in reply.body


def test_a_known_citizens_language_wins_over_the_script(client, msg_session):
    make_citizen(msg_session, language="hi")
    _inbound(client, "what?", "SM" + "4" * 32)
    assert _rows(msg_session, template="reply_help")[0].language == "hi"


@pytest.mark.parametrize(("word", "language"), [("CANCEL", "en"), ("रद्द", "hi")])
def test_cancel_by_sms_in_both_languages(client, msg_session, word, language):
    appointment = _booking(msg_session, language)
    _inbound(client, f"{word} {appointment.reference}", "SM" + "5" * 32)
    assert _appointment_status(msg_session, appointment.id) == AppointmentStatus.CANCELLED
    [cancelled] = _rows(msg_session, template="appointment_cancelled")
    assert cancelled.language == language and appointment.reference in cancelled.body
    reminders = _rows(msg_session, template="appointment_reminder_evening")
    assert [r.status for r in reminders] == [OutboxStatus.CANCELLED]
    _inbound(client, f"{word} {appointment.reference}", "SM" + "6" * 32)
    [again] = _rows(msg_session, template="reply_already_cancelled")
    assert again.language == language


def test_status_of_an_appointment_and_of_a_grievance(client, msg_session):
    appointment = _booking(msg_session, "en")
    grievance = register_grievance(msg_session, phone=CITIZEN_PHONE, category="cleanliness",
                                   channel="portal", language="en", description="Dirty ward")
    msg_session.expunge_all()
    _inbound(client, f"status {appointment.reference}", "SM" + "7" * 32)
    _inbound(client, f"STATUS {grievance.reference}", "SM" + "8" * 32)
    [first] = _rows(msg_session, template="reply_appointment_status_booked")
    [second] = _rows(msg_session, template="reply_grievance_status")
    assert f"booking number {appointment.reference} is booked: Lok Nayak Hospital, " in first.body
    assert f"complaint number {grievance.reference} is registered" in second.body


def test_status_replies_in_hindi_are_whole_sentences(client, msg_session):
    appointment = _booking(msg_session, "hi")
    grievance = register_grievance(msg_session, phone=CITIZEN_PHONE, category="cleanliness",
                                   channel="portal", language="hi", description="गंदा वार्ड")
    msg_session.expunge_all()
    _inbound(client, f"स्थिति {appointment.reference}", "SM" + "b" * 32)
    _inbound(client, f"स्थिति {grievance.reference}", "SM" + "c" * 32)
    _inbound(client, f"रद्द {appointment.reference}", "SM" + "d" * 32)
    _inbound(client, f"स्थिति {appointment.reference}", "SM" + "e" * 32)
    [booked] = _rows(msg_session, template="reply_appointment_status_booked")
    [cancelled] = _rows(msg_session, template="reply_appointment_status_cancelled")
    [registered] = _rows(msg_session, template="reply_grievance_status")
    brand = "दिल्ली स्वास्थ्य हेल्पलाइन: "
    assert booked.body.startswith(
        f"{brand}बुकिंग नंबर {appointment.reference} की ओपीडी बुक है: लोक नायक अस्पताल, ")
    # A cancelled booking's STATUS reads as a status, not as a new cancellation.
    assert cancelled.body.startswith(
        f"{brand}बुकिंग नंबर {appointment.reference} रद्द हो चुकी है: लोक नायक अस्पताल, ")
    assert booked.body.endswith("।") and cancelled.body.endswith("।")
    assert registered.body.startswith(f"{brand}शिकायत नंबर {grievance.reference} दर्ज है। यह ")


# What STATUS says of a booking in each status, after the helpline's name: a whole
# sentence of its own (no status word dropped into one frame, as «बुकिंग नंबर … की
# हाज़िरी लग चुकी है» once read), with what that status needs of the visit.
STATUS_SAID = {
    AppointmentStatus.BOOKED: (
        "booking number {reference} is booked: {hospital}, {department}, {date} at {time}, "
        "token {token}.",
        "बुकिंग नंबर {reference} की ओपीडी बुक है: {hospital}, {department}, {date}, {time}, "
        "टोकन {token}।"),
    AppointmentStatus.CANCELLED: (
        "booking number {reference} has been cancelled: {hospital}, {department}, {date} at "
        "{time}.",
        "बुकिंग नंबर {reference} रद्द हो चुकी है: {hospital}, {department}, {date}, {time}।"),
    AppointmentStatus.OPD_CLOSED: (
        "booking number {reference} was cancelled because {hospital} OPD is closed on {date}.",
        "बुकिंग नंबर {reference} रद्द हो चुकी है, क्योंकि {date} को {hospital} की ओपीडी बंद है।"),
    AppointmentStatus.ATTENDED: (
        "the patient of booking number {reference} checked in at {hospital} on {date}, token "
        "{token}.",
        "बुकिंग नंबर {reference} वाले मरीज़ की {date} को {hospital} में हाज़िरी लग गई है, टोकन "
        "{token}।"),
    AppointmentStatus.NO_SHOW: (
        "your OPD appointment at {hospital} on {date} at {time}, booking number {reference}, "
        "was missed.",
        "{hospital} में {date}, {time} की आपकी ओपीडी (बुकिंग नंबर {reference}) छूट गई।"),
}
BRAND = {"en": "Delhi Health Helpline: ", "hi": "दिल्ली स्वास्थ्य हेल्पलाइन: "}


@pytest.mark.parametrize("lang", ["en", "hi"])
@pytest.mark.parametrize("status", list(AppointmentStatus))
def test_each_status_of_a_booking_is_a_whole_sentence_of_its_own(client, msg_session, status,
                                                                  lang):
    from sqlalchemy import update

    from booking_core.appointments import Appointment, message_params
    from messaging.replies import STATUS_REPLY

    booked = _booking(msg_session, lang)
    with msg_session.begin():
        msg_session.execute(update(Appointment).where(Appointment.id == booked.id)
                            .values(status=status))
        params = message_params(msg_session.get(Appointment, booked.id), lang, "Asia/Kolkata")
    _inbound(client, f"STATUS {booked.reference}", "SM" + "f" * 32)
    [reply] = _rows(msg_session, template=STATUS_REPLY[status])
    assert reply.body == BRAND[lang] + STATUS_SAID[status][lang == "hi"].format(**params)
    assert len(set(STATUS_REPLY.values())) == len(AppointmentStatus)  # one sentence each


def test_someone_elses_or_a_mistyped_reference_reveals_nothing(client, msg_session):
    appointment = _booking(msg_session, "en")
    _inbound(client, f"CANCEL {appointment.reference}", "SM" + "9" * 32, phone="+919800000001")
    bad = appointment.reference[:-1] + str((int(appointment.reference[-1]) + 1) % 10)
    _inbound(client, f"STATUS {bad}", "SM" + "a" * 32)
    # CANCEL is for bookings only: its answer names no complaint; STATUS names both.
    [cancel] = _rows(msg_session, template="reply_unknown_booking")
    [status] = _rows(msg_session, template="reply_unknown_reference")
    assert (cancel.to_phone, status.to_phone) == ("+919800000001", CITIZEN_PHONE)
    assert "complaint" not in cancel.body and "complaint" in status.body
    assert _appointment_status(msg_session, appointment.id) == AppointmentStatus.BOOKED


def test_errors_under_sms_still_answer_twiml(client):
    response = signed_post(client, "/sms/no-such-hook", {"MessageSid": "SMx"})
    assert response.status_code == 404
    assert parse_twiml(response) is not None


@pytest.mark.parametrize("row_arg", ["²", "2147483648", "99999999999999999999", "-1", "1.5"])
def test_status_callbacks_with_malformed_row_ids_still_count(client, msg_session, sent,
                                                             row_arg, error_watch):
    """A row id the API would refuse ("²" passes ``str.isdigit``, a number past an
    INTEGER column fails in PostgreSQL) is no row id: the SID still finds the row."""
    sent()
    sid = _rows(msg_session)[0].twilio_sid
    response = signed_post(client, f"/sms/status?row={quote(row_arg)}",
                           {"MessageSid": sid, "MessageStatus": "delivered"})
    assert response.status_code == 200 and parse_twiml(response) is not None
    assert _rows(msg_session)[0].status == OutboxStatus.DELIVERED
    # A SID no row holds yet makes the row id count: still no error.
    response = signed_post(client, f"/sms/status?row={quote(row_arg)}",
                           {"MessageSid": "SM" + "9" * 32, "MessageStatus": "sent"})
    assert response.status_code == 200
    assert error_watch.take() == []


@pytest.mark.parametrize(("body", "language"), [("HELP", "en"), ("मदद", "hi"), ("??", "en")])
def test_without_a_phone_number_help_names_no_number_to_call(database_url, fake_twilio, body,
                                                             language):
    """The SMS sender id (DLHHLP) is not a number anyone can call: without
    TWILIO_PHONE_NUMBER the help reply leaves the sentence out instead."""
    from tests.fixtures_messaging import messaging_app

    app = messaging_app(database_url, fake_twilio, twilio_phone_number="")
    helpline = app.extensions["helpline"]
    _inbound(app.test_client(), body, "SM" + "7" * 32)
    with helpline.session() as session:
        [reply] = _rows(session, template="reply_help_no_number")
        assert reply.language == language
        assert "DLHHLP" not in reply.body and "{" not in reply.body
        assert "STOP" in reply.body or "बंद" in reply.body
    helpline.engine.dispose()


@pytest.mark.parametrize(("status", "template", "words"), [
    (AppointmentStatus.ATTENDED, "reply_already_checked_in", "हाज़िरी लग चुकी है"),
    (AppointmentStatus.NO_SHOW, "reply_too_late_to_cancel", "समय निकल चुका है"),
])
def test_cancel_of_a_visit_that_took_place_says_why_not_that_there_is_none(
        client, msg_session, status, template, words):
    """CANCEL for a booking already checked in (or missed) from its own mobile: STATUS
    finds it, so CANCEL must too, and say in a whole sentence why it cannot be undone."""
    from sqlalchemy import update

    from booking_core.appointments import Appointment

    appointment = _booking(msg_session, "hi")
    msg_session.execute(update(Appointment).where(Appointment.id == appointment.id)
                        .values(status=status))
    msg_session.commit()
    _inbound(client, f"cancel {appointment.reference}", "SM" + "a" * 32)
    assert _rows(msg_session, template="reply_unknown_reference") == []
    [reply] = _rows(msg_session, template=template)
    assert reply.language == "hi" and appointment.reference in reply.body
    assert words in reply.body and "{" not in reply.body
    assert _appointment_status(msg_session, appointment.id) == status


def test_a_cancel_by_sms_answers_in_the_language_of_every_other_reply(client, msg_session):
    """Booked in English, the citizen's language on record is now Hindi: STATUS and the
    cancellation SMS that answers CANCEL are both Hindi, not one of each."""
    appointment = _booking(msg_session, "en")
    citizen = msg_session.scalar(select(Citizen).where(Citizen.phone == CITIZEN_PHONE))
    citizen.preferred_language = "hi"
    msg_session.commit()
    _inbound(client, f"STATUS {appointment.reference}", "SM" + "a1" * 16)
    _inbound(client, f"CANCEL {appointment.reference}", "SM" + "a2" * 16)
    [status] = _rows(msg_session, template="reply_appointment_status_booked")
    [cancelled] = _rows(msg_session, template="appointment_cancelled")
    assert (status.language, cancelled.language) == ("hi", "hi")
    assert "रद्द" in cancelled.body


@pytest.mark.parametrize("language", ["en", "hi"])
def test_a_cancel_from_the_phone_that_booked_for_someone_else_is_answered(
        client, msg_session, language):
    """The patient gets the cancellation SMS (in the booking's language); the phone
    that booked it gets its own answer, saying the patient has been told."""
    booker = "+919876500077"
    make_citizen(msg_session, phone=booker, language=language)
    hospital = make_hospital(msg_session)
    slot = make_slot(msg_session, make_department(msg_session, hospital),
                     starts_in=dt.timedelta(days=3))
    appointment = book_appointment(msg_session, slot_id=slot.id, phone=CITIZEN_PHONE,
                                   channel=Channel.IVR, language=language,
                                   booked_by_phone=booker)
    msg_session.expunge_all()
    _inbound(client, f"CANCEL {appointment.reference}", "SM" + "b3" * 16, phone=booker)
    assert _appointment_status(msg_session, appointment.id) == AppointmentStatus.CANCELLED
    [cancelled] = _rows(msg_session, template="appointment_cancelled")
    assert cancelled.to_phone == CITIZEN_PHONE
    [answer] = _rows(msg_session, template="reply_cancelled_for_patient")
    assert answer.to_phone == booker and answer.language == language
    assert appointment.reference in answer.body and CITIZEN_PHONE[-4:] in answer.body
