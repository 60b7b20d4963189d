"""A day that stops holding an OPD (a public holiday, the hospital's or the department's
closure) ends its waiting list with it: every entry still waiting, or holding a place,
is closed in the transaction that cancels the day's bookings, its held seat released
and its offer's SMS and call withdrawn, and its person told once by SMS in their
language; the portal then says the place has ended, never "waiting". Nobody may join
the closed day's list, and on PostgreSQL a take or a join racing the closure never
leaves a booking or a place on the closed day."""

from __future__ import annotations

import datetime as dt
import threading
import time
from functools import partial

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, AppointmentStatus, Channel, cancel_appointment
from booking_core.base import DomainError
from booking_core.opd_calendar import (
    ClosureInput,
    HolidayInput,
    SlotHorizon,
    add_holiday,
    close_opd,
)
from booking_core.outbox import OutboxKind, OutboxMessage, OutboxStatus
from booking_core.slots import Slot
from booking_core.waiting_list import (
    NoOpdThatDay,
    OfferGone,
    WaitingListEntry,
    WaitStatus,
    accept_offer,
    decline_offer,
    join_waiting_list,
    leave_waiting_list,
    people_ahead,
)
from helpline.app import create_app
from locales import render
from locales.formatting import sms_date
from messaging.dlt import DLT_VARIABLE_MAX, dlt_pattern
from tests.conftest import make_settings
from tests.fixtures_api import reading
from tests.opd_factories import book, mobile, opd_morning
from tests.test_master_data import ADMIN, HORIZON
from tests.test_portal_pages import Portal
from tests.test_portal_waiting_list import _join_on_the_portal, _morning

TEMPLATE = "waiting_list_opd_closed"


def _close(session, how: str, morning, *, horizon: SlotHorizon = HORIZON) -> int:
    """Stop the OPD of ``morning``'s day the way ``how`` says; returns the bookings
    cancelled."""
    day = morning.slots[0].local_day.isoformat()
    if how == "holiday":
        return add_holiday(session, HolidayInput(day, "Test Jayanti", "परीक्षण जयंती"),
                           editor=ADMIN, horizon=horizon)[1]
    department = str(morning.department.id) if how == "department" else ""
    return close_opd(session, morning.hospital.id, ClosureInput(day, department),
                     editor=ADMIN, horizon=horizon)[1]


def _full_day_with_a_list(session, *, held_lang: str = "en", waiting_lang: str = "hi"):
    """A full day (two seats) with two people on its list: one booking is cancelled, so
    a place is held for the first; the second waits. Returns the morning and both
    entries."""
    morning = opd_morning(session, slots=1, capacity=2)
    slot = morning.slots[0]
    first, _ = (book(session, slot) for _ in range(2))
    join = dict(department_id=morning.department.id, day=slot.local_day,
                channel=Channel.PORTAL)
    held = join_waiting_list(session, phone=mobile(), language=held_lang, **join)[0]
    waiting = join_waiting_list(session, phone=mobile(), language=waiting_lang, **join)[0]
    cancel_appointment(session, first.reference, channel=Channel.PORTAL)
    session.refresh(held)
    assert (held.status, waiting.status) == (WaitStatus.OFFERED, WaitStatus.WAITING)
    return morning, held, waiting


def _told(session, entry: WaitingListEntry) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_phone == entry.phone,
        OutboxMessage.template.like(f"{TEMPLATE}%"))))


@pytest.mark.parametrize("how", ["holiday", "hospital", "department"])
def test_the_day_closing_ends_its_list_and_texts_each_person_in_their_language(session,
                                                                                how):
    morning, held, waiting = _full_day_with_a_list(session)
    cancelled = _close(session, how, morning)
    assert cancelled == 1  # the booking left; a held place is no booking
    session.rollback()
    for entry in (held, waiting):
        session.refresh(entry)
        assert entry.status == WaitStatus.OPD_CLOSED
        assert people_ahead(session, entry) == 0
    slot = session.get(Slot, morning.slots[0].id, populate_existing=True)
    assert slot.closed and slot.booked == 0  # the held seat is released with the rest
    for entry, lang in ((held, "en"), (waiting, "hi")):
        (sms,) = _told(session, entry)
        assert (sms.template, sms.language, sms.kind) == (TEMPLATE, lang, OutboxKind.SMS)
        match = dlt_pattern(lang, f"sms.{TEMPLATE}").fullmatch(sms.body)
        assert match, sms.body
        assert all(len(group) <= DLT_VARIABLE_MAX for group in match.groups())
        assert morning.hospital.short_name(lang) in sms.body
        assert sms_date(lang, morning.slots[0].local_day) in sms.body
        assert HORIZON.helpline_number in sms.body
    english, hindi = _told(session, held)[0].body, _told(session, waiting)[0].body
    assert "there will be no" in english and "waiting list has ended" in english
    assert english.endswith("to book another day.")
    assert "ओपीडी नहीं होगी" in hindi and "प्रतीक्षा सूची में आपकी जगह नहीं रही" in hindi
    # The offer's SMS and call, not yet sent, are withdrawn: no "press 1" for a closed day.
    offer = session.scalars(select(OutboxMessage.status).where(
        OutboxMessage.dedupe_key.like(f"wl-offer:{held.id}:%"))).all()
    assert len(offer) == 2 and set(offer) == {OutboxStatus.CANCELLED}
    # The ended place can be neither taken nor passed on; leaving it changes nothing.
    with pytest.raises(OfferGone):
        accept_offer(session, held.id)
    with pytest.raises(OfferGone):
        decline_offer(session, held.id)
    assert leave_waiting_list(session, waiting.id, waiting.phone).status == (
        WaitStatus.OPD_CLOSED)


