"""How long is left, or how late, is one sentence per deadline on the console, and an
hour is counted as Hindi counts it: «निपटारे के लिए 12 दिन 1 घंटा बाक़ी», not
«12 दिन 1 घंटे बाक़ी निपटारा करना है» (a label dropped after a duration, and the
plural of one hour); a whole number of days names no hours."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from flask import g

from agent_console.i18n import duration
from tests.fixtures_console import make_grievance, make_staff

HOUR, DAY = 3600, 86400
CASES = [
    (12 * DAY + HOUR, "12 d 1 h", "12 दिन 1 घंटा"),
    (12 * DAY + 5 * HOUR, "12 d 5 h", "12 दिन 5 घंटे"),
    (2 * DAY, "2 d", "2 दिन"),
    (DAY + 30, "1 d", "1 दिन"),
    (HOUR + 10 * 60, "1 h 10 min", "1 घंटा 10 मिनट"),
    (HOUR + 9 * 60 + 59, "1 h 9 min", "1 घंटा 9 मिनट"),
    (3 * HOUR, "3 h", "3 घंटे"),
    (HOUR + 30, "1 h", "1 घंटा"),
    (12 * 60, "12 min", "12 मिनट"),
    (39 * 60, "39 min", "39 मिनट"),
]


@pytest.mark.parametrize(("seconds", "english", "hindi"), CASES)
def test_durations_count_hours_as_each_language_does(app, seconds, english, hindi):
    for lang, said in (("en", english), ("hi", hindi)):
        with app.test_request_context("/console/"):
            g.staff = SimpleNamespace(language=lang)
            assert duration(seconds) == said
            assert duration(-seconds) == said  # late by as much


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_queue_says_each_deadline_in_one_sentence(session, console, lang):
    make_staff(session, f"agent.{lang}", language=lang)
    now = dt.datetime.now(dt.UTC)
    make_grievance(session, now=now)  # acknowledgement due: time left
    make_grievance(session, now=now - dt.timedelta(days=30))  # long overdue
    session.commit()
    console.login(f"agent.{lang}")
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", console.get(
        "/console/?scope=team").get_data(as_text=True)))
    if lang == "hi":
        assert re.search(r"पावती देने के लिए \d[^<]*? बाक़ी", page), page[:3000]
        assert "की समय-सीमा" in page and "पहले निकल गई" in page
        assert "देनी है" not in page and "करना है" not in page
        assert not re.search(r"(?<!\d)1 घंटे ", page)  # "21 घंटे" is right
    else:
        assert re.search(r"\d (d|h|min) left to acknowledge", page), page[:3000]
        assert re.search(r"overdue by \d", page)
        assert "Overdue by" not in page
