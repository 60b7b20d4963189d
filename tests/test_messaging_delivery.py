"""Delivery through the real twilio client against the fake Twilio API: sends, retries,
permanent failures, quiet hours, opt-out, demo inbox, reconciliation of stuck rows, the
worker's database poll."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select, update

from booking_core.citizens import Citizen
from booking_core.outbox import OutboxMessage, OutboxStatus
from messaging import worker as worker_module
from messaging.delivery import MAX_ATTEMPTS, THROTTLE_RETRIES, deliver
from messaging.reconcile import reconcile_stuck
from tests.fixtures_messaging import (
    CITIZEN_PHONE,
    NIGHT_IST,
    NOON_IST,
    make_citizen,
    messaging_app,
    queue_sms,
)


def _row(session, row_id: int) -> OutboxMessage:
    session.expire_all()
    row = session.get(OutboxMessage, row_id)
    assert row is not None
    session.commit()  # end the read: SQLite's BEGIN IMMEDIATE would block the workers
    session.expunge(row)  # a snapshot: later reads must not reopen a transaction
    return row


def _deliver_at(helpline, moment: dt.datetime) -> int:
    return deliver(helpline, ids=None, limit=100, clock=lambda: moment)


def test_committed_sms_is_sent_once_with_its_sid_and_row_marker(
    msg_app, msg_helpline, msg_session, fake_twilio
):
    with msg_app.app_context():
        row = queue_sms(msg_session)
        queued_body, code = row.body, row.params["code"]
        # No Redis and real Twilio: the web request does not send; a worker does.
        assert fake_twilio.requests == []
        assert _deliver_at(msg_helpline, dt.datetime.now(dt.UTC)) == 1
        assert _deliver_at(msg_helpline, dt.datetime.now(dt.UTC)) == 0  # nothing left
    [message] = fake_twilio.created("Messages")
    stored = _row(msg_session, row.id)
    assert stored.status == OutboxStatus.SENT
    assert stored.twilio_sid == message.sid and stored.attempts == 1
    assert message.params["Body"] == queued_body and message.params["From"] == "DLHHLP"
    assert message.params["StatusCallback"] == f"https://helpline.test/sms/status?row={row.id}"
    # A one-time code does not outlive its sending in the database.
    assert code in message.params["Body"]
    assert code not in stored.body and stored.params == {}


def test_ordinary_messages_keep_their_text_after_sending(
    msg_app, msg_helpline, msg_session, fake_twilio
):
    with msg_app.app_context():
        row = queue_sms(msg_session, template="grievance_registered",
                        params={"reference": "61234567"})
        assert _deliver_at(msg_helpline, dt.datetime.now(dt.UTC)) == 1
    [message] = fake_twilio.created("Messages")
    stored = _row(msg_session, row.id)
    assert stored.body == message.params["Body"] and "61234567" in stored.body


def test_without_credentials_messages_go_to_the_demo_inbox_at_once(database_url, fake_twilio):
    app = messaging_app(database_url, None)
    helpline = app.extensions["helpline"]
    with app.app_context(), helpline.session() as session:
        row = queue_sms(session)
        stored = _row(session, row.id)
    assert stored.status == OutboxStatus.DELIVERED
    assert stored.twilio_sid == f"DEMO{row.id}"
    assert fake_twilio.requests == []
    helpline.engine.dispose()


def test_429_and_500_are_retried_with_backoff_then_sent(
    msg_helpline, msg_session, fake_twilio
):
    row = queue_sms(msg_session, not_before=NOON_IST + dt.timedelta(days=365))
    with msg_session.begin():
        msg_session.execute(update(OutboxMessage).values(not_before=NOON_IST))
    # A 429 is first retried at once by the same thread; when Twilio keeps refusing,
    # the row waits for a later job.
    fake_twilio.fail_next(429, times=THROTTLE_RETRIES + 1)
    assert _deliver_at(msg_helpline, NOON_IST) == 1
    stored = _row(msg_session, row.id)
    assert stored.status == OutboxStatus.PENDING and stored.attempts == 1
    assert stored.last_error.startswith("20429")
    first_wait = stored.not_before - NOON_IST
    assert dt.timedelta(seconds=20) < first_wait < dt.timedelta(seconds=40)
    assert _deliver_at(msg_helpline, NOON_IST + dt.timedelta(seconds=5)) == 0  # not yet

    fake_twilio.fail_next(500)
    later = stored.not_before
    assert _deliver_at(msg_helpline, later) == 1
    stored = _row(msg_session, row.id)
    assert stored.status == OutboxStatus.PENDING and stored.attempts == 2
    assert stored.not_before - later > first_wait  # backoff grows

    assert _deliver_at(msg_helpline, stored.not_before) == 1
    stored = _row(msg_session, row.id)
    assert stored.status == OutboxStatus.SENT and stored.attempts == 3
    assert [m.sid for m in fake_twilio.created()] == [stored.twilio_sid]
    assert fake_twilio.create_attempts() == THROTTLE_RETRIES + 3


def test_over_the_account_concurrency_limit_requests_back_off_and_all_go_once(
    database_url, fake_twilio
):
    fake_twilio.latency = 0.05
    fake_twilio.concurrency_limit = 4
    app = messaging_app(database_url, fake_twilio, outbox_send_concurrency=12)
    helpline = app.extensions["helpline"]
    try:
        with helpline.session() as session:
            rows = [queue_sms(session, phone=f"+9198765{n:05d}") for n in range(36)]
        assert _deliver_at(helpline, NOON_IST) == len(rows)
        with helpline.session() as session:
            stored = list(session.scalars(select(OutboxMessage)))
        assert {r.status for r in stored} == {OutboxStatus.SENT}
        assert all(r.attempts == 1 for r in stored)  # retried within the job
        created = fake_twilio.created()
        assert sorted(m.sid for m in created) == sorted(r.twilio_sid for r in stored)
        assert len({m.params["To"] for m in created}) == len(rows)
        assert fake_twilio.throttled > 0 and fake_twilio.most_in_flight == 4
    finally:
        helpline.engine.dispose()


def test_transient_errors_stop_after_max_attempts(msg_helpline, msg_session, fake_twilio):
    row = queue_sms(msg_session, not_before=NOON_IST + dt.timedelta(days=365))
    with msg_session.begin():
        msg_session.execute(update(OutboxMessage).values(not_before=NOON_IST))
    fake_twilio.fail_next(503, times=MAX_ATTEMPTS + 3)
    moment = NOON_IST
    for _ in range(MAX_ATTEMPTS + 3):
        _deliver_at(msg_helpline, moment)
        moment += dt.timedelta(days=1)
    stored = _row(msg_session, row.id)
    assert stored.status == OutboxStatus.FAILED and stored.attempts == MAX_ATTEMPTS
    assert fake_twilio.create_attempts() == MAX_ATTEMPTS


def test_permanent_errors_fail_at_once_and_unsubscribed_numbers_opt_out(
    msg_helpline, msg_session, fake_twilio
):
    other = "+919812300000"
    make_citizen(msg_session, other)
    fake_twilio.reject(CITIZEN_PHONE, 21211)
    fake_twilio.reject(other, 21610)
    invalid = queue_sms(msg_session, not_before=NOON_IST)
    unsubscribed = queue_sms(msg_session, phone=other, not_before=NOON_IST)
    assert _deliver_at(msg_helpline, NOON_IST) == 2
    for _ in range(3):
        assert _deliver_at(msg_helpline, NOON_IST + dt.timedelta(days=1)) == 0
    assert fake_twilio.create_attempts() == 2
    first, second = _row(msg_session, invalid.id), _row(msg_session, unsubscribed.id)
    assert (first.status, first.last_error[:5]) == (OutboxStatus.FAILED, "21211")
    assert (second.status, second.last_error[:5]) == (OutboxStatus.FAILED, "21610")
    citizen = msg_session.scalar(select(Citizen).where(Citizen.phone == other))
    assert citizen.sms_opted_out is True


def test_an_unsubscribed_number_we_never_saw_is_opted_out_and_gets_no_reminders(
    msg_helpline, msg_session, fake_twilio
):
    new_number = "+919812300002"
    fake_twilio.reject(new_number, 21610)
    # Two rows to the same unknown number fail in one group: one citizen, opted out.
    code = queue_sms(msg_session, phone=new_number, not_before=NOON_IST)
    registered = queue_sms(msg_session, phone=new_number, template="grievance_registered",
                           params={"reference": "61234567"}, not_before=NOON_IST)
    assert msg_session.scalar(select(Citizen).where(Citizen.phone == new_number)) is None
    msg_session.commit()
    assert _deliver_at(msg_helpline, NOON_IST) == 2
    for row in (code, registered):
        stored = _row(msg_session, row.id)
        assert (stored.status, stored.last_error[:5]) == (OutboxStatus.FAILED, "21610")
    citizens = list(msg_session.scalars(select(Citizen).where(Citizen.phone == new_number)))
    msg_session.commit()
    assert [c.sms_opted_out for c in citizens] == [True]
    assert citizens[0].preferred_language is None and citizens[0].created_at is not None
    # A reminder written later is suppressed without asking Twilio again.
    reminder = queue_sms(msg_session, phone=new_number,
                         template="appointment_reminder_evening", not_before=NOON_IST)
    assert _deliver_at(msg_helpline, NOON_IST + dt.timedelta(hours=1)) == 0
    assert _row(msg_session, reminder.id).status == OutboxStatus.SUPPRESSED
    assert fake_twilio.create_attempts() == 2


def test_21610_opts_out_a_citizen_who_had_opted_back_in(msg_helpline, msg_session, fake_twilio):
    make_citizen(msg_session, language="hi", opted_out=False)
    fake_twilio.reject(CITIZEN_PHONE, 21610)
    queue_sms(msg_session, template="appointment_confirmation", not_before=NOON_IST)
    assert _deliver_at(msg_helpline, NOON_IST) == 1
    citizen = msg_session.scalar(select(Citizen).where(Citizen.phone == CITIZEN_PHONE))
    msg_session.commit()
    assert (citizen.sms_opted_out, citizen.preferred_language) == (True, "hi")


def test_other_permanent_errors_opt_nobody_out(msg_helpline, msg_session, fake_twilio):
    fake_twilio.reject(CITIZEN_PHONE, 21614)
    row = queue_sms(msg_session, not_before=NOON_IST)
    assert _deliver_at(msg_helpline, NOON_IST) == 1
    assert _row(msg_session, row.id).status == OutboxStatus.FAILED
    assert msg_session.scalar(select(Citizen.id)) is None
    msg_session.commit()


def test_reminders_wait_out_the_quiet_hours_but_confirmations_do_not(
    msg_helpline, msg_session, fake_twilio
):
    reminder = queue_sms(msg_session, template="appointment_reminder_evening",
                         not_before=NIGHT_IST)
    confirmation = queue_sms(msg_session, template="appointment_confirmation",
                             not_before=NIGHT_IST)
    assert _deliver_at(msg_helpline, NIGHT_IST) == 1
    held = _row(msg_session, reminder.id)
    assert held.status == OutboxStatus.PENDING and held.attempts == 0
    # 08:00 the next morning in Asia/Kolkata is 02:30 UTC.
    assert held.not_before == dt.datetime(2030, 3, 5, 2, 30, tzinfo=dt.UTC)
    assert _row(msg_session, confirmation.id).status == OutboxStatus.SENT
    assert _deliver_at(msg_helpline, held.not_before - dt.timedelta(minutes=1)) == 0
    assert _deliver_at(msg_helpline, held.not_before) == 1
    assert _row(msg_session, reminder.id).status == OutboxStatus.SENT
    assert len(fake_twilio.created()) == 2


def test_opted_out_numbers_get_confirmations_but_no_reminders(
    msg_helpline, msg_session, fake_twilio
):
    make_citizen(msg_session, opted_out=True)
    reminder = queue_sms(msg_session, template="appointment_reminder_morning",
                         not_before=NOON_IST)
    confirmation = queue_sms(msg_session, template="appointment_confirmation",
                             not_before=NOON_IST)
    assert _deliver_at(msg_helpline, NOON_IST) == 1
    assert _row(msg_session, reminder.id).status == OutboxStatus.SUPPRESSED
    assert _row(msg_session, confirmation.id).status == OutboxStatus.SENT
    assert fake_twilio.sent_bodies() == [_row(msg_session, confirmation.id).body]


def _strand(session, row_id: int, claimed_at: dt.datetime) -> None:
    """What a worker SIGKILLed between Twilio's answer and its own commit leaves."""
    with session.begin():
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
            status=OutboxStatus.SENDING, updated_at=claimed_at, attempts=1))


