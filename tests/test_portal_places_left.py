"""The portal's booking page says how many appointments are left only where few are
(``booking_core.slots.few_left``, the phone line's rule): "Only 3 appointments left" /
«सिर्फ़ 3 अपॉइंटमेंट बाक़ी» for a day or time with 1 to 5 left, nothing about the count
for one with more ("23 appointments left" tells a patient nothing)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from booking_core.slots import FEW_PLACES, few_left
from locales.formatting import format_date, format_time_range
from tests.factories import IST, make_department, make_hospital, make_slot


class Choices(HTMLParser):
    """The words of each day link (by its ``?day=``) and of each time's label (by its
    radio button's slot id), as a reader sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.days: dict[str, str] = {}
        self.times: dict[str, str] = {}
        self._day: str | None = None
        self._label = False
        self._slot: str | None = None
        self._words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("?day="):
            self._day, self._words = a["href"].removeprefix("?day=").removesuffix("#times"), []
        elif tag == "label" and "time" in a.get("class", "").split():
            self._label, self._slot, self._words = True, None, []
        elif tag == "input" and self._label and a.get("name") == "slot":
            self._slot = a.get("value")

    def handle_endtag(self, tag: str) -> None:
        said = re.sub(r"\s+", " ", "".join(self._words)).strip()
        if tag == "a" and self._day is not None:
            self.days[self._day], self._day = said, None
        elif tag == "label" and self._label:
            self.times[str(self._slot)], self._label = said, False

    def handle_data(self, data: str) -> None:
        self._words.append(data)


def _choices(page: str) -> Choices:
    parser = Choices()
    parser.feed(page)
    parser.close()
    return parser


def test_few_left_is_one_to_five_places():
    """None left is not "few": a full time is not offered at all, and a full day is
    listed as "Fully booked" (tests/test_portal_waiting_full_days.py), never counted."""
    assert [n for n in range(0, 30) if few_left(n)] == list(range(1, FEW_PLACES + 1))
    assert FEW_PLACES == 5


LEFT = {"en": ("Only 1 appointment left", "Only {n} appointments left"),
        "hi": ("सिर्फ़ 1 अपॉइंटमेंट बाक़ी", "सिर्फ़ {n} अपॉइंटमेंट बाक़ी")}


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_count_is_shown_only_where_few_appointments_are_left(client, session, lang):
    assert FEW_PLACES == 5  # the boundary the slots below straddle (5 says few, 6 not)
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    many_day = (dt.datetime.now(IST) + dt.timedelta(days=2)).date()
    few_day = many_day + dt.timedelta(days=1)

    def at(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), IST)

    # 23 and 6 left: a day of 29, no count anywhere. 1 and 4 left: a day of 5.
    many = [make_slot(session, department, at=at(many_day, 9), capacity=25, booked=2),
            make_slot(session, department, at=at(many_day, 10), capacity=6)]
    few = [make_slot(session, department, at=at(few_day, 9), capacity=4, booked=3),
           make_slot(session, department, at=at(few_day, 10), capacity=4)]
    session.commit()
    if lang == "en":
        client.get("/portal/lang/en")
    one, more = LEFT[lang]

    def times(slots) -> dict[str, str]:
        return {str(s.id): format_time_range(lang, s.starts_at, s.ends_at) for s in slots}

    page = client.get(f"/portal/book/{hospital.id}/{department.id}").get_data(as_text=True)
    shown = _choices(page)
    assert shown.days == {
        many_day.isoformat(): format_date(lang, many_day),  # the day's name, no count
        few_day.isoformat(): f"{format_date(lang, few_day)}{more.format(n=5)}",
    }
    assert shown.times == times(many)  # the first day's times: no count
    page = client.get(f"/portal/book/{hospital.id}/{department.id}?day={few_day.isoformat()}")
    shown = _choices(page.get_data(as_text=True))
    assert shown.days[many_day.isoformat()] == format_date(lang, many_day)
    counted = times(few)
    assert shown.times == {str(few[0].id): counted[str(few[0].id)] + one,
                           str(few[1].id): counted[str(few[1].id)] + more.format(n=4)}
