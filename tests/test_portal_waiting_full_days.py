"""The booking page's day list names the fully booked days too, in date order among the
days with free times, each "Fully booked" / «बुकिंग पूरी है» and leading to its page,
which offers that day's waiting list: a citizen who wants that day finds its list
without knowing the URL. Only the days whose lists may be joined (``full_days``): not a
day with no OPD, nor one the verified mobile already holds."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from locales import render
from locales.formatting import format_date
from tests.factories import IST, make_department, make_hospital, make_slot
from tests.opd_factories import book
from tests.test_portal_pages import E164, Portal


class DayList(HTMLParser):
    """The "Choose a day" list as a reader meets it: each link's ``?day=``, its words
    and whether it is marked as the day shown, in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.days: list[tuple[str, str, bool]] = []
        self._in_list = False
        self._link: tuple[str, bool] | None = None
        self._words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "ul" and "days" in a.get("class", "").split():
            self._in_list = True
        elif tag == "a" and self._in_list:
            self._link = (a["href"], a.get("aria-current") == "date")
            self._words = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul":
            self._in_list = False
        elif tag == "a" and self._link is not None:
            href, current = self._link
            said = re.sub(r"\s+", " ", " ".join(self._words)).strip()
            self.days.append((href, said, current))
            self._link = None

    def handle_data(self, data: str) -> None:
        self._words.append(data)


def day_list(page: str) -> list[tuple[str, str, bool]]:
    parser = DayList()
    parser.feed(page)
    parser.close()
    return parser.days


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def _department(session):
    """Six days from two days ahead: free, full, no OPD, free, full (the verified
    mobile's own booking holds it), full (its only session closed: no OPD left)."""
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    first = (dt.datetime.now(IST) + dt.timedelta(days=2)).date()
    days = [first + dt.timedelta(days=n) for n in range(6)]

    def at(day: dt.date, hour: int = 9) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), IST)

    make_slot(session, department, at=at(days[0]), capacity=8)
    book(session, make_slot(session, department, at=at(days[1]), capacity=1))
    book(session, make_slot(session, department, at=at(days[1], 10), capacity=1))
    make_slot(session, department, at=at(days[3]), capacity=8)
    book(session, make_slot(session, department, at=at(days[4]), capacity=1), phone=E164)
    closed = make_slot(session, department, at=at(days[5]), capacity=1, booked=1)
    closed.closed = True
    session.commit()
    return f"/portal/book/{hospital.id}/{department.id}", department.id, days


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_full_days_are_listed_in_date_order_and_lead_to_their_waiting_list(
        portal, session, lang):
    where, department_id, days = _department(session)
    free, full, _, free_too, held, _ = days
    full_words = render(lang, "portal.book.day_full")
    assert full_words == {"hi": "बुकिंग पूरी है", "en": "Fully booked"}[lang]
    portal.choose(lang)
    portal.get(where)
    assert portal.status == 200
    # Not verified: the day its own booking holds is a full day like another.
    assert day_list(portal.page) == [
        (f"?day={free}#times", format_date(lang, free), True),
        (f"?day={full}#times", f"{format_date(lang, full)} {full_words}", False),
        (f"?day={free_too}#times", format_date(lang, free_too), False),
        (f"?day={held}#times", f"{format_date(lang, held)} {full_words}", False),
    ]
    # The full day's link: its page marks it as the day shown, offers no time to book
    # and offers that day's waiting list.
    portal.get(f"{where}?day={full}")
    assert portal.status == 200
    assert (f"?day={full}#times", f"{format_date(lang, full)} {full_words}", True) \
        in day_list(portal.page)
    assert 'name="slot"' not in portal.page
    assert render(lang, "portal.wait.day_full", day=format_date(lang, full)) in portal.text()
    join = f"/portal/waiting-list/join?department={department_id}&amp;day={full}"
    assert f'href="{join}"' in portal.page


def test_a_day_the_verified_mobile_holds_is_not_listed_as_full(portal, session):
    where, _, days = _department(session)
    free, full, _, free_too, held, _ = days
    portal.choose("en")
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    portal.get(where)
    assert [href for href, _, _ in day_list(portal.page)] == [
        f"?day={free}#times", f"?day={full}#times", f"?day={free_too}#times"]
    assert f"?day={held}" not in portal.page


def test_rescheduling_lists_only_days_with_free_times(portal, session):
    """Moving an appointment offers times to move to; a full day's list is for a new
    booking (the booking page)."""
    where, _, days = _department(session)
    free, _, _, free_too, held, _ = days
    portal.choose("en")
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    portal.get("/portal/appointments")
    reference = re.search(r'href="/portal/appointments/(\d+)"', portal.page).group(1)
    portal.get(f"/portal/appointments/{reference}/reschedule")
    assert portal.status == 200
    assert [href for href, _, _ in day_list(portal.page)] == [
        f"?day={free}#times", f"?day={free_too}#times"]