def test_reconciliation_finds_messages_twilio_took_and_resends_the_others(
    msg_app, msg_helpline, msg_session, fake_twilio
):
    taken = queue_sms(msg_session, not_before=NOON_IST + dt.timedelta(days=365))
    lost = queue_sms(msg_session, phone="+919812300001", template="appointment_confirmation",
                     not_before=NOON_IST + dt.timedelta(days=365))
    now = dt.datetime.now(dt.UTC)
    claimed = now - dt.timedelta(minutes=10)
    _strand(msg_session, taken.id, claimed)
    _strand(msg_session, lost.id, claimed)
    # Twilio took the first before the worker died; the second never reached it.
    from messaging.gateway import TwilioGateway

    accepted = TwilioGateway(msg_helpline.settings).send_sms(
        taken.to_phone, taken.body, "https://helpline.test/sms/status")
    with msg_app.app_context():
        assert reconcile_stuck(now) == {"found": 1, "resend": 1, "error": 0}
        assert reconcile_stuck(now) == {"found": 0, "resend": 0, "error": 0}
    assert _row(msg_session, taken.id).twilio_sid == accepted.sid
    assert _row(msg_session, taken.id).status == OutboxStatus.SENT
    assert _row(msg_session, lost.id).status == OutboxStatus.PENDING
    assert _deliver_at(msg_helpline, now) == 1
    assert sorted(m.params["To"] for m in fake_twilio.created()) == sorted(
        [taken.to_phone, lost.to_phone])