def test_each_person_is_told_once_however_many_times_the_day_closes(session):
    morning, held, waiting = _full_day_with_a_list(session)
    # A second department of the same hospital, full that day, with one person waiting.
    other = opd_morning(session, slots=1, capacity=1, hospital=morning.hospital)
    book(session, other.slots[0])
    elsewhere = join_waiting_list(session, department_id=other.department.id,
                                  day=other.slots[0].local_day, phone=mobile(),
                                  channel=Channel.IVR, language="en")[0]
    _close(session, "department", morning)
    session.rollback()
    session.refresh(elsewhere)
    assert elsewhere.status == WaitStatus.WAITING and _told(session, elsewhere) == []
    _close(session, "hospital", morning)
    _close(session, "holiday", morning)
    session.rollback()
    for entry in (held, waiting, elsewhere):
        session.refresh(entry)
        assert entry.status == WaitStatus.OPD_CLOSED
        assert len(_told(session, entry)) == 1


def test_without_a_number_to_call_the_sms_says_call_the_helpline(session):
    morning, held, waiting = _full_day_with_a_list(session)
    _close(session, "department", morning,
           horizon=SlotHorizon(days=14, tz="Asia/Kolkata", helpline_number=""))
    session.rollback()
    (english,), (hindi,) = _told(session, held), _told(session, waiting)
    assert english.template == hindi.template == f"{TEMPLATE}_no_number"
    assert english.body.endswith("Call the helpline to book another day.")
    assert hindi.body.endswith("हेल्पलाइन को कॉल करें।")
    for sms in (english, hindi):
        assert dlt_pattern(sms.language, f"sms.{sms.template}").fullmatch(sms.body)


def test_a_closed_days_list_cannot_be_joined(session):
    morning, held, _ = _full_day_with_a_list(session)
    _close(session, "department", morning)
    for phone in (mobile(), held.phone):
        with pytest.raises(NoOpdThatDay):
            join_waiting_list(session, department_id=morning.department.id,
                              day=morning.slots[0].local_day, phone=phone,
                              channel=Channel.PORTAL)


# The portal ---------------------------------------------------------------------------

@pytest.fixture
def portal(client, session):
    return Portal(client, session)


ENDED = {"en": "There will be no OPD on this day, so your place on its waiting list has "
               "ended. Please book another day.",
         "hi": "इस दिन ओपीडी नहीं होगी, इसलिए इसकी प्रतीक्षा सूची में आपकी जगह ख़त्म हो गई "
               "है। कृपया कोई दूसरा दिन बुक करें।"}


@pytest.mark.parametrize("held", [False, True], ids=["waiting", "held"])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_says_the_place_has_ended_not_waiting(portal, session, lang, held):
    m = _morning(session)
    portal.choose(lang)
    entry_page = _join_on_the_portal(portal, m)
    with reading(session):
        if held:
            cancel_appointment(session, m.held_reference, channel=Channel.PORTAL)
        hospital_id = m.hospital_id
        close_opd(session, hospital_id, ClosureInput(m.day.isoformat()), editor=ADMIN,
                  horizon=HORIZON)
    # The words of a live place: its status ("Waiting · ..." on My appointments, alone on
    # its page), the place in the queue, the held appointment and its button.
    waiting_words = (f"{render(lang, 'portal.wait_status.waiting')} ·",
                     render(lang, "portal.wait.ahead.zero"),
                     render(lang, "portal.wait_status.offered"),
                     render(lang, "portal.wait.take"))
    for page in (entry_page, "/portal/appointments"):
        portal.get(page)
        said = portal.text()
        assert portal.status == 200 and ENDED[lang] in said, (page, said)
        assert render(lang, "portal.wait_status.opd_closed") in said
        assert not any(words in said for words in waiting_words), (page, said)
        assert f">{render(lang, 'portal.wait_status.waiting')}<" not in portal.page
        assert f'href="{entry_page}/leave"' not in portal.page
        assert 'id="take"' not in portal.page
    # The way on: the department's booking page, for another day.
    assert f'href="/portal/book/{m.hospital_id}/{m.department_id}"' in portal.page


