"""An empty hall display, and the counter's "Now serving" with no room serving, say
which it is: no token called yet today, or tokens called before (one called and
skipped, say) and none being served now."""

from __future__ import annotations

import re

from locales import render
from tests.opd_factories import book, booking_time
from tests.test_opd_counter import _check_in, counter_staff, today  # noqa: F401 (fixtures)

NONE_YET = {lang: render(lang, "opd.display.none") for lang in ("hi", "en")}
NONE_NOW = {"en": "No token is being served now", "hi": "अभी किसी टोकन की बारी नहीं चल रही"}


def _serving(page) -> str:
    found = re.search(r'<ul class="list-inline" id="serving">(.*?)</ul>',
                      page.get_data(as_text=True), re.S)
    assert found is not None
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()


def test_after_a_skip_the_hall_and_the_counter_say_none_is_served_now(
        console, session, client, today, counter_staff):  # noqa: F811
    patient = book(session, today.slots[0], now=booking_time(today.slots[0]))
    dep = today.department.id
    console.login(counter_staff.username)
    page = _check_in(console, today, patient.reference)
    assert _serving(page) == render("en", "opd.display.none")
    session.close()  # SQLite: a reading transaction holds the write lock
    hall = client.get(f"/opd/display/{dep}").get_data(as_text=True)
    assert NONE_YET["hi"] in hall and NONE_YET["en"] in hall
    assert client.get(f"/opd/display/{dep}.json").get_json()["called_today"] is False
    called = console.post("/console/opd/call-next", data={"department": dep, "room": 1},
                          follow_redirects=True)
    visit_id = re.search(r'name="visit" value="(\d+)"', called.get_data(as_text=True)).group(1)
    skipped = console.post("/console/opd/skip", data={"department": dep, "visit": visit_id},
                           follow_redirects=True)
    assert _serving(skipped) == NONE_NOW["en"]
    board = client.get(f"/opd/display/{dep}.json").get_json()
    assert board["rooms"] == [] and board["called_today"] is True
    hall = client.get(f"/opd/display/{dep}").get_data(as_text=True)
    assert NONE_NOW["hi"] in hall and NONE_NOW["en"] in hall
    assert NONE_YET["en"] not in hall.split('id="rooms"')[1]
    # The script redraws with the same words, both kept on the page.
    assert f'data-none_now-en="{NONE_NOW["en"]}"' in hall
    assert f'data-none-en="{NONE_YET["en"]}"' in hall
