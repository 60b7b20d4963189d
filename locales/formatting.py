"""Dates, times, numbers and digits as a caller hears them or an SMS shows them.

All in the helpline's time zone (Asia/Kolkata by default) through Babel, so Hindi month
and weekday names come out in Devanagari.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal

from locales import BABEL_LOCALES, normalise_language, render

DEFAULT_TZ = "Asia/Kolkata"


def local(moment: dt.datetime, tz: str = DEFAULT_TZ) -> dt.datetime:
    return moment.astimezone(ZoneInfo(tz))


def format_date(lang: str | None, day: dt.date, style: str = "spoken") -> str:
    """``शुक्रवार, 7 मार्च`` / ``Friday, 7 March``; ``short`` gives ``07 मार्च 2025`` /
    ``07 Mar 2025`` for screens with a column of dates (the console). An SMS writes its
    dates with ``sms_date``."""
    locale = BABEL_LOCALES[normalise_language(lang)]
    if style == "short":
        return _babel_date(day, "dd MMM yyyy", locale=locale)
    return _babel_date(day, "EEEE, d MMMM", locale=locale)


# Month names as an SMS writes them, whole: CLDR's abbreviations read badly in Hindi
# («दिस॰», «अक्टू॰», «फ़र॰») and change between Babel releases (en_IN's "Sept"), so
# these are the project's own, like the day periods below.
_MONTHS = {
    "hi": ("जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर",
           "अक्टूबर", "नवंबर", "दिसंबर"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
# A date further than this from today says its year.
_SMS_DATE_YEAR_AFTER = dt.timedelta(days=180)


def sms_date(lang: str | None, day: dt.date, today: dt.date | None = None) -> str:
    """A date as every SMS writes it: «5 दिसंबर» / ``5 December``, the month whole, as
    people say it (no «दिस॰», no leading zero). The one SMS date format: every
    template's ``{date}`` comes from here, so the segment budgets are tested against its
    longest output (``tests/test_messaging_templates.py``). No weekday: with the
    helpline's name that every Hindi SMS carries, «शुक्रवार, » would push the two-part
    messages (a cancellation, a status reply, a closed OPD) into a third part.

    Dates an SMS names are near (a visit within the booking window, a reply due in a
    few weeks). Given ``today``, a date more than 180 days from it (an old complaint's
    last update) also says its year: «5 दिसंबर 2024»."""
    language = normalise_language(lang)
    text = f"{day.day} {_MONTHS[language][day.month - 1]}"
    if today is not None and abs(day - today) > _SMS_DATE_YEAR_AFTER:
        return f"{text} {day.year}"
    return text


# Day periods as Delhi speaks them, by the hour they start (local time). Chosen here, not
# taken from CLDR, so an upgrade of Babel's data cannot change what a caller hears.
_HINDI_DAY_PERIODS = ((4, "सुबह"), (12, "दोपहर"), (16, "शाम"), (20, "रात"))


def _hindi_day_period(hour: int) -> str:
    period = _HINDI_DAY_PERIODS[-1][1]  # 00:00-03:59 is still night
    for starts, word in _HINDI_DAY_PERIODS:
        if hour >= starts:
            period = word
    return period


def _clock_and_period(language: str, moment: dt.datetime | dt.time,
                      tz: str) -> tuple[str, str]:
    """``("9:05", "am")`` / ``("9:05", "सुबह")``: a time's 12-hour clock and its period."""
    if isinstance(moment, dt.datetime):
        moment = local(moment, tz).time()
    clock = f"{(moment.hour % 12) or 12}:{moment.minute:02d}"
    if language == "hi":
        return clock, _hindi_day_period(moment.hour)
    return clock, "am" if moment.hour < 12 else "pm"


def _with_period(language: str, clock: str, period: str) -> str:
    return f"{period} {clock}" if language == "hi" else f"{clock} {period}"


def format_time(lang: str | None, moment: dt.datetime | dt.time, tz: str = DEFAULT_TZ) -> str:
    """A 12-hour clock time as it is written: «सुबह 9:05» in Hindi (the day period first,
    as it is said: सुबह from 04:00, दोपहर from 12:00, शाम from 16:00, रात from 20:00;
    the console, the portal and SMS write it one way), ``9:05 am`` in English
    (lower-case ``am``/``pm``, noon is ``12:00 pm``, midnight ``12:00 am``).

    The words are the project's own choice, not Babel's CLDR data, which changes between
    releases (Babel 2.19 turned ``en_IN``'s ``am`` into ``AM``)."""
    language = normalise_language(lang)
    return _with_period(language, *_clock_and_period(language, moment, tz))


