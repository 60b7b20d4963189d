"""The booking page for a day asked for by name that shows no times says why, as the
waiting-list page does: the department holds no OPD that day (a Sunday, a closure), or
none of its times is left. It showed the list of days and nothing else."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from booking_core.base import unit_of_work
from booking_core.slots import close_day
from locales.formatting import format_date
from tests.factories import IST, make_department, make_hospital, make_slot
from tests.opd_factories import book

SAID = {
    "en": {"no_opd": "This department holds no OPD on {day}. Please choose another day.",
           "none_left": "No times are left to book on {day}. Please choose another day."},
    "hi": {"no_opd": "{day} को इस विभाग की ओपीडी नहीं है। कृपया दूसरा दिन चुनें।",
           "none_left": "{day} को बुक करने के लिए कोई समय नहीं बचा है। कृपया दूसरा दिन चुनें।"},
}


def _weekday_after(start: dt.date, weekday: int) -> dt.date:
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


def _notice(client, hospital_id: int, department_id: int, day: dt.date) -> str | None:
    page = client.get(f"/portal/book/{hospital_id}/{department_id}?day={day}"
                      ).get_data(as_text=True)
    found = re.search(r'<p class="notice" role="status" id="day-notice">(.*?)</p>', page)
    return found.group(1) if found else None


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_day_without_opd_says_so_on_the_booking_page(client, session, lang):
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    today = dt.datetime.now(IST).date()
    monday = _weekday_after(today + dt.timedelta(days=1), 0)
    sunday = monday + dt.timedelta(days=6)
    closed = monday + dt.timedelta(days=1)
    for day in (monday, closed):
        make_slot(session, department, at=dt.datetime.combine(day, dt.time(9), IST))
    with unit_of_work(session):
        close_day(session, hospital.id, closed, department_id=department.id)
    ids = hospital.id, department.id
    session.commit()
    client.get(f"/portal/lang/{lang}")
    for day in (sunday, closed):
        assert _notice(client, *ids, day) == SAID[lang]["no_opd"].format(
            day=format_date(lang, day)), day
    assert _notice(client, *ids, monday) is None  # its times are listed


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_day_whose_times_have_all_begun_says_none_is_left(client, session, lang):
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    today = dt.datetime.now(IST).date()
    make_slot(session, department, at=dt.datetime.combine(today, dt.time(0), IST))  # begun
    make_slot(session, department, at=dt.datetime.combine(
        today + dt.timedelta(days=2), dt.time(9), IST))
    ids = hospital.id, department.id
    session.commit()
    client.get(f"/portal/lang/{lang}")
    assert _notice(client, *ids, today) == SAID[lang]["none_left"].format(
        day=format_date(lang, today))


def test_a_full_day_is_left_to_the_waiting_list_offer(client, session):
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    day = dt.datetime.now(IST).date() + dt.timedelta(days=2)
    full = make_slot(session, department, at=dt.datetime.combine(day, dt.time(9), IST),
                     capacity=1)
    make_slot(session, department, at=dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(9), IST))
    book(session, full)
    ids = hospital.id, department.id
    session.commit()
    client.get("/portal/lang/en")
    page = client.get(f"/portal/book/{ids[0]}/{ids[1]}?day={day}").get_data(as_text=True)
    assert "is fully booked." in page and 'id="day-notice"' not in page


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_public_holiday_is_named(client, session, lang):
    """A day with no OPD because it is a public holiday says which holiday, not only
    that the department holds no OPD (which reads as a mistake on a weekday)."""
    from booking_core.holidays import PublicHoliday

    hospital = make_hospital(session)
    department = make_department(session, hospital)
    today = dt.datetime.now(IST).date()
    holiday = _weekday_after(today + dt.timedelta(days=1), 3)  # a Thursday
    make_slot(session, department, at=dt.datetime.combine(
        holiday + dt.timedelta(days=1), dt.time(9), IST))
    session.add(PublicHoliday(day=holiday, name="Guru Nanak Jayanti",
                              name_hi="गुरु नानक जयंती"))
    session.commit()
    client.get(f"/portal/lang/{lang}")
    said = _notice(client, hospital.id, department.id, holiday)
    day = format_date(lang, holiday)
    assert said == {
        "en": f"{day} is a public holiday, Guru Nanak Jayanti: this department holds no OPD "
              "that day. Please choose another day.",
        "hi": f"{day} को गुरु नानक जयंती की सार्वजनिक छुट्टी है: उस दिन इस विभाग की ओपीडी "
              "नहीं है। कृपया दूसरा दिन चुनें।"}[lang]
