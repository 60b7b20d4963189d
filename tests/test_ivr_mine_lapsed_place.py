"""A waiting-list place held for a caller that ran out unanswered: the caller missed the
offer's call and its hold. Ringing the helpline afterwards, menu 4 says (where, which
day, what time) that it was not taken in time and they are no longer on that list,
before its choices, rather than nothing; "4" takes nothing. The portal's "my
appointments" says the same. Nobody hears it once something overtook it (joined the
list again, booked the day another way, the seat's time came, the OPD closed), nor for
someone else's place or one the caller passed on themselves."""

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
from booking_core.slots import Slot
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
from tests.factories import IST, same_day_other_time
from tests.fixtures_api import reading
from tests.fixtures_ivr import CALLER
from tests.opd_factories import mobile
from tests.test_ivr_mine_held_place import _held_for
from tests.test_ivr_services import into_menu
from tests.test_portal_pages import Portal
from tests.test_portal_waiting_list import _join_on_the_portal, _morning

LAPSED = {0: "ivr.mine.lapsed_today", 1: "ivr.mine.lapsed_tomorrow"}
GONE = "no longer on that waiting list"


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
                  time=spoken_time(lang, slot.starts_at))


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
    # It says neither where the seat went (the next person, or back to the free times)
    # nor until when it was held: both may read as still running.
    assert "next person" not in words and "अगले व्यक्ति" not in words
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
        other = same_day_other_time(ivr_session, slot, capacity=3)
        book_appointment(ivr_session, slot_id=other.id, phone=CALLER, channel=Channel.PORTAL)
    else:
        ivr_session.execute(update(WaitingListEntry).where(WaitingListEntry.id == entry.id)
                            .values(local_day=dt.date.today() - dt.timedelta(days=2)))
    ivr_session.commit()
    into_menu(phone, "en", "4")
    assert GONE not in phone.said, phone.said
    if overtaken == "joined_again":  # the new place is said with the appointments
        phone.press("1")
        assert "waiting list for" in phone.said, phone.said


def test_a_place_the_caller_passed_on_themselves_is_not_said(phone, ivr_session):
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=2)
    decline_offer(ivr_session, entry.id, phone=CALLER)
    ivr_session.commit()
    into_menu(phone, "en", "4")
    assert GONE not in phone.said


def test_another_numbers_place_that_ran_out_is_not_said(phone, ivr_session):
    _, entry = _held_for(ivr_session, mobile(), days_ahead=2)
    _run_out(ivr_session, entry)
    into_menu(phone, "en", "4")
    assert GONE not in phone.said


def test_a_place_that_ran_out_and_one_held_now_are_both_said(phone, ivr_session):
    """Two offers: one ran out, another is held now. Menu 4 says the first is gone, then
    offers the held one, whose key works."""
    first, gone = _held_for(ivr_session, CALLER, days_ahead=2)
    _run_out(ivr_session, gone)
    ivr_session.refresh(gone)
    gone_words = _lapsed_words("en", first, gone, 2)
    second, held = _held_for(ivr_session, CALLER, days_ahead=3)
    second_id = second.id
    ivr_session.commit()
    into_menu(phone, "en", "4")
    said = phone.said
    assert gone_words in said and "To take it, press 4" in said, said
    assert said.index(gone_words) < said.index("To take it, press 4")
    phone.press("4")
    ivr_session.expire_all()
    assert ivr_session.scalar(select(Appointment).where(
        Appointment.slot_id == second_id, Appointment.status == AppointmentStatus.BOOKED))
    ivr_session.commit()


def test_every_place_that_ran_out_is_said_soonest_day_first(phone, ivr_session):
    (early_slot, early), (late_slot, late) = (
        _held_for(ivr_session, CALLER, days_ahead=d) for d in (4, 2))
    for entry in (early, late):
        _run_out(ivr_session, entry)
        ivr_session.refresh(entry)
    words = [_lapsed_words("hi", slot, entry, d)
             for slot, entry, d in ((late_slot, late, 2), (early_slot, early, 4))]
    ivr_session.commit()
    into_menu(phone, "hi", "4")
    said = phone.said
    assert all(w in said for w in words), said
    assert said.index(words[0]) < said.index(words[1])


@pytest.mark.parametrize("ended", ["time_came", "opd_closed"])
def test_nothing_is_said_once_the_seats_time_came_or_its_opd_closed(
        phone, ivr_session, ended):
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=0 if ended == "time_came" else 2)
    _run_out(ivr_session, entry)
    if ended == "time_came":  # the seat's time began an hour ago, the day still runs
        ivr_session.execute(update(Slot).where(Slot.id == slot.id).values(
            starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    else:
        ivr_session.execute(update(Slot).where(Slot.id == slot.id).values(closed=True))
    ivr_session.commit()
    into_menu(phone, "en", "4")
    assert GONE not in phone.said, phone.said


def test_said_on_entering_menu_4_and_on_star_not_after_each_answer(phone, ivr_session):
    slot, entry = _held_for(ivr_session, CALLER, days_ahead=2)
    _run_out(ivr_session, entry)
    ivr_session.refresh(entry)
    words = _lapsed_words("en", slot, entry, 2)
    ivr_session.commit()
    into_menu(phone, "en", "4")
    assert words in phone.said
    phone.press("7")  # a wrong key: the retry says the choices, not the news again
    assert render("en", "ivr.retry.wrong_key") in phone.said
    assert words not in phone.said
    phone.press("1")  # the appointments ("none"), then menu 4 again: not again either
    assert render("en", "ivr.mine.none") in phone.said
    assert words not in phone.said
    phone.press("*")  # asked for: said again
    assert words in phone.said
    phone.press("#")  # back to the main menu and into menu 4 anew: said again
    phone.press("4")
    assert words in phone.said


def test_offer_news_reads_once_and_lists_what_ran_out_soonest_day_first(ivr_session):
    """The domain's answer: the held place soonest to end, and every run-out place."""
    _, later = _held_for(ivr_session, CALLER, days_ahead=3)
    _, sooner = _held_for(ivr_session, CALLER, days_ahead=2)
    _, held = _held_for(ivr_session, CALLER, days_ahead=4)
    _run_out(ivr_session, later)
    _run_out(ivr_session, sooner)
    news = offer_news(ivr_session, CALLER, today=dt.datetime.now(IST).date())
    assert news.held is not None and news.held.id == held.id
    assert [e.id for e in news.ran_out] == [sooner.id, later.id]
    assert offer_news(ivr_session, mobile(), today=dt.date.today()) == (None, [])
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
        starts = session.get(WaitingListEntry, entry_id).offered_slot.starts_at
    for page in (entry_page, "/portal/appointments"):
        portal.get(page)
        said = portal.text()
        assert portal.status == 200, page
        gone = render(lang, "portal.wait.lapsed", time=written_time(lang, starts, "Asia/Kolkata"))
        assert gone in said, (page, said)
        assert render(lang, "portal.wait_status.lapsed") in said
        assert render(lang, "portal.wait.take") not in said
        assert f'href="{entry_page}/leave"' not in portal.page
        # The way on: the department's booking page, for another day.
        assert f'href="/portal/book/{m.hospital_id}/{m.department_id}"' in portal.page
