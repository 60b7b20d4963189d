"""Choosing a day lands on its times. On a phone the day list of a four-week booking
window is long; a day link that reloads the page at its top made a citizen scroll past
every day again to reach the times. Each day link carries ``#times``, the fragment of
the section right after the day list that holds the chosen day's times (or why it has
none), so the browser opens the page there. Flask test client, Hindi and English."""

from __future__ import annotations

import re

import pytest

from portal_api.auth import issue_verification_token
from tests.test_portal_pages import E164, PHONE, _booked


def _day_hrefs(page: str) -> list[str]:
    days = re.search(r'<ul class="days">(.*?)</ul>', page, re.S)
    assert days, "no day list"
    return re.findall(r'href="([^"]+)"', days.group(1))


def _lands_on_the_times(page: str) -> None:
    """Every day link opens its page at #times, which comes after the day list and
    before the chosen day's heading, its first time and the button that goes on."""
    hrefs = _day_hrefs(page)
    assert len(hrefs) >= 2 and all(re.fullmatch(r"\?day=\d{4}-\d{2}-\d{2}#times", h)
                                   for h in hrefs), hrefs
    assert page.count('id="times"') == 1
    target = page.index('id="times"')
    assert page.index('<ul class="days">') < page.index("</ul>", page.index(
        '<ul class="days">')) < target
    assert target < page.index('<fieldset class="times">') < page.index('name="slot"')
    assert target < page.index('type="submit"', target)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_day_link_on_the_booking_page_lands_on_its_times(client, catalogue, lang):
    client.get(f"/portal/lang/{lang}")
    where = f"/portal/book/{catalogue.hospital.id}/{catalogue.department.id}"
    _lands_on_the_times(client.get(where).get_data(as_text=True))
    later = client.get(f"{where}?day={catalogue.later_slot.local_day.isoformat()}")
    page = later.get_data(as_text=True)
    _lands_on_the_times(page)
    chosen = re.search(r'<a href="\?day=([0-9-]+)#times" aria-current="date"', page)
    assert chosen and chosen.group(1) == catalogue.later_slot.local_day.isoformat()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_day_link_on_the_reschedule_page_lands_on_its_times(client, session, app,
                                                              catalogue, lang):
    held = _booked(session, catalogue.slot, phone=E164)
    client.set_cookie("portal_mobile", issue_verification_token(app.config["SECRET_KEY"],
                                                                PHONE), path="/portal")
    client.get(f"/portal/lang/{lang}")
    answer = client.get(f"/portal/appointments/{held.reference}/reschedule")
    assert answer.status_code == 200
    _lands_on_the_times(answer.get_data(as_text=True))


def test_why_an_asked_day_shows_no_times_is_said_where_the_link_lands(client, catalogue):
    """A day asked for that cannot be shown (past, or with no OPD): the sentence saying
    so is inside #times, where the browser opens the page, not above the day list."""
    client.get("/portal/lang/en")
    where = f"/portal/book/{catalogue.hospital.id}/{catalogue.department.id}"
    page = client.get(f"{where}?day=2001-01-01").get_data(as_text=True)
    assert page.index('id="times"') < page.index('role="alert"')
