"""A unit of work inside another joins it (``booking_core.base.unit_of_work``): nothing
is committed before the outer unit ends, and a failure inside rolls back only the inner
part. Taking a waiting-list offer is one such unit (the claim, the booking, the link):
a crash at any point before its commit leaves the offer as it was, on the portal's
session and on the phone line's (reads autocommit), on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

import booking_core.appointments as appointments_module
import booking_core.waiting_list as waiting_list_module
from booking_core.appointments import Appointment, AppointmentStatus, Channel
from booking_core.base import NotFound, unit_of_work
from booking_core.outbox import NEW_OUTBOX_KEY
from booking_core.slots import Slot
from booking_core.waiting_list import WaitingListEntry, WaitStatus, accept_offer
from tests.opd_factories import opd_morning
from tests.test_portal_waiting_take import (  # noqa: F401  (pg_app: a fixture)
    _call_session,
    held_for_one,
    pg_app,
)


class Crash(Exception):
    """A process dying mid-request: not a refusal the domain knows."""


def _slot_capacity(session, slot_id: int) -> int:
    return session.scalar(select(Slot.capacity).where(Slot.id == slot_id))


def test_an_inner_unit_that_fails_rolls_back_only_itself(session):
    morning = opd_morning(session, slots=2, capacity=3)
    first, second = morning.slots
    session.commit()
    with unit_of_work(session):
        session.execute(update(Slot).where(Slot.id == first.id).values(capacity=7))
        with pytest.raises(NotFound), unit_of_work(session):
            session.execute(update(Slot).where(Slot.id == second.id).values(capacity=9))
            raise NotFound("refused inside", entity="slot")
        # The outer unit goes on after the inner one's refusal.
        session.execute(update(Slot).where(Slot.id == second.id).values(capacity=5))
    session.expire_all()
    assert (_slot_capacity(session, first.id), _slot_capacity(session, second.id)) == (7, 5)


def test_an_inner_unit_commits_nothing_before_the_outer_one_ends(helpline, session):
    morning = opd_morning(session, slots=1, capacity=3)
    slot_id = morning.slots[0].id
    session.commit()
    with pytest.raises(Crash), unit_of_work(session):
        with unit_of_work(session):
            session.execute(update(Slot).where(Slot.id == slot_id).values(capacity=8))
        raise Crash  # after the inner unit ended: it must not have committed
    session.rollback()
    with helpline.session() as other:
        assert _slot_capacity(other, slot_id) == 3


@pytest.fixture
def woken(helpline):
    """The outbox ids each commit wakes a worker for (``Helpline.outbox_listeners``)."""
    calls: list[list[int]] = []
    helpline.outbox_listeners.append(calls.append)
    yield calls
    helpline.outbox_listeners.remove(calls.append)


def test_outbox_rows_wake_once_when_the_outer_unit_commits(session, woken):
    with unit_of_work(session):
        session.execute(select(1))
        session.info.setdefault(NEW_OUTBOX_KEY, []).append(1)
        with unit_of_work(session):
            session.info[NEW_OUTBOX_KEY].extend([2, 3])
        # Released, not committed: no worker may look for rows nobody else can see yet
        # (on SQLite it would wait for the write lock this transaction holds).
        assert woken == []
    assert woken == [[1, 2, 3]]


def test_outbox_rows_of_a_rolled_back_inner_unit_are_not_woken(session, woken):
    with unit_of_work(session):
        session.execute(select(1))
        session.info.setdefault(NEW_OUTBOX_KEY, []).append(1)
        with pytest.raises(Crash), unit_of_work(session):
            session.info[NEW_OUTBOX_KEY].extend([2, 3])
            raise Crash
        assert session.info[NEW_OUTBOX_KEY] == [1]
    assert woken == [[1]]


# Taking an offer, on PostgreSQL ----------------------------------------------------

def _state(helpline, entry_id: int, phone: str, slot_id: int):
    with helpline.session() as session:
        entry = session.get(WaitingListEntry, entry_id)
        booked = session.scalar(
            select(func.count()).select_from(Appointment)
            .where(Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.BOOKED))
        return entry.status, entry.appointment_id, booked


def _crash_in_the_booking(*_args, **_kwargs):
    raise Crash("killed while booking")


def _crash_after_the_booking(real):
    def booked_then_killed(*args, **kwargs):
        real(*args, **kwargs)
        raise Crash("killed before the entry was linked")
    return booked_then_killed


@pytest.mark.parametrize("where", ["in the booking", "after the booking"])
@pytest.mark.parametrize("line", ["portal", "phone"])
def test_a_crash_while_taking_an_offer_leaves_the_offer_as_it_was(
        pg_app, monkeypatch, where, line):  # noqa: F811
    helpline = pg_app.extensions["helpline"]
    entry_id, phone, hold_until, slot_id = held_for_one(helpline, Channel.IVR)
    now = hold_until - dt.timedelta(seconds=30)
    sessions = helpline.session if line == "portal" else (lambda: _call_session(pg_app))
    with monkeypatch.context() as patched:
        if where == "in the booking":
            patched.setattr(appointments_module, "flush_new_messages", _crash_in_the_booking)
        else:
            patched.setattr(waiting_list_module, "book_appointment",
                            _crash_after_the_booking(waiting_list_module.book_appointment))
        with sessions() as session, pytest.raises(Crash):
            accept_offer(session, entry_id, now=now, idempotency_key=f"call-{entry_id}")
    # Nothing of the attempt stands: still offered, no appointment, the place still held.
    assert _state(helpline, entry_id, phone, slot_id) == (WaitStatus.OFFERED, None, 0)
    # Twilio's retry (the same key) or the portal's second press takes it, once.
    with sessions() as session:
        taken = accept_offer(session, entry_id, now=now, idempotency_key=f"call-{entry_id}")
        reference = taken.reference
    status, linked, booked = _state(helpline, entry_id, phone, slot_id)
    assert (status, booked) == (WaitStatus.BOOKED, 1)
    with helpline.session() as session:
        assert session.get(Appointment, linked).reference == reference
        assert session.get(Slot, slot_id).booked == 1


def test_taking_an_offer_wakes_its_confirmation_once_it_is_committed(helpline, session):
    """The worker woken for the confirmation SMS finds it: the wake-up comes with the
    commit of the whole take, not with the booking's savepoint (where another
    connection cannot see the row yet and, on SQLite, waits for the write lock)."""
    from booking_core.outbox import OutboxMessage

    seen: list[tuple[int, int]] = []

    def worker(ids: list[int]) -> None:
        with helpline.session() as other:
            other.connection(execution_options={"isolation_level": "AUTOCOMMIT"}
                             if other.get_bind().dialect.name == "postgresql" else {})
            visible = other.scalar(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.id.in_(ids)))
            seen.append((len(ids), visible))

    entry_id, _, hold_until, _ = held_for_one(helpline, Channel.PORTAL)
    helpline.outbox_listeners.append(worker)
    try:
        with helpline.session() as portal:
            portal.get(WaitingListEntry, entry_id)  # the page read it first
            accept_offer(portal, entry_id, now=hold_until - dt.timedelta(seconds=30),
                         channel=Channel.PORTAL)
    finally:
        helpline.outbox_listeners.remove(worker)
    assert seen and all(visible == listed for listed, visible in seen), seen
