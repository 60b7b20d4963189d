"""A day's waiting list: a freed seat is held for the first person waiting, offered by
SMS and by a call, taken once, passed on when declined or unanswered; and on
PostgreSQL, racing answers, lapses and cancellations never give a seat twice."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    Channel,
    SlotFull,
    cancel_appointment,
)
from booking_core.base import DomainError
from booking_core.outbox import OutboxKind, OutboxMessage
from booking_core.slots import Slot
from booking_core.waiting_list import (
    OfferGone,
    SeatsFree,
    WaitingListEntry,
    WaitStatus,
    accept_offer,
    decline_offer,
    join_waiting_list,
    lapse_offers,
)
from helpline.app import create_app
from tests.conftest import make_settings
from tests.opd_factories import book, mobile, opd_morning


def _join(session, morning, phone=None, **kw):
    return join_waiting_list(session, department_id=morning.department.id,
                             day=morning.slots[0].local_day, phone=phone or mobile(),
                             channel=Channel.PORTAL, **kw)


def _messages(session, phone):
    return session.execute(select(OutboxMessage.kind, OutboxMessage.template).where(
        OutboxMessage.to_phone == phone).order_by(OutboxMessage.id)).all()


def test_a_freed_seat_is_held_offered_and_taken_once(session):
    morning = opd_morning(session, slots=1, capacity=2)
    with pytest.raises(SeatsFree):
        _join(session, morning)
    held = [book(session, morning.slots[0]) for _ in range(2)]
    first, ahead = _join(session, morning, language="en")
    second, behind = _join(session, morning)
    assert (ahead, behind) == (0, 1)
    assert _join(session, morning, phone=first.phone)[0].id == first.id  # once per number
    cancel_appointment(session, held[0].reference, channel=Channel.PORTAL)
    session.refresh(first)
    assert first.status == WaitStatus.OFFERED and first.offered_token == held[0].token
    assert _messages(session, first.phone) == [(OutboxKind.SMS, "waiting_list_offer"),
                                               (OutboxKind.CALL, "waiting_list_offer")]
    with pytest.raises(SlotFull):  # held: nobody else can book it meanwhile
        book(session, morning.slots[0])
    taken = accept_offer(session, first.id)
    assert (taken.slot_id, taken.token, taken.status) == (
        morning.slots[0].id, held[0].token, AppointmentStatus.BOOKED)
    assert accept_offer(session, first.id).id == taken.id  # answered twice: one booking
    session.refresh(morning.slots[0])
    assert morning.slots[0].booked == 2
    session.refresh(second)
    assert second.status == WaitStatus.WAITING


def test_declined_and_unanswered_offers_pass_down_the_list(session):
    morning = opd_morning(session, slots=1, capacity=1)
    held = book(session, morning.slots[0])
    a, b = _join(session, morning)[0], _join(session, morning)[0]
    now = morning.slots[0].starts_at - dt.timedelta(hours=3)
    cancel_appointment(session, held.reference, channel=Channel.PORTAL, now=now)
    session.refresh(a)
    assert a.status == WaitStatus.OFFERED
    nxt = decline_offer(session, a.id, now=now)
    assert nxt is not None and nxt.id == b.id
    with pytest.raises(OfferGone):
        accept_offer(session, a.id, now=now)
    hold_until = nxt.hold_until
    assert lapse_offers(session, now=hold_until - dt.timedelta(seconds=1)) == 0
    assert lapse_offers(session, now=hold_until) == 1
    session.refresh(b)
    assert b.status == WaitStatus.LAPSED
    session.refresh(morning.slots[0])
    assert morning.slots[0].booked == 0  # nobody left waiting: back to the pool
    assert book(session, morning.slots[0]).status == AppointmentStatus.BOOKED


# On PostgreSQL, with racing threads ---------------------------------------------------------

@pytest.fixture
def pg_helpline(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    yield app.extensions["helpline"]
    app.extensions["helpline"].engine.dispose()


def _together(helpline, *jobs):
    start = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(n, job):
        with helpline.session() as session:
            start.wait(10)
            try:
                results[n] = job(session)
            except DomainError as exc:
                results[n] = exc.code

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


ROUNDS = 12


def test_two_takers_racing_for_one_freed_seat_exactly_one_gets_it(pg_helpline):
    """A answers "1" just before the hold ends while the scheduler, a moment later by its
    own clock, lapses A's offer and B answers "1" to the offer that follows."""
    winners = set()
    for round_ in range(ROUNDS):
        # Stagger the two sides differently each round so both orders happen.
        a_late, b_late = (0.05 * (round_ % 3), 0.05 * ((round_ + 1) % 3))
        with pg_helpline.session() as session:
            morning = opd_morning(session, slots=1, capacity=1)
            held = book(session, morning.slots[0])
            a, b = _join(session, morning)[0], _join(session, morning)[0]
            cancel_appointment(session, held.reference, channel=Channel.PORTAL)
            session.refresh(a)
            end, a_id, b_id, slot_id = a.hold_until, a.id, b.id, morning.slots[0].id

        def a_takes(session, a_late=a_late, a_id=a_id, end=end):
            time.sleep(a_late)
            return accept_offer(session, a_id, now=end - dt.timedelta(seconds=1)).id

        def lapse_then_b_takes(session, b_late=b_late, b_id=b_id, end=end):
            time.sleep(b_late)
            lapse_offers(session, now=end + dt.timedelta(seconds=1))
            return accept_offer(session, b_id, now=end + dt.timedelta(seconds=2)).id

        got_a, got_b = _together(pg_helpline, a_takes, lapse_then_b_takes)
        booked = [r for r in (got_a, got_b) if isinstance(r, int)]
        assert len(booked) == 1, (got_a, got_b)
        assert {got_a, got_b} - set(booked) <= {"offer_gone"}
        with pg_helpline.session() as session:
            slot = session.get(Slot, slot_id)
            active = session.scalar(select(func.count()).select_from(Appointment).where(
                Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.BOOKED))
            statuses = {e.id: e.status for e in session.scalars(select(WaitingListEntry).where(
                WaitingListEntry.id.in_((a_id, b_id))))}
        assert (slot.booked, active) == (1, 1)
        assert list(statuses.values()).count(WaitStatus.BOOKED) == 1
        winners.add("a" if isinstance(got_a, int) else "b")
    assert winners == {"a", "b"}  # both orders happened; never both got the seat


def test_concurrent_cancellations_offer_each_seat_to_a_different_person(pg_helpline):
    with pg_helpline.session() as session:
        morning = opd_morning(session, slots=1, capacity=3)
        held = [book(session, morning.slots[0]) for _ in range(3)]
        waiting = [_join(session, morning)[0].id for _ in range(2)]
        slot_id = morning.slots[0].id

    def cancel(reference):
        return lambda session: cancel_appointment(session, reference,
                                                  channel=Channel.PORTAL).id

    _together(pg_helpline, *(cancel(h.reference) for h in held))
    with pg_helpline.session() as session:
        entries = list(session.scalars(select(WaitingListEntry).where(
            WaitingListEntry.id.in_(waiting))))
        assert [e.status for e in entries] == [WaitStatus.OFFERED] * 2
        assert len({e.offered_token for e in entries}) == 2  # two seats, two people
        assert session.get(Slot, slot_id).booked == 2  # the third seat is free again
