"""A held place can be taken (or passed on) on the portal's waiting-list page, not only
by answering the call: [Take this appointment] books it for the verified mobile and
shows the booking; [No, pass it on] gives it to the next person. Refused in words when
the hold lapsed, the place was passed on, or the day is held already; another number's
entry is not found. On PostgreSQL, the portal's take racing the call's take, decline or
the lapse: exactly one outcome wins."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from booking_core.appointments import Appointment, AppointmentStatus, Channel, cancel_appointment
from booking_core.base import AUTOCOMMIT_READS, DomainError
from booking_core.hospitals import Department
from booking_core.slots import Slot
from booking_core.waiting_list import (
    OfferTaken,
    WaitingListEntry,
    WaitStatus,
    accept_offer,
    decline_offer,
    join_waiting_list,
    lapse_offers,
)
from helpline.app import create_app
from ivr.flow import ENGINE
from locales import render
from locales.formatting import format_date, format_time_range
from tests.conftest import make_settings
from tests.factories import make_slot
from tests.fixtures_api import reading
from tests.opd_factories import book, mobile, opd_morning
from tests.test_portal_pages import E164, Portal
from tests.test_portal_waiting_list import (
    _join_on_the_portal,
    _join_url,
    _morning,
    _others_join,
)


def _offered_on_the_portal(portal, session, lang: str = "en", others: int = 1):
    """The verified mobile joins a full day's list (``others`` join after it), then the
    day's booking is cancelled: the place is held for it. Returns the day, the entry's
    page, its id and the others' ids."""
    m = _morning(session)
    portal.choose(lang)
    entry_page = _join_on_the_portal(portal, m)
    with reading(session):
        behind = _others_join(session, m, others)
        cancel_appointment(session, m.held_reference, channel=Channel.PORTAL)
    portal.get(entry_page)
    return m, entry_page, int(entry_page.rsplit("/", 1)[1]), behind


def _status(session, entry_id: int) -> WaitStatus:
    with reading(session):
        return session.get(WaitingListEntry, entry_id, populate_existing=True).status


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_taking_the_held_place_on_the_page_shows_the_booking(portal, session, lang):
    m, entry_page, entry_id, (nxt,) = _offered_on_the_portal(portal, session, lang)
    assert render(lang, "portal.wait.take") in portal.text()
    assert render(lang, "portal.wait.pass_on") in portal.text()
    assert f'action="{entry_page}/take"' in portal.page
    portal.post(f"{entry_page}/take", {}, follow=False)
    assert portal.status == 303
    location = portal.location
    with reading(session):
        taken = session.scalar(select(Appointment).where(
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.department_id == m.department_id))
        assert (taken.citizen.phone, taken.token, taken.channel) == (
            E164, m.held_token, Channel.PORTAL)
        reference = taken.reference
    assert location == f"/portal/appointments/{reference}"
    portal.get(location)
    assert portal.status == 200 and render(lang, "portal.done.booked") in portal.text()
    assert reference in portal.text().replace(" ", "")
    assert _status(session, entry_id) == WaitStatus.BOOKED
    assert _status(session, nxt) == WaitStatus.WAITING
    portal.get(entry_page)  # no buttons any more: it is an appointment
    assert render(lang, "portal.wait.booked") in portal.text()
    assert 'id="take"' not in portal.page


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_held_place_shows_its_time_and_only_take_or_pass_on(portal, session, lang):
    m = _morning(session)
    portal.choose(lang)
    entry_page = _join_on_the_portal(portal, m)
    assert 'id="leave"' in portal.page  # waiting: the list may be left
    assert 'id="held-time"' not in portal.page  # no place held yet, so no time
    with reading(session):
        cancel_appointment(session, m.held_reference, channel=Channel.PORTAL)
    portal.get(entry_page)
    held = format_time_range(lang, m.starts_at, m.starts_at + dt.timedelta(hours=1))
    said = portal.text()
    assert f"{render(lang, 'portal.field.day')} {format_date(lang, m.day)} " \
        f"{render(lang, 'portal.field.time')} {held}" in said, said
    assert render(lang, "portal.wait.take") in said
    assert render(lang, "portal.wait.pass_on") in said
    # Leaving while a place is held is passing it on: one button for it, not two.
    assert render(lang, "portal.wait.leave") not in said
    assert 'id="leave"' not in portal.page and f'href="{entry_page}/leave"' not in portal.page
    # My appointments agrees: the held place is opened to take or pass on, not left.
    portal.get("/portal/appointments")
    assert f'href="{entry_page}">{render(lang, "portal.wait.open_held")}</a>' in portal.page
    assert f'href="{entry_page}/leave"' not in portal.page


