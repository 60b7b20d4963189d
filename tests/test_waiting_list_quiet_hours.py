"""A waiting-list offer is not sent in the helpline's quiet hours: a seat freed at night
is held for the first person waiting, offered (SMS and call) when the hours end, and
lapses only its hold after that; a seat freed in the day is offered at once, as ever."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking_core.appointments import BookingRules, Channel, SlotFull, cancel_appointment
from booking_core.outbox import OutboxKind, OutboxMessage
from booking_core.quiet_hours import quiet_hours_end
from booking_core.waiting_list import (
    WaitingListEntry,
    WaitStatus,
    decline_offer,
    join_waiting_list,
    lapse_offers,
)
from helpline.app import create_app
from helpline.opd_jobs import run_offer_lapses
from messaging.replies import handle_inbound
from tests.conftest import make_settings
from tests.opd_factories import book, mobile, opd_morning

IST = ZoneInfo("Asia/Kolkata")
QUIET = "21:00-08:00"  # the production default of SMS_QUIET_HOURS
HOLD = dt.timedelta(minutes=10)


def _join(session, morning):
    return join_waiting_list(session, department_id=morning.department.id,
                             day=morning.slots[0].local_day, phone=mobile(),
                             channel=Channel.PORTAL)[0]


def _at(morning, days_before: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local moment ``days_before`` the slot's day, in UTC."""
    day = morning.slots[0].starts_at.astimezone(IST).date() - dt.timedelta(days=days_before)
    return dt.datetime.combine(day, dt.time(hour, minute), IST).astimezone(dt.UTC)


def _offer_rows(session, phone):
    return session.execute(
        select(OutboxMessage.kind, OutboxMessage.not_before)
        .where(OutboxMessage.to_phone == phone, OutboxMessage.template == "waiting_list_offer")
        .order_by(OutboxMessage.id)).all()


def _full_day_with_two_waiting(session):
    morning = opd_morning(session, slots=1, capacity=1)  # 09:30 in Delhi
    held = book(session, morning.slots[0])
    first, second = _join(session, morning), _join(session, morning)
    return morning, held, first, second


def test_a_seat_freed_at_night_is_held_and_offered_when_the_quiet_hours_end(session):
    morning, held, first, second = _full_day_with_two_waiting(session)
    night = _at(morning, 1, 2, 43)
    quiet_end = _at(morning, 1, 8, 0)
    cancel_appointment(session, held.reference, channel=Channel.PORTAL, now=night,
                       rules=BookingRules(quiet_hours=QUIET))
    session.refresh(first)
    # Held for the first person at once: nobody else can book it meanwhile.
    assert first.status == WaitStatus.OFFERED
    session.refresh(morning.slots[0])
    assert morning.slots[0].booked == 1
    with pytest.raises(SlotFull):
        book(session, morning.slots[0])
    # The SMS and the call wait for 08:00; the hold runs from then.
    assert _offer_rows(session, first.phone) == [(OutboxKind.SMS, quiet_end),
                                                 (OutboxKind.CALL, quiet_end)]
    assert not session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.template == "waiting_list_offer",
        OutboxMessage.not_before < quiet_end)).all()
    assert (first.offered_at, first.hold_until) == (quiet_end, quiet_end + HOLD)
    # The scheduler's runs through the night and up to the end of the hold lapse nothing.
    for moment in (night + HOLD, night + dt.timedelta(hours=3), quiet_end,
                   quiet_end + HOLD - dt.timedelta(seconds=1)):
        assert lapse_offers(session, now=moment, quiet_hours=QUIET) == 0
    session.refresh(first)
    session.refresh(second)
    assert (first.status, second.status) == (WaitStatus.OFFERED, WaitStatus.WAITING)
    assert _offer_rows(session, second.phone) == []
    # Unanswered: it lapses hold_minutes after it was sent, and the next person is
    # offered at once (it is day now).
    assert lapse_offers(session, now=quiet_end + HOLD, quiet_hours=QUIET) == 1
    session.refresh(first)
    session.refresh(second)
    assert (first.status, second.status) == (WaitStatus.LAPSED, WaitStatus.OFFERED)
    assert second.hold_until == quiet_end + 2 * HOLD
    assert _offer_rows(session, second.phone) == [(OutboxKind.SMS, quiet_end + HOLD),
                                                  (OutboxKind.CALL, quiet_end + HOLD)]


def test_a_seat_freed_in_the_day_is_offered_at_once_as_before(session):
    morning, held, first, _ = _full_day_with_two_waiting(session)
    noon = _at(morning, 1, 12, 0)
    cancel_appointment(session, held.reference, channel=Channel.PORTAL, now=noon,
                       rules=BookingRules(quiet_hours=QUIET))
    session.refresh(first)
    assert first.status == WaitStatus.OFFERED
    assert (first.offered_at, first.hold_until) == (noon, noon + HOLD)
    assert _offer_rows(session, first.phone) == [(OutboxKind.SMS, noon),
                                                 (OutboxKind.CALL, noon)]
    assert lapse_offers(session, now=noon + HOLD, quiet_hours=QUIET) == 1