def format_time_range(lang: str | None, start: dt.datetime | dt.time,
                      end: dt.datetime | dt.time, tz: str = DEFAULT_TZ) -> str:
    """From ``start`` to ``end``, as every page writes a span of time (a slot on the
    portal, an appointment, an OPD's hours on the console): the day period said once
    when both ends share it, where it is said (after the clock in English, before it in
    Hindi): ``9:00 – 10:00 am``, «सुबह 9:00 – 10:00»; on each end when they differ:
    ``11:30 am – 12:30 pm``, «सुबह 11:30 – दोपहर 12:30». Never "9:00 am – 10:00", whose
    end has no period. A page keeps the range on one line (``white-space: nowrap``), so
    a period never wraps away from its clock."""
    language = normalise_language(lang)
    first, first_period = _clock_and_period(language, start, tz)
    last, last_period = _clock_and_period(language, end, tz)
    if first_period == last_period:
        if language == "hi":
            return f"{first_period} {first} – {last}"
        return f"{first} – {last} {last_period}"
    return (f"{_with_period(language, first, first_period)} – "
            f"{_with_period(language, last, last_period)}")


def spoken_time(lang: str | None, moment: dt.datetime | dt.time, tz: str = DEFAULT_TZ) -> str:
    """A time as people in Delhi say it: «सुबह 9 बजे», «सुबह साढ़े 9 बजे», «दोपहर ढाई
    बजे», «सुबह सवा 10 बजे», «सुबह पौने 11 बजे», «शाम 4 बजकर 10 मिनट»; in English
    ``9 am``, ``9:30 am``, ``12 noon``. For prompts; SMS keep ``format_time``."""
    language = normalise_language(lang)
    if isinstance(moment, dt.datetime):
        moment = local(moment, tz).time()
    hour, minute = moment.hour, moment.minute
    if language != "hi":
        if (hour, minute) == (12, 0):
            return "12 noon"
        clock = f"{(hour % 12) or 12}" + (f":{minute:02d}" if minute else "")
        return f"{clock} {'am' if hour < 12 else 'pm'}"
    twelve = (hour % 12) or 12
    following = ((hour + 1) % 12) or 12
    if minute == 0:
        words = f"{twelve} बजे"
    elif minute == 30:
        words = {1: "डेढ़ बजे", 2: "ढाई बजे"}.get(twelve, f"साढ़े {twelve} बजे")
    elif minute == 15:
        words = f"सवा {twelve} बजे"
    elif minute == 45:
        return f"{_hindi_day_period(hour)} पौने {following} बजे"
    else:
        words = f"{twelve} बजकर {minute} मिनट"
    return f"{_hindi_day_period(hour)} {words}"


def written_time(lang: str | None, moment: dt.datetime | dt.time, tz: str = DEFAULT_TZ) -> str:
    """A time as a text shows it (SMS, the portal): ``format_time``; «सुबह 9:30», not
    «बजकर 10 मिनट», which would cost an SMS part."""
    return format_time(lang, moment, tz)


def spoken_day(lang: str | None, day: dt.date, today: dt.date) -> str:
    """«आज», «कल» (tomorrow), or the weekday and date, as a caller hears a day."""
    if day == today:
        return render(lang, "day.today")
    if day == today + dt.timedelta(days=1):
        return render(lang, "day.tomorrow")
    return format_date(lang, day)


def format_number(lang: str | None, number: int | float) -> str:
    return format_decimal(number, locale=BABEL_LOCALES[normalise_language(lang)])


def spoken_digits(digits: str) -> str:
    """``2 9 2 5, 4 8 5 1``: one digit at a time, a pause after every four, so a caller
    on a poor line can write them down."""
    only = [ch for ch in digits if ch.isdigit()]
    groups = ["".join(only[i : i + 4]) for i in range(0, len(only), 4)]
    return ", ".join(" ".join(group) for group in groups)


def age_in_units(seconds: float) -> tuple[str, int]:
    """How long, in the one unit a person would use: whole minutes below an hour (at
    least 1), whole hours below a day, else whole days (26 hours is 1 day, 48 hours 2)."""
    minutes = max(1, int(seconds // 60))
    if minutes < 60:
        return "minutes", minutes
    hours = minutes // 60
    if hours < 24:
        return "hours", hours
    return "days", hours // 24


def format_age(lang: str | None, seconds: float) -> str:
    """How long ago, as a whole phrase a sentence can take as it is: ``20 minutes
    ago``, ``1 hour ago``, ``2 days ago``; «20 मिनट पहले», «1 घंटे पहले», «1 दिन
    पहले» (the noun in the form पहले needs, as Hindi news writes it). The one renderer
    of every ``{age}`` (beds and a complaint's status on the phone, the portal, the
    console): frames say "updated {age}", never "{age} ago" around a bare duration,
    whose Hindi case would be the frame's guess."""
    unit, n = age_in_units(seconds)
    key = f"common.ago_{unit}_one" if n == 1 else f"common.ago_{unit}"
    return render(lang, key, n=format_number(lang, n))


def format_wait(lang: str | None, seconds: float) -> str:
    """A wait still to come, as a whole phrase in the same units as ``format_age``:
    ``in about 20 minutes``, ``in about an hour``; «लगभग 20 मिनट में», «लगभग एक घंटे
    में»."""
    unit, n = age_in_units(seconds)
    key = f"common.wait_{unit}_one" if n == 1 else f"common.wait_{unit}"
    return render(lang, key, n=format_number(lang, n))
