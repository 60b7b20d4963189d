"""The console's booking page, for a mobile with no appointments to come, says so in a
sentence, not "None"."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_booking_page_says_no_upcoming_appointments_in_a_sentence(
        session, console, agent, lang):
    console.login("agent.one")
    if lang == "hi":
        console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    page = console.get("/console/booking?phone=%2B919800000099", follow_redirects=True
                       ).get_data(as_text=True)
    section = page.split('id="appts-h"')[1].split("</section>")[0]
    sentence = {"en": "No upcoming appointments.", "hi": "कोई आने वाला अपॉइंटमेंट नहीं है।"}
    assert f"<li>{sentence[lang]}</li>" in section, section
    assert "<li>None</li>" not in section and "<li>कोई नहीं</li>" not in section