def test_an_offer_passed_on_at_night_waits_for_the_morning(session):
    """An evening offer that lapses, or is declined, once the quiet hours have begun
    goes to the next person at 08:00, not at once."""
    morning = opd_morning(session, slots=1, capacity=1)
    held = book(session, morning.slots[0])
    a, b, c = _join(session, morning), _join(session, morning), _join(session, morning)
    evening = _at(morning, 1, 20, 55)
    cancel_appointment(session, held.reference, channel=Channel.PORTAL, now=evening,
                       rules=BookingRules(quiet_hours=QUIET))
    session.refresh(a)
    assert a.hold_until == evening + HOLD  # made in the day: held from at once
    assert lapse_offers(session, now=evening + HOLD, quiet_hours=QUIET) == 1
    quiet_end = _at(morning, 0, 8, 0)
    session.refresh(b)
    assert b.status == WaitStatus.OFFERED
    assert (b.offered_at, b.hold_until) == (quiet_end, quiet_end + HOLD)
    assert _offer_rows(session, b.phone) == [(OutboxKind.SMS, quiet_end),
                                             (OutboxKind.CALL, quiet_end)]
    # Declined at night on the portal (it shows the held place): the next waits too.
    nxt = decline_offer(session, b.id, now=_at(morning, 0, 1, 0), quiet_hours=QUIET)
    assert nxt is not None and nxt.id == c.id
    assert (nxt.offered_at, nxt.hold_until) == (quiet_end, quiet_end + HOLD)


def test_a_slot_too_soon_after_the_quiet_hours_is_offered_at_once(session):
    """Quiet hours ending less than the hold before the slot begins: waiting for them
    would leave the seat unused, so it is offered at once, as in the day."""
    morning, held, first, _ = _full_day_with_two_waiting(session)
    night = _at(morning, 0, 2, 43)  # the slot's own day; it begins at 09:30
    cancel_appointment(session, held.reference, channel=Channel.PORTAL, now=night,
                       rules=BookingRules(quiet_hours="21:00-09:25"))
    session.refresh(first)
    assert first.status == WaitStatus.OFFERED
    assert (first.offered_at, first.hold_until) == (night, night + HOLD)
    assert _offer_rows(session, first.phone) == [(OutboxKind.SMS, night),
                                                 (OutboxKind.CALL, night)]


# The adapters pass SMS_QUIET_HOURS (the real clock here: the quiet hours are set
# around it) ----------------------------------------------------------------------------

@pytest.fixture
def night_app(database_url):
    """An app whose quiet hours began an hour ago and end in two."""
    local = dt.datetime.now(IST)
    spec = (f"{(local - dt.timedelta(hours=1)):%H:%M}-"
            f"{(local + dt.timedelta(hours=2)):%H:%M}")
    app = create_app(make_settings(database_url, sms_quiet_hours=spec))
    yield app
    app.extensions["helpline"].engine.dispose()


def _quiet_end(app) -> dt.datetime:
    end = quiet_hours_end(dt.datetime.now(dt.UTC),
                          app.extensions["helpline"].settings.sms_quiet_hours, "Asia/Kolkata")
    assert end is not None
    return end


def test_the_lapse_job_offers_the_next_person_when_the_quiet_hours_end(night_app):
    helpline = night_app.extensions["helpline"]
    with helpline.session() as session:
        morning = opd_morning(session, slots=1, capacity=1)
        held = book(session, morning.slots[0])
        first, second = _join(session, morning), _join(session, morning)
        # Offered in the day (no quiet hours then), its hold ran out at night.
        cancel_appointment(session, held.reference, channel=Channel.PORTAL,
                           now=dt.datetime.now(dt.UTC) - 2 * HOLD)
        with night_app.app_context():
            assert run_offer_lapses() == {"lapsed": 1}
        session.expire_all()
        assert session.get(WaitingListEntry, first.id).status == WaitStatus.LAPSED
        offered = session.get(WaitingListEntry, second.id)
        assert offered.status == WaitStatus.OFFERED
        end = _quiet_end(night_app)
        assert (offered.offered_at, offered.hold_until) == (end, end + HOLD)
        assert _offer_rows(session, second.phone) == [(OutboxKind.SMS, end),
                                                      (OutboxKind.CALL, end)]


def test_a_cancel_by_sms_at_night_offers_the_seat_when_the_quiet_hours_end(night_app):
    helpline = night_app.extensions["helpline"]
    settings = helpline.settings
    with helpline.session() as session:
        morning = opd_morning(session, slots=1, capacity=1)
        patient = mobile()
        held = book(session, morning.slots[0], phone=patient)
        first = _join(session, morning)
        session.rollback()
        handle_inbound(session, message_sid="SMquiet1", from_phone=patient,
                       body=f"CANCEL {held.reference}", tz=settings.helpline_timezone,
                       helpline_number="+911140000000", quiet_hours=settings.sms_quiet_hours)
        session.expire_all()
        offered = session.get(WaitingListEntry, first.id)
        assert offered.status == WaitStatus.OFFERED
        end = _quiet_end(night_app)
        assert offered.hold_until == end + HOLD
        assert _offer_rows(session, first.phone) == [(OutboxKind.SMS, end),
                                                     (OutboxKind.CALL, end)]
