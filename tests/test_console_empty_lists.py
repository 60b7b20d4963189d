"""An empty list on the console says so in a sentence of its own, in both languages:
"No appointments." under the caller's appointments, not "Appointments: None" (a label
with the word "None", «कोई नहीं», dropped in); "No hospital named" for a grievance about
no hospital, not "Hospital: —"."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from booking_core.base import unit_of_work, utcnow
from contact_centre.models import Call
from locales import LANGUAGES, catalogs, render
from tests.factories import make_hospital
from tests.fixtures_console import ConsoleClient, make_grievance, make_staff, next_mobile

BARE_NONE = re.compile(r"\s*(none|nothing|n/a|—|-|कोई नहीं|कुछ नहीं)\.?\s*", re.IGNORECASE)
DROPPED_IN = ("<li>None</li>", "<li>कोई नहीं</li>", ">None<", ">कोई नहीं<", "None</dd>",
              "—</dd>", "<td>—</td>")


def _section(page: str, heading_id: str) -> str:
    return page.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def _lists(html: str) -> dict[str, list[str]]:
    """Each list of the caller's record, by its ``data-list``: the texts of its items."""
    return {name: re.findall(r"<li>(.*?)</li>", body, re.S)
            for name, body in re.findall(r'data-list="(\w+)">(.*?)</ul>', html, re.S)}


def _signed_in(console: ConsoleClient, session, lang: str, **kw) -> tuple[ConsoleClient, int]:
    """``console`` signed in as a new account reading the console in ``lang``; its id."""
    staff_id = make_staff(session, f"staff.{lang}", language=lang, **kw).id
    console.login(f"staff.{lang}")
    return console, staff_id


def _answered_call(session, agent_id: int, phone: str | None) -> None:
    now = utcnow()
    with unit_of_work(session):
        session.add(Call(call_sid=f"CA{next_mobile()[3:]}", from_phone=phone, language=None,
                         path=["voice", "agent"], details={},
                         started_at=now - dt.timedelta(minutes=2),
                         answered_at=now - dt.timedelta(seconds=20), agent_id=agent_id))


def test_no_message_is_a_bare_none_for_a_page_to_drop_after_a_label():
    bare = {lang: sorted(k for k, v in catalogs()[lang].items() if BARE_NONE.fullmatch(v))
            for lang in LANGUAGES}
    assert bare == {"hi": [], "en": []}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_grievance_page_says_the_caller_has_no_appointments_and_no_other_grievances(
        session, console, lang):
    # A voice message, nothing written; about no hospital in particular.
    grievance = make_grievance(session, language=lang, description="",
                               recording_sid="RE" + "1" * 32, recording_seconds=20)
    console, _ = _signed_in(console, session, lang)
    page = console.get(f"/console/grievances/{grievance.id}").get_data(as_text=True)
    said = _lists(_section(page, "pop-h"))
    assert said["appointments"] == [{"en": "No appointments.",
                                     "hi": "कोई अपॉइंटमेंट नहीं है।"}[lang]]
    assert said["grievances"] == [{"en": "No other grievances.",
                                   "hi": "कोई और शिकायत नहीं है।"}[lang]]
    assert said == {"appointments": [render(lang, "console.caller.no_appointments")],
                    "grievances": [render(lang, "console.caller.no_other_grievances")],
                    "calls": [render(lang, "console.caller.no_calls")]}
    # The details say in words what is missing: no hospital, nothing written down.
    details = _section(page, "details-h")
    assert render(lang, "console.rep.no_hospital") + "</dd>" in details
    assert f'id="description">{render(lang, "console.no_description")}</p>' in details
    assert not [bit for bit in DROPPED_IN if bit in page]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_desks_screen_pop_says_the_caller_has_none_in_sentences(session, console, lang):
    """The call on the line is left out of the caller's calls: "No other calls"."""
    console, agent_id = _signed_in(console, session, lang)
    _answered_call(session, agent_id, next_mobile())
    html = console.get("/console/caller", headers={"X-Fragment": "1"}).get_data(as_text=True)
    assert not [bit for bit in DROPPED_IN if bit in html]
    assert _lists(html) == {"appointments": [render(lang, "console.caller.no_appointments")],
                            "grievances": [render(lang, "console.caller.no_grievances")],
                            "calls": [render(lang, "console.caller.no_other_calls")]}
    language = re.search(r'data-field="language">(.*?)</dd>', html).group(1)
    assert language == render(lang, "console.pop.language_unknown")


def test_a_withheld_number_has_no_record_rather_than_an_empty_one(session, console):
    console, agent_id = _signed_in(console, session, "en")
    _answered_call(session, agent_id, None)
    html = console.get("/console/caller", headers={"X-Fragment": "1"}).get_data(as_text=True)
    assert "Number withheld" in html and _lists(html) == {}
    assert "With the number withheld, there is no record to look up." in html


def test_a_hospitals_staff_read_what_their_hospital_holds_and_no_calls(session, console):
    """They see their hospital's records only, and none of the helpline's calls: "No
    appointments at this hospital.", and no "Calls" list that would always be empty."""
    hospital = make_hospital(session)
    grievance = make_grievance(session, hospital_id=hospital.id, language="hi")
    console, _ = _signed_in(console, session, "hi", hospital_id=hospital.id)
    page = console.get(f"/console/grievances/{grievance.id}").get_data(as_text=True)
    assert _lists(_section(page, "pop-h")) == {
        "appointments": ["इस अस्पताल में कोई अपॉइंटमेंट नहीं है।"],
        "grievances": ["इस अस्पताल के बारे में कोई और शिकायत नहीं है।"]}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_empty_list_of_the_console_says_what_is_missing(session, console, lang):
    hospital = make_hospital(session)
    admin, _ = _signed_in(console, session, lang, role="admin")
    pages = {
        "/console/callbacks": ["console.my_callbacks_none", "console.waiting_callbacks_none"],
        "/console/hospitals": ["console.stock_outs_none"],
        f"/console/admin/hospitals/{hospital.id}": ["console.md.no_departments"],
        "/console/admin/holidays": ["console.md.no_holidays"],
    }
    for url, keys in pages.items():
        page = admin.get(url).get_data(as_text=True)
        assert not [bit for bit in DROPPED_IN if bit in page], url
        assert [k for k in keys if render(lang, k) not in page] == [], url
