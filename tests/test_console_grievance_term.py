"""The console calls a grievance a grievance («शिकायत»), as its pages, menus and
reports do; only the number a citizen holds keeps their name for it, "complaint
number" («शिकायत नंबर», ``tests/test_wording_names.py``). Citizens' own channels (SMS,
phone line, portal) say "complaint" on purpose and are not scanned here."""

from __future__ import annotations

import html
import re

import pytest

from locales import catalogs, render
from tests.fixtures_console import make_staff

# "complaint" as the name of the thing, not of its number ("complaint number", or one of
# a list of numbers: "booking, complaint or card number").
THE_THING = re.compile(r"\bcomplaints?\b(?! number)(?! or [\w -]*number)", re.I)
# The console's catalogs: every key of theirs starts with "console."
CONSOLE = "console."


def test_no_console_sentence_calls_a_grievance_a_complaint():
    found = {key: text for key, text in catalogs()["en"].items()
             if key.startswith(CONSOLE) and THE_THING.search(text)}
    assert found == {}
    assert THE_THING.search("Complaint registered.")  # the scan finds the old words
    assert not THE_THING.search("Booking, complaint or card number")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_registering_says_grievance_registered_on_the_grievance_page(console, session, lang):
    make_staff(session, "agent.words", language=lang)
    console.login("agent.words")
    answer = console.post("/console/grievances/new", data={
        "phone": "98100 00077", "category": "cleanliness", "language": "hi",
        "description": "The fan in ward 4 has not worked for a week."},
        follow_redirects=True)
    page = html.unescape(answer.get_data(as_text=True))
    said = re.findall(r'<p class="flash info[^"]*"[^>]*>([^<]+)</p>', page)
    assert len(said) == 1, said
    title = re.search(r"<title>([^<]*)</title>", page).group(1)
    assert title.startswith(render(lang, "console.grievance"))
    reference = re.search(r"\d{6,}", said[0]).group(0)
    assert reference in title
    assert said[0].strip() == render(lang, "console.registered", reference=reference)
    if lang == "en":
        assert said[0].startswith("Grievance registered.")
        assert f"complaint number is {reference}" in said[0]  # the citizen's number
    else:
        assert said[0].startswith("शिकायत दर्ज हो गई।")