def _booking_shown(portal, lang: str, m, reference: str) -> None:
    """The taken place's booking on the page, as the booking's confirmation shows it:
    the number in groups of four, the token, the hospital, department, day and time."""
    said = portal.text()
    number = f"{reference[:4]} {reference[4:]}"
    assert f'id="booking-number">{number}</p>' in portal.page, said
    hospital, department = m.names[lang]
    held = format_time_range(lang, m.starts_at, m.starts_at + dt.timedelta(hours=1))
    assert (f"{render(lang, 'portal.appointment.token')} {m.held_token} "
            f"{render(lang, 'portal.field.hospital')} {hospital} "
            f"{render(lang, 'portal.field.department')} {department} "
            f"{render(lang, 'portal.field.day')} {format_date(lang, m.day)} "
            f"{render(lang, 'portal.field.time')} {held}") in said, said
    assert f'href="/portal/appointments/{reference}"' in portal.page


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_entry_page_of_a_taken_place_shows_the_booking(portal, session, lang):
    """After the take (its page again by Back or a reload, or from the offer's SMS), the
    entry's page gives the booking number straight away, not only "see My
    appointments"; taken on the call, the same."""
    m, entry_page, entry_id, _ = _offered_on_the_portal(portal, session, lang)
    portal.post(f"{entry_page}/take", {}, follow=False)
    assert portal.status == 303
    reference = portal.location.split("/")[-1]
    portal.get(entry_page)
    assert portal.status == 200
    assert render(lang, "portal.wait_status.booked") in portal.text()
    assert render(lang, "portal.wait.booked") in portal.text()
    _booking_shown(portal, lang, m, reference)
    assert 'id="take"' not in portal.page and 'id="pass-on"' not in portal.page
    # Taken by pressing 1 on the call: the entry's page shows that booking too.
    m2, entry_page2, entry_id2, _ = _offered_on_the_portal(portal, session, lang)
    with reading(session):
        by_call = accept_offer(session, entry_id2).reference
    portal.get(entry_page2)
    _booking_shown(portal, lang, m2, by_call)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_passing_on_a_place_already_taken_says_so_and_shows_the_booking(portal, session,
                                                                         lang):
    """The offer's page again by the Back button after the take, and its "No, pass it
    on": the place stays the citizen's, and the page says it was taken, not that the
    offer ended."""
    m, entry_page, entry_id, (nxt,) = _offered_on_the_portal(portal, session, lang)
    offer_page = portal.page
    portal.post(f"{entry_page}/take", {}, follow=False)
    reference = portal.location.split("/")[-1]
    portal.get(portal.location)
    assert render(lang, "portal.done.booked") in portal.text()
    portal.page = offer_page  # Back: the offer's page from the browser's history
    portal.post(f"{entry_page}/pass-on", {}, follow=False)
    assert portal.status == 303
    assert portal.location == entry_page
    portal.get(portal.location)
    said = portal.text()
    assert portal.status == 200
    assert render(lang, "portal.wait.already_taken") == {
        "en": "You have already taken this appointment.",
        "hi": "यह अपॉइंटमेंट आप पहले ही ले चुके हैं।"}[lang]
    assert render(lang, "portal.wait.already_taken") in said
    assert render(lang, "portal.err.offer_gone") not in said
    _booking_shown(portal, lang, m, reference)
    assert _status(session, entry_id) == WaitStatus.BOOKED
    assert _status(session, nxt) == WaitStatus.WAITING  # nothing was passed on
    with reading(session):
        assert session.scalar(select(Appointment.status).where(
            Appointment.reference == reference)) == AppointmentStatus.BOOKED
    with reading(session), pytest.raises(OfferTaken) as refused:
        decline_offer(session, entry_id)  # pressing 2 on the call, later: the same
    assert refused.value.details["reference"] == reference


