"""A waiting-list place held for a caller that ran out unanswered: the caller missed the
offer's call and its hold. Ringing the helpline afterwards, menu 4 says the place has
gone to the next person (where, which day, until when it was held) before its choices,
rather than nothing; "4" takes nothing. The portal's "my appointments" says the same.
Nobody hears it once something overtook it (joined the list again, booked the day
another way, the day passed), nor for someone else's place or one the caller passed on
themselves."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    Channel,
    book_appointment,
    cancel_appointment,
)
from booking_core.waiting_list import (
    WaitingListEntry,
    WaitStatus,
    decline_offer,
    join_waiting_list,
    lapse_offers,
    offer_news,
)
from locales import render
from locales.formatting import format_date, spoken_time, written_time
from tests.factories import make_slot
from tests.fixtures_api import reading
from tests.fixtures_ivr import CALLER
from tests.opd_factories import mobile
from tests.test_ivr_mine_held_place import _held_for
from tests.test_ivr_services import into_menu
from tests.test_portal_pages import Portal
from tests.test_portal_waiting_list import _join_on_the_portal, _morning

LAPSED = {0: "ivr.mine.lapsed_today", 1: "ivr.mine.lapsed_tomorrow"}


def _run_out(session, entry, *, passed_on: bool = True) -> None:
    """The hold ends unanswered; ``passed_on``: the scheduler has passed the place on
    (``lapse_offers``), else it has not run yet."""
    session.execute(update(WaitingListEntry).where(WaitingListEntry.id == entry.id).values(
        hold_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)))
    session.commit()
    if passed_on:
        assert lapse_offers(session) >= 1
    session.expire_all()
    status = session.get(WaitingListEntry, entry.id).status
    session.commit()
    assert status == (WaitStatus.LAPSED if passed_on else WaitStatus.OFFERED)


def _lapsed_words(lang: str, slot, entry, days_ahead: int) -> str:
    return render(lang, LAPSED.get(days_ahead, "ivr.mine.lapsed_later"),
                  hospital=slot.department.hospital.short_name(lang),
                  department=slot.department.name(lang),
                  date=format_date(lang, slot.local_day),
                  time=spoken_time(lang, slot.starts_at),
                  until=spoken_time(lang, entry.hold_until))


@pytest.mark.parametrize("days_ahead", [0, 1, 4])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_place_that_ran_out_is_said_to_have_gone_on_before_menu_4s_choices(
        phone, ivr_session, lang, days_ahead):
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=days_ahead)
    _run_out(ivr_session, entry)
    ivr_session.refresh(entry)
    words = _lapsed_words(lang, slot, entry, days_ahead)
    ivr_session.commit()
    into_menu(phone, lang, "4")
    said = phone.said
    assert words in said, said
    assert "{" not in said
    assert said.index(words) < said.index(render(lang, "ivr.mine.appointments", key="1"))
    if days_ahead > 1:
        assert format_date(lang, slot.local_day) in words
    else:
        day = ({0: "आज", 1: "कल"} if lang == "hi" else {0: "today", 1: "tomorrow"})[days_ahead]
        assert re.search(rf"\b{day}\b" if lang == "en" else day, words)
    # "4" is no choice here: the place is gone, and the caller is not put back on it.
    phone.press("4")
    assert render(lang, "ivr.retry.wrong_key") in phone.said
    ivr_session.expire_all()
    assert ivr_session.scalar(select(Appointment).where(
        Appointment.slot_id == slot.id, Appointment.status == AppointmentStatus.BOOKED)) is None
    ivr_session.commit()


def test_a_hold_past_its_end_that_the_scheduler_has_not_passed_on_is_said_too(
        phone, ivr_session):
    """Between the hold's end and the scheduler's next run the offer is still
    ``offered``; the caller hears it has gone, not that it is held."""
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=2)
    _run_out(ivr_session, entry, passed_on=False)
    ivr_session.refresh(entry)
    words = _lapsed_words("en", slot, entry, 2)
    ivr_session.commit()
    into_menu(phone, "en", "4")
    assert words in phone.said
    assert "To take it" not in phone.said


def test_the_news_is_said_on_every_entry_to_menu_4_and_with_star(phone, ivr_session):
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=3)
    _run_out(ivr_session, entry)
    ivr_session.refresh(entry)
    words = _lapsed_words("hi", slot, entry, 3)
    ivr_session.commit()
    into_menu(phone, "hi", "4")
    assert words in phone.said
    phone.press("*")
    assert words in phone.said


@pytest.mark.parametrize("overtaken", ["joined_again", "booked_that_day", "day_passed"])
def test_nothing_is_said_once_something_overtook_the_place(phone, ivr_session, overtaken):
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=2)
    _run_out(ivr_session, entry)
    if overtaken == "joined_again":  # the day is full again: the caller joins anew
        book_appointment(ivr_session, slot_id=slot.id, phone=mobile(), channel=Channel.PORTAL)
        join_waiting_list(ivr_session, department_id=slot.department_id, day=slot.local_day,
                          phone=CALLER, channel=Channel.PORTAL, language="en")
    elif overtaken == "booked_that_day":
        other = make_slot(ivr_session, slot.department,
                          at=slot.starts_at + dt.timedelta(hours=2), capacity=3)
        book_appointment(ivr_session, slot_id=other.id, phone=CALLER, channel=Channel.PORTAL)
    else:
        ivr_session.execute(update(WaitingListEntry).where(WaitingListEntry.id == entry.id)
                            .values(local_day=dt.date.today() - dt.timedelta(days=2)))
    ivr_session.commit()
    into_menu(phone, "en", "4")
    assert "has now gone to the next person" not in phone.said, phone.said
    if overtaken == "joined_again":  # the new place is said with the appointments
        phone.press("1")
        assert "waiting list for" in phone.said, phone.said


def test_a_place_the_caller_passed_on_themselves_is_not_said(phone, ivr_session):
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=2)
    decline_offer(ivr_session, entry.id, phone=CALLER)
    ivr_session.commit()
    into_menu(phone, "en", "4")
    assert "has now gone to the next person" not in phone.said


def test_another_numbers_place_that_ran_out_is_not_said(phone, ivr_session):
    _, entry = _held_for(ivr_session, mobile(), days_ahead=2)
    _run_out(ivr_session, entry)
    into_menu(phone, "en", "4")
    assert "has now gone to the next person" not in phone.said


def test_a_held_place_is_said_rather_than_one_that_ran_out(phone, ivr_session):
    """Two offers: one ran out, another is held now. Menu 4 offers the held one (its
    key works); the one gone on waits for a call without a place to take."""
    first, gone = _held_for(ivr_session, CALLER, days_ahead=2)
    _run_out(ivr_session, gone)
    second, held = _held_for(ivr_session, CALLER, days_ahead=3)
    ivr_session.commit()
    into_menu(phone, "en", "4")
    assert "has now gone to the next person" not in phone.said
    assert "To take it, press 4" in phone.said
    assert second.department.name("en") in phone.said


def test_offer_news_reads_once_and_picks_the_latest_that_ran_out(ivr_session):
    """The domain's answer: the held place soonest to end, else the latest run-out."""
    _, early = _held_for(ivr_session, CALLER, days_ahead=2)
    _, late = _held_for(ivr_session, CALLER, days_ahead=3)
    _run_out(ivr_session, early)
    _run_out(ivr_session, late)
    ivr_session.execute(update(WaitingListEntry).where(WaitingListEntry.id == late.id).values(
        hold_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    ivr_session.commit()
    news = offer_news(ivr_session, CALLER, today=dt.date.today())
    assert news.held is None
    assert news.lapsed is not None and news.lapsed.id == late.id
    assert offer_news(ivr_session, mobile(), today=dt.date.today()) == (None, None)
    ivr_session.commit()


# The portal ---------------------------------------------------------------------------

@pytest.fixture
def portal(client, session):
    return Portal(client, session)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_says_a_place_that_ran_out_has_gone_on(portal, session, lang):
    m = _morning(session)
    portal.choose(lang)
    entry_page = _join_on_the_portal(portal, m)
    entry_id = int(entry_page.rsplit("/", 1)[1])
    with reading(session):
        cancel_appointment(session, m.held_reference, channel=Channel.PORTAL)
    with reading(session):
        entry = session.get(WaitingListEntry, entry_id)
        _run_out(session, entry)
        until = session.get(WaitingListEntry, entry_id).hold_until
    for page in (entry_page, "/portal/appointments"):
        portal.get(page)
        said = portal.text()
        assert portal.status == 200, page
        gone = render(lang, "portal.wait.lapsed", until=written_time(lang, until, "Asia/Kolkata"))
        assert gone in said, (page, said)
        assert render(lang, "portal.wait_status.lapsed") in said
        assert render(lang, "portal.wait.take") not in said
        assert f'href="{entry_page}/leave"' not in portal.page
        # The way on: the department's booking page, for another day.
        assert f'href="/portal/book/{m.hospital_id}/{m.department_id}"' in portal.page
