"""The phone line's database budget on PostgreSQL (issue 9, part 5): a menu webhook
makes at most 2 round trips to the database server, a whole booking call at most 25,
counted with SQLAlchemy's engine and pool events on every engine the app uses
(``bench.ivr_profile.Counters``: each statement, BEGIN and COMMIT, and pre-ping is one
round trip). Cheaper must not mean wrong: the booking is made once, the seat is
taken, and a pooled connection the server dropped costs a retry, not an apology."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select, text

from bench.ivr_profile import Counters, round_trips
from booking_core.appointments import Appointment
from booking_core.outbox import OutboxMessage
from booking_core.slots import Slot
from helpline.app import create_app
from tests.conftest import make_settings
from tests.fixtures_ivr import Phone, build_world

MENU_BUDGET = 2
CALL_BUDGET = 25
MENUS = ("main", "pick/hospital", "book/department", "book/day", "book/slot")


@pytest.fixture
def pg_app(pg_database_url):
    app = create_app(make_settings(pg_database_url, agent_hours="00:00-00:00"))
    yield app
    app.extensions["helpline"].engine.dispose()
    app.extensions["ivr.engine"].dispose()


class CountingPhone(Phone):
    """A phone that notes the round trips of each webhook it posts."""

    def __init__(self, client, counters: Counters, **kwargs) -> None:
        super().__init__(client, **kwargs)
        self.counters = counters
        self.trips: list[tuple[str, Counter[str]]] = []

    def post(self, url: str, **params: str):
        self.counters.take()
        root = super().post(url, **params)
        name = url.split("?")[0].rsplit("/ivr/", 1)[-1]
        self.trips.append((name, self.counters.take()))
        return root


def first_booking(phone: Phone) -> None:
    """A first-time English caller: language, book, Lok Nayak, Orthopaedics, first
    day, first time, confirm; then Twilio's status callback."""
    phone.call()
    for key in ("2", "1", "2", "1", "1", "1", "1"):
        phone.press(key)
    assert "Your appointment is booked" in phone.said
    phone.hang_up()


def test_menu_webhooks_and_a_booking_call_stay_within_the_budget(pg_app):
    helpline = pg_app.extensions["helpline"]
    with helpline.session() as session:
        world = build_world(session)
        seats_before = session.scalar(select(func.sum(Slot.booked)))
    counters = Counters(pg_app)
    first_booking(Phone(pg_app.test_client()))  # reads the directory once per process

    phone = CountingPhone(pg_app.test_client(), counters, caller="+919811111111")
    first_booking(phone)
    trips = [(name, round_trips(used)) for name, used in phone.trips]
    assert [name for name, _ in trips] == [
        "voice", "language", *MENUS, "book/confirm", "status"], trips
    for name, used in trips:
        if name in MENUS:
            assert used <= MENU_BUDGET, trips
    assert sum(used for _, used in trips) <= CALL_BUDGET, str(trips)

    # ... and the cheap call did everything the booking promises.
    with helpline.session() as session:
        booked = session.scalars(select(Appointment).where(
            Appointment.booked_by_phone.is_(None))).all()
        assert len(booked) == 2 and {a.hospital_id for a in booked} == {world.lok_nayak.id}
        assert session.scalar(select(func.sum(Slot.booked))) == seats_before + 2
        texted = session.scalars(select(OutboxMessage.to_phone).where(
            OutboxMessage.appointment_id.in_([a.id for a in booked]),
            OutboxMessage.template == "appointment_confirmation")).all()
        assert sorted(texted) == ["+919811111111", "+919812345678"]


def test_a_returning_callers_booking_call_stays_within_the_budget(pg_app):
    helpline = pg_app.extensions["helpline"]
    with helpline.session() as session:
        build_world(session)
    counters = Counters(pg_app)
    first_booking(Phone(pg_app.test_client()))
    phone = CountingPhone(pg_app.test_client(), counters)
    phone.call()
    for key in ("1", "1"):  # book; the time offered at their last department
        phone.press(key)
    assert "Your appointment is booked" in phone.said
    phone.hang_up()
    trips = [(name, round_trips(used)) for name, used in phone.trips]
    # The offer's "1" books (the read-back's work); "main" answers with the offer.
    assert [name for name, _ in trips] == ["voice", "main", "book/again", "status"], trips
    assert dict(trips)["main"] <= MENU_BUDGET, trips
    assert sum(used for _, used in trips) <= CALL_BUDGET, str(trips)


def test_a_dropped_pooled_connection_costs_a_retry_not_an_apology(pg_app, pg_database_url):
    """The phone line's pool does not ping before lending a connection: a connection
    the server dropped (a restart) fails on first use and the webhook is answered once
    more on a fresh one."""
    with pg_app.extensions["helpline"].session() as session:
        build_world(session)
    phone = Phone(pg_app.test_client())
    phone.call()
    phone.press("2")
    engine = pg_app.extensions["ivr.engine"]
    with engine.connect() as conn:  # the pooled connection the webhooks used
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    killer = create_engine(pg_database_url)
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()
    phone.press("1")  # book: the hospital menu, not the apology
    assert "Choose a hospital" in phone.said
    assert "Sorry" not in phone.said


def test_a_refused_booking_leaves_no_seat_taken(pg_app):
    """The booking is still one transaction on the phone line's autocommit pool: a
    second booking the same day is refused by the unique index after its seat UPDATE,
    and that UPDATE is rolled back with it (no seat lost), while the caller hears which
    booking holds the day."""
    helpline = pg_app.extensions["helpline"]
    with helpline.session() as session:
        world = build_world(session)
    phone = Phone(pg_app.test_client())
    phone.call()
    for key in ("2", "1", "2", "1", "1", "1"):  # up to the read-back: the first day at 9
        phone.press(key)
    # A second call from the same phone reaches its read-back before the first books
    # (the day menu no longer offers a day the patient holds: only a race gets here).
    later = Phone(pg_app.test_client())
    later.call()
    for key in ("1", "2", "1", "1", "2"):  # book, Lok Nayak, Orthopaedics, first day, 10
        later.press(key)
    assert "Please check" in later.said and "10 am" in later.said
    phone.press("1")  # the first call books the day
    assert "Your appointment is booked" in phone.said
    held = reference_of(phone)
    with helpline.session() as session:
        seats = session.scalar(select(Slot.booked).where(Slot.id == world.slots[1].id))
    later.press("1")  # confirm: refused
    assert "already has an appointment in this department on that day" in later.said
    assert held in later.said.replace(" ", "").replace(",", "")
    # Back to the day menu of the same hospital and department, without the held day.
    assert "Choose a day" in later.said and "main menu" not in later.said.split(".")[0]
    with helpline.session() as session:
        assert session.scalar(select(Slot.booked).where(Slot.id == world.slots[1].id)) == seats
        assert session.scalar(select(func.count()).select_from(Appointment)) == 1


def reference_of(phone: Phone) -> str:
    digits = "".join(ch for ch in phone.said.split("Once more")[0] if ch.isdigit())
    return digits[-8:]