def test_passing_it_on_gives_the_place_to_the_next_person(portal, session):
    m, entry_page, entry_id, (nxt,) = _offered_on_the_portal(portal, session)
    portal.post(f"{entry_page}/pass-on", {})
    assert portal.redirects == [303]
    assert "The place held for you goes to the next person waiting." in portal.text()
    assert _status(session, entry_id) == WaitStatus.DECLINED
    with reading(session):
        offered = session.get(WaitingListEntry, nxt, populate_existing=True)
        assert (offered.status, offered.offered_token) == (WaitStatus.OFFERED, m.held_token)
    assert 'id="take"' not in portal.page


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_lapsed_hold_is_refused_in_words(portal, session, lang):
    _, entry_page, entry_id, _ = _offered_on_the_portal(portal, session, lang)
    with reading(session):  # the page stayed open past the hold
        session.execute(update(WaitingListEntry).where(WaitingListEntry.id == entry_id)
                        .values(hold_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    portal.post(f"{entry_page}/take", {})
    assert portal.redirects == [303] and render(lang, "portal.err.offer_gone") in portal.text()
    with reading(session):
        assert session.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.status == AppointmentStatus.BOOKED)) == 0


def test_the_call_took_it_first_the_page_shows_the_same_booking(portal, session):
    _, entry_page, entry_id, _ = _offered_on_the_portal(portal, session)
    with reading(session):
        by_call = accept_offer(session, entry_id).reference
    portal.post(f"{entry_page}/take", {}, follow=False)
    assert portal.location == f"/portal/appointments/{by_call}"


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_day_booked_meanwhile_ends_the_offer_and_says_why(portal, session, lang):
    m, entry_page, entry_id, (nxt,) = _offered_on_the_portal(portal, session, lang)
    with reading(session):  # the same mobile booked that department's day elsewhere
        department = session.get(Department, m.department_id)
        extra = make_slot(session, department, capacity=1,
                          at=m.starts_at + dt.timedelta(hours=1))
        book(session, extra, phone=E164)
    portal.post(f"{entry_page}/take", {})
    assert render(lang, "portal.err.offer_ended_day_held") in portal.text(), portal.text()
    assert _status(session, entry_id) == WaitStatus.DECLINED
    assert _status(session, nxt) == WaitStatus.OFFERED
    # The page says what became of the entry: off the list, no buttons.
    assert render(lang, "portal.wait.off_list") in portal.text()
    assert 'id="take"' not in portal.page and 'id="leave"' not in portal.page


def test_unverified_or_another_numbers_entry_cannot_be_taken(portal, session, client):
    m, entry_page, entry_id, (theirs,) = _offered_on_the_portal(portal, session)
    with reading(session):  # their offer: the mobile's entry passes it on to them
        decline_offer(session, entry_id)
    assert _status(session, theirs) == WaitStatus.OFFERED
    for action in ("take", "pass-on"):
        portal.get(_join_url(m, m.day))  # a page with a form, for its CSRF token
        portal.post(f"/portal/waiting-list/{theirs}/{action}", {})
        assert portal.status == 404
    assert _status(session, theirs) == WaitStatus.OFFERED
    portal.get(_join_url(m, m.day))
    client.delete_cookie("portal_mobile", path="/portal")
    portal.post(f"/portal/waiting-list/{theirs}/take", {})
    assert 'value="send_code"' in portal.page
    assert _status(session, theirs) == WaitStatus.OFFERED


# On PostgreSQL: the portal's take against the call's answer or the lapse ----------------

