"""Dates, times, numbers and digits as a caller hears them or an SMS shows them.

All in the helpline's time zone (Asia/Kolkata by default) through Babel, so Hindi month
and weekday names come out in Devanagari.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_decimal

from locales import BABEL_LOCALES, normalise_language, render

DEFAULT_TZ = "Asia/Kolkata"


def local(moment: dt.datetime, tz: str = DEFAULT_TZ) -> dt.datetime:
    return moment.astimezone(ZoneInfo(tz))


def format_date(lang: str | None, day: dt.date, style: str = "spoken") -> str:
    """``शुक्रवार, 7 मार्च`` / ``Friday, 7 March``; ``short`` gives ``07-03-2025`` style
    dates for SMS, which Babel writes in the locale's order."""
    locale = BABEL_LOCALES[normalise_language(lang)]
    if style == "short":
        return _babel_date(day, "dd MMM yyyy", locale=locale)
    return _babel_date(day, "EEEE, d MMMM", locale=locale)


def format_time(lang: str | None, moment: dt.datetime | dt.time, tz: str = DEFAULT_TZ) -> str:
    """``9:05 सुबह`` in Hindi (day period words), ``9:05 am`` in English."""
    language = normalise_language(lang)
    if isinstance(moment, dt.datetime):
        moment = local(moment, tz).time()
    pattern = "h:mm B" if language == "hi" else "h:mm a"
    return _babel_time(moment, pattern, locale=BABEL_LOCALES[language])


def format_number(lang: str | None, number: int | float) -> str:
    return format_decimal(number, locale=BABEL_LOCALES[normalise_language(lang)])


def spoken_digits(digits: str) -> str:
    """``2 9 2 5, 4 8 5 1``: one digit at a time, a pause after every four, so a caller
    on a poor line can write them down."""
    only = [ch for ch in digits if ch.isdigit()]
    groups = ["".join(only[i : i + 4]) for i in range(0, len(only), 4)]
    return ", ".join(" ".join(group) for group in groups)


def format_age(lang: str | None, seconds: float) -> str:
    """How long ago, in words: ``20 minutes`` / ``3 hours`` / ``2 days``."""
    minutes = max(1, int(seconds // 60))
    hours = minutes // 60
    if minutes < 60:
        unit, n = "minutes", minutes
    elif hours < 48:
        unit, n = "hours", hours
    else:
        unit, n = "days", hours // 24
    key = f"common.age_{unit}_one" if n == 1 else f"common.age_{unit}"
    return render(lang, key, n=format_number(lang, n))
