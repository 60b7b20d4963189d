"""A count of none is said in words on the console, in Hindi as in English: adding a
holiday that cancels no booking, a search that finds nothing (Hindi's plural rule puts
0 with 1, so «0 मरीज़ की बुकिंग ...» and «0 नतीजा» were what a Hindi reader got)."""

from __future__ import annotations

import datetime as dt
import re

from booking_core.appointments import Channel, book_appointment
from tests.factories import IST, make_slot
from tests.fixtures_console import make_staff, next_mobile


def text(response) -> str:
    return response.get_data(as_text=True)


def flashed(html: str) -> str:
    """The page's flash messages as one line of words."""
    found = re.findall(r'class="[^"]*alert[^"]*"[^>]*>(.*?)</', html, re.S)
    return " ".join(re.sub(r"\s+", " ", f).strip() for f in found)


def search_count(html: str) -> str:
    found = re.search(r'id="search-count">([^<]*)<', html)
    assert found, "no count line on the search page"
    return found.group(1)


def add_holiday(console, day: dt.date, name: str) -> str:
    answer = console.post("/console/admin/holidays", {
        "day": day.isoformat(), "name_en": name, "name_hi": "छुट्टी"}, follow_redirects=True)
    assert answer.status_code == 200
    return flashed(text(answer))


def test_a_holiday_that_cancels_no_booking_says_so_in_both_languages(session, console):
    make_staff(session, "admin.hi", role="admin", language="hi")
    today = dt.datetime.now(IST).date()
    console.login("admin.hi")
    said = add_holiday(console, today + dt.timedelta(days=40), "Holi")
    assert "छुट्टी जुड़ गई; किसी की बुकिंग रद्द नहीं हुई।" in said
    assert "0 मरीज़" not in said
    console.post("/console/me/language", {"language": "en", "next": "/console/"})
    said = add_holiday(console, today + dt.timedelta(days=41), "Diwali")
    assert "Holiday added; no bookings were cancelled." in said
    assert "0 patients" not in said


def test_a_holiday_that_cancels_one_booking_still_counts_it(session, console, department):
    make_staff(session, "admin.hi", role="admin", language="hi")
    slot = make_slot(session, department, starts_in=dt.timedelta(days=12))
    book_appointment(session, slot_id=slot.id, phone=next_mobile(), channel=Channel.AGENT)
    console.login("admin.hi")
    said = add_holiday(console, slot.local_day, "Holi")
    assert "1 मरीज़ की बुकिंग रद्द हुई और उसे एसएमएस भेजा गया।" in said


def test_a_search_that_finds_nothing_says_so_in_both_languages(session, console, agent):
    console.login("agent.one")
    page = text(console.get("/console/search?q=Suresh"))
    assert search_count(page) == "No results for “Suresh”."
    assert "0 results" not in page
    console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    page = text(console.get("/console/search?q=Suresh"))
    assert search_count(page) == "“Suresh” के लिए कोई नतीजा नहीं मिला।"
    assert "0 नतीजा" not in page


def test_an_empty_queue_and_no_transfers_left_are_said_in_words(session, console, agent):
    from grievances.models import Grievance
    from tests.fixtures_console import make_grievance

    console.login("agent.one")
    console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    assert ">कोई शिकायत नहीं<" in text(console.get("/console/?scope=team"))
    item = make_grievance(session)
    with session.begin():
        session.get(Grievance, item.id).transfer_count = 3
    page = text(console.get(f"/console/grievances/{item.id}"))
    assert "(अब कोई स्थानांतरण बाक़ी नहीं)" in page and "0 स्थानांतरण" not in page
