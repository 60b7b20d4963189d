"""A written grievance must say enough for an officer to act on it: "a", a lone word or
nothing but spaces and punctuation is refused by the domain
(``grievances.services.check_description``), so the portal, the API and the console
all refuse it, each with a clear sentence (Hindi and English where a person reads it).
A voice message needs no words."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from grievances.models import Grievance
from grievances.services import (
    MIN_DESCRIPTION_LETTERS,
    MIN_DESCRIPTION_WORDS,
    DescriptionTooShort,
    check_description,
    register_grievance,
)
from tests.fixtures_api import API
from tests.fixtures_console import make_staff

PHONE, E164 = "98123 45678", "+919812345678"
TOO_SHORT = ["a", "ok", "   ", "...", "!!!! ???", "a b c", "dirty", "१२३ ४५६", "वार्ड",
             "x" * 40]
ENOUGH = ["dirty ward", "no doctor", "डॉक्टर नहीं आए", "दवाई नहीं मिली",
          "The fan in ward 4 has not worked for a week.", "गंदा वार्ड"]


@pytest.mark.parametrize("words", TOO_SHORT)
def test_too_little_to_act_on_is_refused(words):
    with pytest.raises(DescriptionTooShort if words.strip() else Exception) as refused:
        check_description(words)
    assert refused.value.details["field"] == "description"
    if words.strip():
        assert refused.value.details["min_letters"] == MIN_DESCRIPTION_LETTERS
        assert refused.value.details["min_words"] == MIN_DESCRIPTION_WORDS


@pytest.mark.parametrize("words", ENOUGH)
def test_a_real_complaint_passes(words):
    assert check_description(f"  {words} ") == words


def test_a_voice_message_needs_no_words_but_words_given_must_be_enough():
    assert check_description("", recorded=True) == ""


def test_the_domain_refuses_it_for_every_channel_and_registers_nothing(session):
    for channel in ("portal", "agent", "ivr"):
        with pytest.raises(DescriptionTooShort):
            register_grievance(session, phone=PHONE, category="cleanliness",
                               channel=channel, description="a")
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


def test_the_api_refuses_it_with_the_field_named(client, verify):
    token = verify(PHONE, E164)
    answer = client.post(f"{API}/grievances", json={"category": "cleanliness",
                                                     "description": "a"},
                         headers={"X-Verification-Token": token})
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "description_too_short"
    assert error["details"] == {"field": "description", "min_letters": 8, "min_words": 2}
    assert "at least 2 words" in error["message"]


@pytest.mark.parametrize("lang,words", [
    ("en", "Describe the grievance in a few words: what happened and where (at least 2 "
           "words, 8 letters)."),
    ("hi", "शिकायत कुछ शब्दों में लिखें: क्या हुआ और कहाँ (कम से कम 2 शब्द, 8 अक्षर)।"),
])
def test_the_console_refuses_it_in_the_agents_language(console, session, lang, words):
    make_staff(session, "agent.words", language=lang)
    console.login("agent.words")
    answer = console.post("/console/grievances/new", data={
        "phone": PHONE, "category": "cleanliness", "description": " . ", "language": "hi"})
    page = answer.get_data(as_text=True)
    # Said under the description itself, the field marked and naming it.
    found = re.search(r'<div class="[^"]*field-error[^"]*" id="description-error">([^<]+)</div>',
                      page)
    assert found and html.unescape(found.group(1)).strip() == words, page
    assert re.search(r'<textarea[^>]*aria-invalid="true" aria-describedby="description-error"',
                     page)
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0