# On PostgreSQL, racing the closure ----------------------------------------------------

@pytest.fixture
def pg_helpline(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    yield app.extensions["helpline"]
    app.extensions["helpline"].engine.dispose()


ROUNDS = 8
STAGGER = (0.0, 0.02, 0.05, 0.1)
# The closure waits this long in each round: in the rounds it waits, the take and the
# join (at most 0.1 s late) come first, however the machine schedules the threads; in
# the others they race it or come after.
CLOSE_STAGGER = (0.3, 0.0, 0.3, 0.0)


def _close_department(session, *, hospital_id: int, department_id: int, day: dt.date,
                      late: float = 0.0) -> int:
    time.sleep(late)
    return close_opd(session, hospital_id, ClosureInput(day.isoformat(), str(department_id)),
                     editor=ADMIN, horizon=HORIZON)[1]


def _take(session, *, late: float, entry_id: int) -> str:
    time.sleep(late)
    return accept_offer(session, entry_id).reference


def _join_late(session, *, late: float, department_id: int, day: dt.date, phone: str) -> int:
    time.sleep(late)
    return join_waiting_list(session, department_id=department_id, day=day, phone=phone,
                             channel=Channel.IVR)[0].id


def _together(helpline, jobs) -> list[object]:
    """Run ``jobs`` at once, each in its own session; a domain refusal is its code, any
    other failure (a deadlock) its repr, so the test names it."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(n, job):
        with helpline.session() as session:
            start.wait(10)
            try:
                results[n] = job(session)
            except DomainError as exc:
                results[n] = exc.code
            except Exception as exc:  # a deadlock: named in the assertion
                results[n] = repr(exc)

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_a_take_or_a_join_racing_the_closure_leaves_nothing_on_the_closed_day(pg_helpline):
    """The person holding a place takes it, and someone new joins the list, while an
    administrator closes the department that day: whichever comes first, nothing is
    left booked or on the list for the closed day, the seat counts come back to zero,
    and whoever ended up with a booking or a place is told once."""
    orders: set[tuple[str, str]] = set()
    for round_ in range(ROUNDS):
        with pg_helpline.session() as session:
            morning, held, _ = _full_day_with_a_list(session)
            book_ref = session.scalar(select(Appointment.reference).where(
                Appointment.slot_id == morning.slots[0].id,
                Appointment.status == AppointmentStatus.BOOKED))
            cancel_appointment(session, book_ref, channel=Channel.PORTAL)  # offers the 2nd
            held_id, day = held.id, morning.slots[0].local_day
            department_id, hospital_id = morning.department.id, morning.hospital.id
            slot_id, newcomer = morning.slots[0].id, mobile()
        results = _together(pg_helpline, [
            partial(_close_department, hospital_id=hospital_id, department_id=department_id,
                    day=day, late=CLOSE_STAGGER[round_ % 4]),
            # Staggered differently each round, so each comes before the closure in some
            # rounds and after it (or races it) in others.
            partial(_take, late=STAGGER[round_ % 4], entry_id=held_id),
            partial(_join_late, late=STAGGER[(round_ + 1) % 4], department_id=department_id,
                    day=day, phone=newcomer)])
        closed, took, joined = results
        orders.add(("taken first" if took != "offer_gone" else "closed first",
                    "joined first" if isinstance(joined, int) else "closed first"))
        assert isinstance(closed, int), results
        assert isinstance(took, str) and (took == "offer_gone" or took.isdigit()), results
        assert joined == "no_opd_that_day" or isinstance(joined, int), results
        with pg_helpline.session() as session:
            slot = session.get(Slot, slot_id)
            assert slot.closed and slot.booked == 0, results
            assert session.scalar(select(func.count()).select_from(Appointment).where(
                Appointment.slot_id == slot_id,
                Appointment.status == AppointmentStatus.BOOKED)) == 0, results
            entries = session.scalars(select(WaitingListEntry).where(
                WaitingListEntry.department_id == department_id)).all()
            active = [e for e in entries
                      if e.status in (WaitStatus.WAITING, WaitStatus.OFFERED)]
            assert active == [], results
            for entry in entries:
                if entry.status == WaitStatus.OPD_CLOSED:
                    assert len(_told(session, entry)) == 1
            if took != "offer_gone":  # taken first: a booking the closure cancelled
                taken = session.scalar(select(Appointment).where(
                    Appointment.reference == took))
                assert taken.status == AppointmentStatus.OPD_CLOSED
                assert session.get(WaitingListEntry, held_id).status == WaitStatus.BOOKED
    # Both orders happened for each: the take and the join before the closure, and after.
    assert {o[0] for o in orders} == {"taken first", "closed first"}, orders
    assert {o[1] for o in orders} == {"joined first", "closed first"}, orders
