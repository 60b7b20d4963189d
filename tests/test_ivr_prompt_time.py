"""How long a caller listens before their booking number, measured as
``bench/ivr_prompts.py`` measures it (the dev phone on the demo data, words heard up to
the number's first reading at 2.2 words a second, keys after the language choice):
a first-time booking within 120 s and 7 keys, a returning caller's booking at their
last hospital and department within 60 s (issue 9, part 2), in Hindi and English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.ivr_prompts import Line, flows, keys_after_language
from helpline.demo_data import load_demo_data
from helpline.migrate import upgrade


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('prompts')) / 'demo.sqlite3'}"
    upgrade(url)
    demo = Line(url)
    with demo.app.app_context():
        session = demo.app.extensions["helpline"].session()
        load_demo_data(session, weeks=1)
        session.close()
    yield demo
    demo.app.extensions["helpline"].engine.dispose()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_first_and_returning_bookings_within_their_prompt_time(line, lang):
    walks = flows(line, lang)
    first = walks["book, first call"]()
    again = walks["book again, last hospital"]()  # the same number calls back
    booked = {"hi": "बुकिंग नंबर", "en": "booking number"}[lang]
    for result in (first, again):
        assert booked in result["last_heard"], result["last_heard"]
    assert first["seconds"] <= 120 and keys_after_language(first, True) <= 7, first
    # Book; "1" takes the time offered at their last hospital and department.
    assert keys_after_language(again, False) == 2, again
    assert again["seconds"] <= 60, again
    # Emergency first, for a returning caller too.
    welcome = {"hi": "इमरजेंसी में 9 दबाएँ।", "en": "In an emergency, press 9."}[lang]
    assert welcome in again["heard"][0]
