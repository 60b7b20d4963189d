"""Leaving a day's waiting list: only the entry's own number, once; an entry holding an
offer passes its seat on as a decline does; and on PostgreSQL, racing leaves and
declines of the same offer pass the seat on exactly once. What may be joined
(``check_joinable``) and the full days offered (``full_days``)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Channel, cancel_appointment
from booking_core.base import InvalidInput, NotFound
from booking_core.outbox import OutboxMessage
from booking_core.slots import Slot
from booking_core.waiting_list import (
    NoOpdThatDay,
    SeatAlreadyTaken,
    SeatsFree,
    WaitingListEntry,
    WaitStatus,
    accept_offer,
    check_joinable,
    decline_offer,
    earliest_full_day,
    full_days,
    join_waiting_list,
    leave_waiting_list,
    waiting_for,
    waiting_places,
)
from tests.factories import make_slot
from tests.opd_factories import book, mobile, opd_morning
from tests.test_opd_waiting_list import _together, pg_helpline  # noqa: F401 (fixture)


def _join(session, morning, phone=None):
    return join_waiting_list(session, department_id=morning.department.id,
                             day=morning.slots[0].local_day, phone=phone or mobile(),
                             channel=Channel.PORTAL)[0]


def _full_morning(session, capacity=1):
    morning = opd_morning(session, slots=1, capacity=capacity)
    held = [book(session, morning.slots[0]) for _ in range(capacity)]
    return morning, held


def test_leaving_takes_a_waiting_entry_off_once_and_only_for_its_own_number(session):
    morning, _ = _full_morning(session)
    mine, behind = _join(session, morning), _join(session, morning)
    with pytest.raises(NotFound):  # another person's entry: as if there were none
        leave_waiting_list(session, mine.id, behind.phone)
    with pytest.raises(NotFound):
        leave_waiting_list(session, 2_000_000, mine.phone)
    left = leave_waiting_list(session, mine.id, mine.phone)
    assert left.status == WaitStatus.LEFT
    assert leave_waiting_list(session, mine.id, mine.phone).status == WaitStatus.LEFT
    assert waiting_for(session, mine.phone) == []
    assert [(e.id, ahead) for e, ahead in waiting_places(session, behind.phone)] == [
        (behind.id, 0)]  # the one behind moved up
    again = _join(session, morning, phone=mine.phone)  # joining again: a new place, last
    assert again.id != mine.id
    assert waiting_places(session, mine.phone)[0][1] == 1


def test_leaving_with_an_offer_passes_the_seat_to_the_next_person(session):
    morning, held = _full_morning(session)
    first, second = _join(session, morning), _join(session, morning)
    cancel_appointment(session, held[0].reference, channel=Channel.PORTAL)
    session.refresh(first)
    assert first.status == WaitStatus.OFFERED
    left = leave_waiting_list(session, first.id, first.phone)
    assert left.status == WaitStatus.LEFT
    session.refresh(second)
    assert second.status == WaitStatus.OFFERED
    assert second.offered_token == held[0].token
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.to_phone == second.phone,
        OutboxMessage.template == "waiting_list_offer")) == 2  # the SMS and the call
    session.refresh(morning.slots[0])
    assert morning.slots[0].booked == 1  # held for the second person, never freed twice
    assert leave_waiting_list(session, first.id, first.phone).status == WaitStatus.LEFT
    session.refresh(second)
    assert second.status == WaitStatus.OFFERED  # a second leave passed nothing on


def test_an_offer_taken_cannot_be_left_and_a_declined_one_is_already_off(session):
    morning, held = _full_morning(session, capacity=2)
    taker, decliner = _join(session, morning), _join(session, morning)
    cancel_appointment(session, held[0].reference, channel=Channel.PORTAL)
    accept_offer(session, taker.id)
    with pytest.raises(SeatAlreadyTaken) as refused:
        leave_waiting_list(session, taker.id, taker.phone)
    assert refused.value.code == "waiting_list_booked"
    cancel_appointment(session, held[1].reference, channel=Channel.PORTAL)
    decline_offer(session, decliner.id)
    assert leave_waiting_list(session, decliner.id, decliner.phone).status == \
        WaitStatus.DECLINED


def test_only_a_full_day_with_opd_to_come_in_the_window_may_be_joined(session):
    morning = opd_morning(session, slots=2, capacity=1)
    department, day = morning.department.id, morning.slots[0].local_day
    with pytest.raises(SeatsFree):
        check_joinable(session, department, day)
    book(session, morning.slots[0])
    with pytest.raises(SeatsFree):  # one session of the day still has a seat
        check_joinable(session, department, day)
    book(session, morning.slots[1])
    assert check_joinable(session, department, day).id == department
    with pytest.raises(NoOpdThatDay):  # nothing to wait for on a day without OPD
        check_joinable(session, department, day + dt.timedelta(days=1))
    with pytest.raises(InvalidInput):
        check_joinable(session, department, day + dt.timedelta(days=400))
    with pytest.raises(InvalidInput):
        check_joinable(session, department, day - dt.timedelta(days=5))
    with pytest.raises(NotFound):
        check_joinable(session, 2_000_000, day)
    with pytest.raises(NoOpdThatDay):
        join_waiting_list(session, department_id=department, phone=mobile(),
                          day=day + dt.timedelta(days=1), channel=Channel.PORTAL)


def test_full_days_lists_every_full_day_soonest_first(session):
    morning, _ = _full_morning(session)
    later = make_slot(session, morning.department, capacity=1,
                      at=morning.slots[0].starts_at + dt.timedelta(days=3))
    free = make_slot(session, morning.department, capacity=1,
                     at=morning.slots[0].starts_at + dt.timedelta(days=1))
    book(session, later)
    department = morning.department.id
    assert full_days(session, department) == [morning.slots[0].local_day, later.local_day]
    assert full_days(session, department, limit=1) == [morning.slots[0].local_day]
    assert earliest_full_day(session, department) == morning.slots[0].local_day
    assert free.local_day not in full_days(session, department)


# On PostgreSQL, with racing threads ---------------------------------------------------------

ROUNDS = 8


def test_racing_leaves_and_a_decline_of_one_offer_pass_the_seat_on_once(pg_helpline):  # noqa: F811
    for _ in range(ROUNDS):
        with pg_helpline.session() as session:
            morning, held = _full_morning(session)
            first = _join(session, morning)
            others = [_join(session, morning) for _ in range(3)]
            cancel_appointment(session, held[0].reference, channel=Channel.PORTAL)
            session.refresh(first)
            assert first.status == WaitStatus.OFFERED
            first_id, phone, slot_id = first.id, first.phone, morning.slots[0].id
            other_ids = [o.id for o in others]

        def leave(session, first_id=first_id, phone=phone):
            return leave_waiting_list(session, first_id, phone).status.value

        def decline(session, first_id=first_id):
            decline_offer(session, first_id)
            return "declined"

        results = _together(pg_helpline, leave, leave, decline)
        assert all(r in ("left", "declined", "offer_gone") for r in results), results
        with pg_helpline.session() as session:
            statuses = [session.get(WaitingListEntry, i).status for i in other_ids]
            ended = session.get(WaitingListEntry, first_id).status
            booked = session.get(Slot, slot_id).booked
            offers = session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.to_phone.in_([o.phone for o in others]),
                OutboxMessage.template == "waiting_list_offer"))
        # Exactly one next person holds the seat; it was neither lost nor given twice.
        assert statuses == [WaitStatus.OFFERED, WaitStatus.WAITING, WaitStatus.WAITING]
        assert ended in (WaitStatus.LEFT, WaitStatus.DECLINED)
        assert booked == 1 and offers == 2
