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
_CLOCK = re.compile(r"(\d{1,2})\s*[:.]\s*(\d{2})(?!\d)")


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

    Words around the time are let be ("at 10 please", «10 बजे वाला»); three numbers, an
    hour past 23 or a minute past 59 are no time."""
    tokens = _tokens(speech)
    if not tokens or POSITION_WORDS & set(tokens):
        return None
    part = None
    for at, token in enumerate(tokens):
        if token in ("am", "pm") and not (at and _is_number(tokens[at - 1])):
            continue  # "I am", not "10 am"
        if token in _PARTS_OF_DAY:
            part = _PARTS_OF_DAY[token] if part in (None, "noon") else part
    clock = _clock(tokens)
    if clock is None:
        return HeardTime(12, 0, True) if part == "noon" else None
    hour, minute = clock
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return _in_part_of_day(hour, minute, part)


def _normalise(text: str) -> str:
    """Lower case; Devanagari without the nukta (साढ़े and साढे are heard alike) and with
    the anusvara for a chandrabindu (पाँच, पांच)."""
    text = unicodedata.normalize("NFC", text.casefold())
    text = unicodedata.normalize("NFD", text).replace("\u093c", "")
    return unicodedata.normalize("NFC", text).replace("\u0901", "\u0902")


def _tokens(speech: str) -> list[str]:
    """``speech`` as words, a clock ("10:30", «१०:३०») as two numbers, "a.m." as "am"."""
    text = _normalise(speech)
    text = _OCLOCK.sub(" oclock ", text)
    text = _DEVANAGARI_AM_PM.sub(lambda m: " pm " if m.group(1).startswith("प") else " am ",
                                 text)
    text = _CLOCK.sub(lambda m: f" {m.group(1)} {m.group(2)} ", text)
    text = _AM_PM.sub(lambda m: f" {m.group(1)}m ", text)
    text = re.sub(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)", " ", text)  # 10बजे
    return [t for t in re.split(r"[^\w\u0900-\u097f]+|_", text) if t]


def _is_number(token: str) -> bool:
    return heard_number(token) is not None or token in MINUTE_WORDS or token == "oclock"


def _numbers(tokens: list[str]) -> list[tuple[int, int]]:
    """(position, value) of each number said, "forty five" and "oh five" as one."""
    found: list[tuple[int, int]] = []
    for at, token in enumerate(tokens):
        value = heard_number(token)
        if value is None:
            value = MINUTE_WORDS.get(token)
        if value is None:
            continue
        if (found and found[-1][0] == at - 1 and 1 <= value <= 9 and not token.isdecimal()
                and not tokens[at - 1].isdecimal()
                and (found[-1][1] in _TENS or tokens[at - 1] == "oh")):
            found[-1] = (at, found[-1][1] + value)
            continue
        found.append((at, value))
    return found


def _clock(tokens: list[str]) -> tuple[int, int] | None:
    """(hour, minute) as said, on whichever clock the caller used; None if no time."""
    for word, (hour, minute) in _WHOLE.items():
        if word in tokens:
            return (hour, minute) if not _numbers(tokens) else None
    numbers = _numbers(tokens)
    fraction = next((_FRACTIONS[t] for t in tokens if t in _FRACTIONS), None)
    if fraction is not None:
        if len(numbers) != 1 or not 1 <= numbers[0][1] <= 12:
            return None
        hour = numbers[0][1]
        return ((hour - 2) % 12 + 1, 45) if fraction < 0 else (hour, fraction)
    relation = next((t for t in ("past", "to") if t in tokens), None)
    if relation is not None and (past_or_to := _past_or_to(tokens, numbers, relation)):
        return past_or_to
    if not numbers or numbers[0][1] == 0 or len(numbers) > 2:
        return None
    if len(numbers) == 2 and _PARTS_OF_DAY.keys() & set(
            tokens[numbers[0][0] + 1:numbers[1][0]]):
        return None  # two times ("9 am 10 am")
    return numbers[0][1], numbers[1][1] if len(numbers) == 2 else 0


def _past_or_to(tokens: list[str], numbers: list[tuple[int, int]],
                relation: str) -> tuple[int, int] | None:
    """"half past ten", "quarter to 11", "twenty past 10": (hour, minute)."""
    at = tokens.index(relation)
    before = [value for position, value in numbers if position < at]
    after = [value for position, value in numbers if position > at]
    said = next((_ENGLISH_PARTS[t] for t in tokens[:at] if t in _ENGLISH_PARTS), None)
    minutes = before[-1] if before else said
    if minutes is None or not after or not 1 <= after[0] <= 12 or not 0 < minutes < 60:
        return None
    hour = after[0]
    if relation == "past":
        return hour, minutes
    return (hour - 2) % 12 + 1, 60 - minutes


def _in_part_of_day(hour: int, minute: int, part: str | None) -> HeardTime | None:
    """The time (``hour`` as said) in the part of the day said, if any."""
    if hour == 0 or hour > 12:
        return HeardTime(hour, minute, True)  # the 24-hour clock
    if part is None:
        return HeardTime(hour, minute, False)
    if part == "am":
        return HeardTime(hour % 12, minute, True)
    if part == "noon":
        return HeardTime(12, minute, True) if hour == 12 else None
    if part == "night":
        return HeardTime(0 if hour == 12 else hour + 12 if hour >= 5 else hour, minute, True)
    return HeardTime(hour if hour == 12 else hour + 12, minute, True)  # pm, afternoon