def test_rows_within_their_lease_are_left_to_their_worker(
    msg_app, msg_helpline, msg_session, fake_twilio
):
    row = queue_sms(msg_session, not_before=NOON_IST + dt.timedelta(days=365))
    now = dt.datetime.now(dt.UTC)
    _strand(msg_session, row.id, now - dt.timedelta(seconds=30))
    with msg_app.app_context():
        assert reconcile_stuck(now) == {"found": 0, "resend": 0, "error": 0}
    assert _row(msg_session, row.id).status == OutboxStatus.SENDING
    assert fake_twilio.requests == []


def test_the_worker_poller_sends_every_due_row_batch_after_batch_and_survives_a_failure(
    msg_helpline, msg_session, fake_twilio, monkeypatch
):
    msg_helpline.settings.__dict__["outbox_batch_size"] = 2  # frozen dataclass, test only
    for n in range(5):
        queue_sms(msg_session, phone=f"+9198140{n:05d}", params={"code": f"30000{n}"})
    queue_sms(msg_session, phone="+919814099999", params={"code": "399999"},
              not_before=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    poller = worker_module.OutboxPoller(msg_helpline, interval=0.05)
    assert poller.poll_once() == 5  # three batches; the row not yet due stays
    assert len(fake_twilio.created()) == 5

    # A round that fails (the database paused) does not end the thread.
    calls = []
    real_deliver = worker_module.deliver

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database failed a moment ago")
        return real_deliver(*args, **kwargs)

    monkeypatch.setattr(worker_module, "deliver", flaky)
    queue_sms(msg_session, phone="+919814088888", params={"code": "388888"})
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while len(fake_twilio.created()) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        poller.stop()
    assert len(calls) >= 2 and len(fake_twilio.created()) == 6