@pytest.fixture
def pg_app(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    yield app
    app.extensions["helpline"].engine.dispose()
    if ENGINE in app.extensions:
        app.extensions[ENGINE].dispose()


def _call_session(app):
    """A session as the phone line's webhooks have it (reads autocommit)."""
    helpline = app.extensions["helpline"]
    engine = app.extensions.get(ENGINE)
    if engine is None:
        return helpline.session()
    session = helpline.sessions(bind=engine)
    session.info[AUTOCOMMIT_READS] = "READ COMMITTED"
    return session


def _race(app, portal_job, call_job):
    helpline = app.extensions["helpline"]
    start = threading.Barrier(2)
    results: list = [None, None]

    def run(n, job, make_session):
        with make_session() as session:
            start.wait(10)
            try:
                results[n] = job(session)
            except DomainError as exc:
                results[n] = exc.code

    threads = [threading.Thread(target=run, args=(0, portal_job, helpline.session)),
               threading.Thread(target=run, args=(1, call_job, lambda: _call_session(app)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def held_for_one(helpline, channel: Channel) -> tuple[int, str, dt.datetime, int]:
    """A full day whose one booking is cancelled: the place is held for the one person
    waiting (joined by ``channel``). Returns the entry's id, its phone, the hold's end and
    the slot's id."""
    with helpline.session() as session:
        morning = opd_morning(session, slots=1, capacity=1)
        held = book(session, morning.slots[0])
        phone = mobile()
        entry = join_waiting_list(session, department_id=morning.department.id,
                                  day=morning.slots[0].local_day, phone=phone,
                                  channel=channel)[0]
        cancel_appointment(session, held.reference, channel=Channel.PORTAL)
        session.refresh(entry)
        assert entry.status == WaitStatus.OFFERED
        return entry.id, phone, entry.hold_until, morning.slots[0].id


ROUNDS = 8


@pytest.mark.parametrize("other", ["call_takes", "call_declines", "lapse"])
def test_the_portal_take_racing_the_call_or_the_lapse_has_one_outcome(pg_app, other):
    helpline = pg_app.extensions["helpline"]
    for _ in range(ROUNDS):
        entry_id, phone, end, slot_id = held_for_one(helpline, Channel.PORTAL)

        def portal_takes(session, entry_id=entry_id, phone=phone, end=end):
            return accept_offer(session, entry_id, phone=phone, channel=Channel.PORTAL,
                                now=end - dt.timedelta(seconds=1)).id

        def call_answers(session, entry_id=entry_id, end=end):
            if other == "call_takes":
                return accept_offer(session, entry_id, now=end - dt.timedelta(seconds=1),
                                    idempotency_key=f"offer:{entry_id}").id
            if other == "call_declines":
                decline_offer(session, entry_id, now=end - dt.timedelta(seconds=1))
                return "declined"
            return lapse_offers(session, now=end)

        got_portal, got_call = _race(pg_app, portal_takes, call_answers)
        with helpline.session() as session:
            booked = session.scalar(select(func.count()).select_from(Appointment).where(
                Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.BOOKED))
            status = session.get(WaitingListEntry, entry_id).status
            seats = session.get(Slot, slot_id).booked
        if other == "call_takes":  # one booking, whichever answer made it
            assert booked == 1 and status == WaitStatus.BOOKED, (got_portal, got_call)
            assert isinstance(got_portal, int) or got_portal == "offer_gone"
            assert isinstance(got_call, int) or got_call == "offer_gone"
            continue
        portal_won = isinstance(got_portal, int)
        if portal_won:
            assert (booked, status, seats) == (1, WaitStatus.BOOKED, 1)
            # The call's "2" after the take is told it was taken (OfferTaken).
            assert got_call == ("offer_taken" if other == "call_declines" else 0), got_call
        else:
            assert got_portal == "offer_gone", got_portal
            ended = WaitStatus.DECLINED if other == "call_declines" else WaitStatus.LAPSED
            assert (booked, status, seats) == (0, ended, 0)  # nobody else waits: freed
