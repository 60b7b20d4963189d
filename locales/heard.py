"""Numbers and times of day as a caller says them, read back into values: the inverse of
``locales.formatting.spoken_time``.

What arrives is a speech recogniser's text (Twilio's ``SpeechResult``) in hi-IN or
en-IN: digits or words, Latin or Devanagari, with the recognisers' own spellings
("10 a.m.", "10 AM", "10:00", «१०», «साढे» without its nukta). Plain Python: no Flask,
no Twilio.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

# Number words, 0-12 (the hours, and an option's number: "two", «दो»). Digits, Latin or
# Devanagari, are read by ``heard_number`` itself.
NUMBER_WORDS = {
    "oh": 0, "zero": 0,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "एक": 1, "दो": 2, "तीन": 3, "चार": 4, "पांच": 5, "छह": 6, "छः": 6, "छे": 6, "सात": 7,
    "आठ": 8, "नौ": 9, "दस": 10, "ग्यारह": 11, "बारह": 12,
}
# Words only a number of minutes is said with ("ten forty five", «दस बजकर पंद्रह मिनट»).
MINUTE_WORDS = {
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "पंद्रह": 15, "पन्द्रह": 15, "बीस": 20, "पच्चीस": 25, "तीस": 30, "पैंतीस": 35,
    "चालीस": 40, "पैंतालीस": 45, "पैंतालिस": 45, "पचास": 50, "पचपन": 55,
}
_TENS = {20, 30, 40, 50}

# The part of the day, said before or after the clock.
_PARTS_OF_DAY = {
    "am": "am", "morning": "am", "सुबह": "am", "सुबे": "am", "सवेरे": "am", "subah": "am",
    "pm": "pm", "afternoon": "afternoon", "दोपहर": "afternoon", "dopahar": "afternoon",
    "evening": "pm", "शाम": "pm", "shaam": "pm", "sham": "pm",
    "night": "night", "रात": "night",
    "noon": "noon", "midday": "noon",
}
# Hindi fractions of an hour: साढ़े 10 = 10:30, सवा 10 = 10:15, पौने 10 = 9:45.
_FRACTIONS = {"साढे": 30, "साडे": 30, "सवा": 15, "पौने": -15, "पोने": -15}
# Half past one and half past two have their own words.
_WHOLE = {"डेढ": (1, 30), "ढाई": (2, 30)}
_ENGLISH_PARTS = {"half": 30, "quarter": 15}
# Words that say the option's number, not a time ("number 2", «नंबर दो»).
POSITION_WORDS = {"number", "option", "नंबर", "ऑप्शन"}

_AM_PM = re.compile(r"(?<![^\W\d_])([ap])\s*\.?\s*m\b\.?")  # a.m., p.m., AM, 10am
_OCLOCK = re.compile(r"\bo\s*['’]?\s*clock\b")
_DEVANAGARI_AM_PM = re.compile(r"(ए\.?\s*एम|पी\.?\s*एम)\.?")
_CLOCK = re.compile(r"(?<![\d:.])(\d{1,2})[:.](\d{2})(?![\d:])")
_CLOCK_WORD = re.compile(r"(\d{1,2}):(\d{2})")  # a clock, once a word (``_tokens``)
_AFTER_NOON = re.compile(r"\bafter\s+noon\b")
_HOUR_AND_MINUTES = re.compile(r"बज\s+के(?=\s|$)")  # «10 बज के 15 मिनट»
# Words (the danda is no letter), and a clock as one word.
_WORD = re.compile(r"\d{1,2}:\d{2}|(?:[^\W_]|[\u0900-\u0963\u0966-\u097f])+")

# Words that make a time said no choice of it: refused ("not 10", «10 बजे नहीं»), or
# said relative to another ("before 11", «11 से पहले», "after 10", «10 बजे के बाद»,
# "by 11", «11 बजे तक», "between 10 and 11"). We do not guess which time is meant.
_NOT_AT = {"not", "no", "before", "after", "by", "until", "till", "earlier", "later",
           "between", "नहीं", "नही", "मत", "पहले", "बाद", "तक", "बीच"}
# Between an hour and its minutes («10 बजकर 15 मिनट»), and after the minutes.
_HOUR_AND = {"बजकर", "बजके"}
_MINUTE_MARKS = {"मिनट", "minute", "minutes", "min", "mins"}
# «दो» after these is "give", no number («10 बजे का टाइम दो», «दे दो»).
_BEFORE_GIVE = {"का", "की", "के", "समय", "टाइम", "वाला", "वाली", "दे", "कर"}
# "one" after these is the option, no number ("the 10 am one", "that one") unless an
# hour's words follow it ("the one o'clock", "the one thirty").
_BEFORE_ONE_OF = {"am", "pm", "oclock", "the", "that", "this"}
_AFTER_AN_HOUR = {"oclock", "am", "pm", "बजे", *MINUTE_WORDS}


@dataclass(frozen=True)
class HeardTime:
    """A time of day a caller said.

    ``exact``: the caller said which part of the day ("10 am", «शाम 4 बजे», "noon") or
    used the 24-hour clock ("14:30"), and ``hour`` is 0-23. Otherwise ``hour`` is as
    said on the 12-hour clock, 1-12 ("10", «साढ़े दस»). ``minute`` is 0-59."""

    hour: int
    minute: int
    exact: bool

    def readings(self) -> tuple[dt.time, ...]:
        """The local times of day it can mean, the likelier first. OPD hours are
        daytime: a bare 1-7 is the afternoon first ("4": 16:00, then 04:00), a bare
        8-11 the morning first (then the evening), a bare 12 noon."""
        if self.exact:
            return (dt.time(self.hour, self.minute),)
        if self.hour == 12:
            return (dt.time(12, self.minute),)
        morning, afternoon = dt.time(self.hour, self.minute), dt.time(self.hour + 12,
                                                                        self.minute)
        return (afternoon, morning) if self.hour <= 7 else (morning, afternoon)


def heard_number(word: str) -> int | None:
    """The number ``word`` says, 0-12 as a word in either language ("ten", «दस»), or any
    digits, Latin or Devanagari ("10", «१०»); else None."""
    word = _normalise(word).strip()
    if word.isdecimal():
        return int(word)  # int() reads every script's digits
    return NUMBER_WORDS.get(word)


def heard_time(speech: str) -> HeardTime | None:
    """The time of day in ``speech``, as people in Delhi say one: "10", "ten", "10 am",
    "10:30", "ten thirty", "half past ten", "quarter to 11", "eleven o'clock", "noon",
    «दस बजे», «सुबह 10 बजे», «साढ़े दस», «सवा 11», «पौने 12», «डेढ़ बजे», «ढाई बजे»,
    «दोपहर 2 बजे», «शाम 4 बजे», «10 बजकर 15 मिनट». None when it names no time
    ("tomorrow", "ortho", "", an option's number said as "number two").

    Words around the time are let be ("at 10 please", «10 बजे वाला»), and the same time
    said again is that time («सुबह 10 बजे सुबह 10 बजे», "10 am, ten o'clock"). Minutes
    come only from a form that says minutes (a clock "10:30", a minute word "ten
    thirty", «बजकर 15 मिनट», «साढ़े», "half past", "quarter to"), never from two numbers
    side by side: "10 11" is two numbers, not 10:11.

    Speech that would make us guess is no time (None), for the caller to be asked
    again rather than be offered a time they did not choose: two different times or a
    time and another number ("10 or 11", «10 बजे नहीं, 11 बजे», "between 10 and 11",
    "4 December 10 am", "10 to 11", which is a range as often as 10:50), a time refused
    or said relative to another ("not 10", "before 11", "after 10", «11 से पहले»,
    «10 बजे के बाद», «11 बजे तक»), parts of the day that disagree ("10 am, 10 pm"), and
    no time at all: an hour past 23 or said with a part of the day past 12 ("25", "13
    pm"), a minute past 59 ("10:75"), a fraction or "past" without its hour ("साढ़े",
    "half past")."""
    tokens = _tokens(speech)
    if not tokens or (POSITION_WORDS | _NOT_AT) & set(tokens):
        return None
    said = _times_said(tokens)
    if said is None:
        return None
    parts = _parts_of_day(tokens)
    if not said:
        return HeardTime(12, 0, True) if parts == {"noon"} else None
    said_in: set[str | None] = set(parts) or {None}
    heard = {_in_part_of_day(hour, minute, part) for hour, minute in said for part in said_in}
    return heard.pop() if len(heard) == 1 else None


def _normalise(text: str) -> str:
    """Lower case; Devanagari without the nukta (साढ़े and साढे are heard alike) and with
    the anusvara for a chandrabindu (पाँच, पांच)."""
    text = unicodedata.normalize("NFC", text.casefold())
    text = unicodedata.normalize("NFD", text).replace("\u093c", "")
    return unicodedata.normalize("NFC", text).replace("\u0901", "\u0902")


def _tokens(speech: str) -> list[str]:
    """``speech`` as words; a clock ("10:30", "10.30", «१०:३०») as one word "10:30";
    "a.m." as "am"."""
    text = _normalise(speech)
    text = _AFTER_NOON.sub(" afternoon ", text)
    text = _OCLOCK.sub(" oclock ", text)
    text = _HOUR_AND_MINUTES.sub("बजकर", text)
    text = _DEVANAGARI_AM_PM.sub(lambda m: " pm " if m.group(1).startswith("प") else " am ",
                                 text)
    text = _CLOCK.sub(lambda m: f" {m.group(1)}:{m.group(2)} ", text)
    text = _AM_PM.sub(lambda m: f" {m.group(1)}m ", text)
    text = re.sub(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)", " ", text)  # 10बजे
    return _WORD.findall(text)


def _parts_of_day(tokens: list[str]) -> set[str]:
    """Each part of the day said ("am", «शाम», "in the evening")."""
    found = set()
    for at, token in enumerate(tokens):
        if token in ("am", "pm") and not (at and _ends_a_time(tokens[at - 1])):
            continue  # "I am", not "10 am"
        if token in _PARTS_OF_DAY:
            found.add(_PARTS_OF_DAY[token])
    return found


def _ends_a_time(token: str) -> bool:
    return (heard_number(token) is not None or token in MINUTE_WORDS or token == "oclock"
            or _CLOCK_WORD.fullmatch(token) is not None)


def _number_at(tokens: list[str], at: int) -> tuple[int, int] | None:
    """The number said at ``at`` and how many words it takes ("forty five": 2); None
    where the word there is no number, or one only in name ("the 10 am one", «10 बजे
    का टाइम दो», a lone "oh")."""
    token = tokens[at]
    before = tokens[at - 1] if at else ""
    after = tokens[at + 1] if at + 1 < len(tokens) else ""
    if token == "oh" or (token == "दो" and before in _BEFORE_GIVE) or (
            token == "one" and before in _BEFORE_ONE_OF and after not in _AFTER_AN_HOUR):
        return None
    value = heard_number(token)
    if value is None:
        value = MINUTE_WORDS.get(token)
    if value is None:
        return None
    unit = heard_number(after) if after and not after.isdecimal() else None
    if value in _TENS and not token.isdecimal() and unit is not None and 1 <= unit <= 9:
        return value + unit, 2  # "forty five"
    return value, 1


def _minutes_at(tokens: list[str], at: int) -> tuple[int, int] | None:
    """Minutes said right after an hour in words that can only be minutes ("thirty",
    "forty five", «पंद्रह», "oh five"), and how many words they take; None otherwise (a
    second hour, "10 11")."""
    if at >= len(tokens):
        return None
    if tokens[at] == "oh" and at + 1 < len(tokens) and not tokens[at + 1].isdecimal():
        unit = heard_number(tokens[at + 1])
        return (unit, 2) if unit is not None and 1 <= unit <= 9 else None
    if tokens[at] not in MINUTE_WORDS:
        return None
    return _number_at(tokens, at)


class _NoTime(Exception):
    """A number said is part of no time ("half past" without its hour, "10 to 11"): the
    speech names no time."""


def _times_said(tokens: list[str]) -> list[tuple[int, int]] | None:
    """Each time in ``tokens`` as (hour, minute) on the clock the caller used, in the
    order said; None when a number is part of no time."""
    said: list[tuple[int, int]] = []
    at = 0
    try:
        while at < len(tokens):
            time, at = _time_at(tokens, at)
            if time is not None:
                said.append(time)
    except _NoTime:
        return None
    return said


def _word(tokens: list[str], at: int) -> str:
    return tokens[at] if at < len(tokens) else ""


def _time_at(tokens: list[str], at: int) -> tuple[tuple[int, int] | None, int]:
    """The time said from ``tokens[at]`` on, if one starts there, and where the next
    word is."""
    token = tokens[at]
    if token in _WHOLE:  # डेढ़, ढाई
        return _WHOLE[token], at + 1
    if token in _FRACTIONS:  # साढ़े 10, सवा 11, पौने 12
        hour, fraction = _hour_at(tokens, at + 1), _FRACTIONS[token]
        return ((hour - 2) % 12 + 1, 45) if fraction < 0 else (hour, fraction), at + 2
    if (clock := _CLOCK_WORD.fullmatch(token)) is not None:
        return (int(clock.group(1)), int(clock.group(2))), at + 1
    found = (_ENGLISH_PARTS[token], 1) if token in _ENGLISH_PARTS else _number_at(tokens, at)
    if found is None:
        return None, at + 1  # a word
    minutes, width = found
    if _word(tokens, at + width) in ("past", "to"):  # twenty past 10, quarter to 11
        return _past_or_to(tokens, at + width, minutes), at + width + 2
    if token in _ENGLISH_PARTS:  # "half" alone
        return None, at + 1
    said_hour = heard_number(token) if width == 1 else None
    if not said_hour:  # "thirty", "forty five", "zero": no hour
        raise _NoTime
    return _with_minutes(tokens, said_hour, at + 1)


def _hour_at(tokens: list[str], at: int) -> int:
    """The hour on the 12-hour clock said at ``tokens[at]`` ("10", "ten", «दस»)."""
    found = _number_at(tokens, at) if at < len(tokens) else None
    if found is None or tokens[at] in MINUTE_WORDS or not 1 <= found[0] <= 12:
        raise _NoTime
    return found[0]


def _with_minutes(tokens: list[str], hour: int, at: int) -> tuple[tuple[int, int], int]:
    """``hour`` and the minutes said after it at ``tokens[at]``, if any («बजकर 15 मिनट»,
    "thirty", "oh five"), and where the next word is."""
    if _word(tokens, at) in _HOUR_AND:
        found = _number_at(tokens, at + 1) if at + 1 < len(tokens) else None
        if found is None:
            raise _NoTime
        minute, width = found
        at += 1 + width
        return (hour, minute), at + 1 if _word(tokens, at) in _MINUTE_MARKS else at
    if (found := _minutes_at(tokens, at)) is not None:
        return (hour, found[0]), at + found[1]
    return (hour, 0), at


def _past_or_to(tokens: list[str], at: int, minutes: int) -> tuple[int, int]:
    """"half past ten", "quarter to 11", "twenty past 10": (hour, minute), where
    ``tokens[at]`` is "past" or "to". A number up to 12 before "to" is no minutes: "10
    to 11" is as often a range as 10:50."""
    hour = _hour_at(tokens, at + 1)
    if not 0 < minutes < 60 or (tokens[at] == "to" and minutes <= 12
                                and tokens[at - 1] not in _ENGLISH_PARTS):
        raise _NoTime
    if tokens[at] == "past":
        return hour, minutes
    return (hour - 2) % 12 + 1, 60 - minutes


def _in_part_of_day(hour: int, minute: int, part: str | None) -> HeardTime | None:
    """The time (``hour`` as said) in the part of the day said, if any; None if there
    is no such time ("25", "10:75") or the part of the day does not fit the hour said
    ("13 pm", "10 noon")."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if hour == 0 or hour > 12:  # the 24-hour clock, which needs no part of the day
        return HeardTime(hour, minute, True) if part is None else None
    if part is None:
        return HeardTime(hour, minute, False)
    if part == "am":
        return HeardTime(hour % 12, minute, True)
    if part == "noon":
        return HeardTime(12, minute, True) if hour == 12 else None
    if part == "night":
        return HeardTime(0 if hour == 12 else hour + 12 if hour >= 5 else hour, minute, True)
    return HeardTime(hour if hour == 12 else hour + 12, minute, True)  # pm, afternoon
