"""Reading a time of day from what a speech recogniser heard, in English and Hindi, as
Delhi says it: ``locales.heard.heard_time``."""

from __future__ import annotations

import datetime as dt

import pytest

from locales.formatting import spoken_time
from locales.heard import HeardTime, heard_number, heard_time


def t(clock: str) -> dt.time:
    return dt.time.fromisoformat(clock)


# What was heard, and the times it may mean, the likelier first.
ENGLISH = [
    ("10", ["10:00", "22:00"]),
    ("ten", ["10:00", "22:00"]),
    ("10 am", ["10:00"]),
    ("10 a.m.", ["10:00"]),
    ("10 AM", ["10:00"]),
    ("10am", ["10:00"]),
    ("10 A. M.", ["10:00"]),
    ("10:00", ["10:00", "22:00"]),
    ("10:00 a.m.", ["10:00"]),
    ("ten thirty", ["10:30", "22:30"]),
    ("10:30", ["10:30", "22:30"]),
    ("10.30", ["10:30", "22:30"]),
    ("10:30am", ["10:30"]),
    ("ten forty five", ["10:45", "22:45"]),
    ("ten forty-five", ["10:45", "22:45"]),
    ("ten oh five", ["10:05", "22:05"]),
    ("half past ten", ["10:30", "22:30"]),
    ("quarter past 10", ["10:15", "22:15"]),
    ("a quarter past ten", ["10:15", "22:15"]),
    ("quarter to 11", ["10:45", "22:45"]),
    ("quarter to one", ["12:45"]),
    ("twenty past ten", ["10:20", "22:20"]),
    ("eleven o'clock", ["11:00", "23:00"]),
    ("11 o'clock", ["11:00", "23:00"]),
    ("11 o’clock", ["11:00", "23:00"]),
    ("eleven oclock", ["11:00", "23:00"]),
    ("Eleven o clock.", ["11:00", "23:00"]),
    ("noon", ["12:00"]),
    ("12 noon", ["12:00"]),
    ("twelve", ["12:00"]),
    ("12:30", ["12:30"]),
    ("12:30 pm", ["12:30"]),
    ("12:30 am", ["00:30"]),
    ("2", ["14:00", "02:00"]),  # OPD hours are daytime: the afternoon first
    ("two o'clock", ["14:00", "02:00"]),
    ("2 pm", ["14:00"]),
    ("2 p.m.", ["14:00"]),
    ("2:30 PM", ["14:30"]),
    ("seven", ["19:00", "07:00"]),
    ("eight", ["08:00", "20:00"]),
    ("4 in the evening", ["16:00"]),
    ("10 in the morning", ["10:00"]),
    ("morning 10", ["10:00"]),
    ("3 in the afternoon", ["15:00"]),
    ("14:30", ["14:30"]),
    ("at 10 please", ["10:00", "22:00"]),
    ("I am free at 4", ["16:00", "04:00"]),  # "I am" is no part of the day
    ("10 pm", ["22:00"]),
    ("10 thirty", ["10:30", "22:30"]),
    ("ten fifteen", ["10:15", "22:15"]),
    ("five past ten", ["10:05", "22:05"]),
    ("twenty five past ten", ["10:25", "22:25"]),
    ("the one o'clock", ["13:00", "01:00"]),
    ("Ten thirty.", ["10:30", "22:30"]),
    ("quarter to 11, quarter to 11", ["10:45", "22:45"]),
]

HINDI = [
    ("10 बजे", ["10:00", "22:00"]),
    ("10बजे", ["10:00", "22:00"]),
    ("दस बजे", ["10:00", "22:00"]),
    ("१०", ["10:00", "22:00"]),
    ("१० बजे", ["10:00", "22:00"]),
    ("१०:३०", ["10:30", "22:30"]),
    ("सुबह 10 बजे", ["10:00"]),
    ("सुबह दस बजे", ["10:00"]),
    ("10 बजे सुबह", ["10:00"]),
    ("सुबह ११ बजे", ["11:00"]),
    ("सवेरे 9 बजे", ["09:00"]),
    ("ग्यारह बजे", ["11:00", "23:00"]),
    ("11 बजे", ["11:00", "23:00"]),
    ("साढ़े दस", ["10:30", "22:30"]),
    ("साढे दस", ["10:30", "22:30"]),  # without the nukta, as recognisers also write it
    ("साढ़े 10 बजे", ["10:30", "22:30"]),
    ("सुबह साढ़े नौ बजे", ["09:30"]),
    ("सवा 11", ["11:15", "23:15"]),
    ("सवा ग्यारह बजे", ["11:15", "23:15"]),
    ("पौने 12", ["11:45", "23:45"]),
    ("पौने बारह बजे", ["11:45", "23:45"]),
    ("पौने एक", ["12:45"]),
    ("डेढ़ बजे", ["13:30", "01:30"]),
    ("डेढ बजे", ["13:30", "01:30"]),
    ("दोपहर डेढ़ बजे", ["13:30"]),
    ("ढाई बजे", ["14:30", "02:30"]),
    ("दोपहर ढाई बजे", ["14:30"]),
    ("दोपहर 2 बजे", ["14:00"]),
    ("दोपहर दो बजे", ["14:00"]),
    ("दोपहर 12 बजे", ["12:00"]),
    ("बारह बजे", ["12:00"]),
    ("शाम 4 बजे", ["16:00"]),
    ("शाम चार बजे", ["16:00"]),
    ("शाम पौने 5", ["16:45"]),
    ("रात 9 बजे", ["21:00"]),
    ("पाँच बजे", ["17:00", "05:00"]),
    ("पांच बजे", ["17:00", "05:00"]),
    ("3 बजे", ["15:00", "03:00"]),
    ("10 बजकर 15 मिनट", ["10:15", "22:15"]),
    ("दस बजकर पंद्रह मिनट", ["10:15", "22:15"]),
    ("सुबह 10 बजकर 45 मिनट", ["10:45"]),
    ("10 बजे वाला", ["10:00", "22:00"]),
    ("10 a.m.", ["10:00"]),  # the Hindi recogniser writes English times its own way
    ("10 एएम", ["10:00"]),
    ("2 पीएम", ["14:00"]),
    ("दस पंद्रह", ["10:15", "22:15"]),
    ("10 बज के 15 मिनट", ["10:15", "22:15"]),
    ("सुबह 10 बजे।", ["10:00"]),
]


@pytest.mark.parametrize(("speech", "times"), ENGLISH + HINDI)
def test_a_spoken_time_is_read_as_delhi_says_it(speech, times):
    heard = heard_time(speech)
    assert heard is not None, speech
    assert heard.readings() == tuple(t(clock) for clock in times), (speech, heard)


# The same time said more than once is that time.
REPEATED = [
    ("सुबह 10 बजे सुबह 10 बजे", ["10:00"]),
    ("सुबह 10 बजे, सुबह 10 बजे, सुबह 10 बजे", ["10:00"]),
    ("10 am 10 am", ["10:00"]),
    ("10 am, 10 am, 10 am", ["10:00"]),
    ("10 am, ten o'clock in the morning", ["10:00"]),
    ("10 बजे 10 बजे", ["10:00", "22:00"]),
    ("साढ़े दस, 10:30", ["10:30", "22:30"]),
]

# Words around a time that are no number of it.
AROUND = [
    ("the 10 am one", ["10:00"]),
    ("10 बजे का टाइम दो", ["10:00", "22:00"]),
]


@pytest.mark.parametrize(("speech", "times"), REPEATED + AROUND)
def test_a_time_said_again_or_with_words_around_it_is_that_time(speech, times):
    """«सुबह 10 बजे सुबह 10 बजे» was no time (the name matcher then offered 9 am)."""
    heard = heard_time(speech)
    assert heard is not None, speech
    assert heard.readings() == tuple(t(clock) for clock in times), (speech, heard)


@pytest.mark.parametrize("speech", [
    # Two numbers side by side are two numbers, never an hour and its minutes.
    "10 11", "10 30", "1 45 pm", "4 December 10 am",
    # Two different times.
    "10 या 11 बजे", "10 or 11", "ten or eleven", "10 am to 11 am",
    "10 to 11", "ten to eleven", "10 से 11 के बीच", "between 10 and 11",
    # A time refused, or said relative to another.
    "मुझे सुबह 10 बजे नहीं, 11 बजे चाहिए", "not 10, 11", "not 10", "10 बजे नहीं",
    "11 से पहले", "before 11", "after 10", "10 बजे के बाद", "11 बजे तक", "by 11",
    "after 10 am",
    # Times that do not exist, or a part of the day that does not fit the hour.
    "13 pm", "14:30 pm", "सुबह 15 बजे", "twenty",
])
def test_speech_that_names_no_single_time_is_no_time(speech):
    """"10 11" was 10:11, «10 बजे नहीं, 11 बजे» 10:11, «11 से पहले» 11 am, "13 pm" 1 pm."""
    assert heard_time(speech) is None


@pytest.mark.parametrize("speech", [
    "", "   ", "tomorrow", "ortho", "Lok Nayak", "कल", "हड्डी रोग", "am", "number two",
    "नंबर दो", "9 am 10 am", "1 2 3", "10:75", "half past", "quarter to", "oh", "zero",
    "डेढ़ 2", "साढ़े", "साढ़े 14", "25", "the evening", "25 बजे", "10 noon", "thirty",
    "10 am or 11 am", "सुबह 10 बजे शाम 4 बजे", "10 am 10 pm", "सुबह 10 बजे, शाम 10 बजे",
])
def test_words_that_name_no_time_are_no_time(speech):
    assert heard_time(speech) is None


def test_a_time_with_its_part_of_the_day_is_exact_a_bare_hour_is_not():
    assert heard_time("10 am") == HeardTime(10, 0, exact=True)
    assert heard_time("शाम 4 बजे") == HeardTime(16, 0, exact=True)
    assert heard_time("14:30") == HeardTime(14, 30, exact=True)
    assert heard_time("10") == HeardTime(10, 0, exact=False)
    assert heard_time("साढ़े दस") == HeardTime(10, 30, exact=False)


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("clock", ["09:00", "09:30", "10:15", "11:45", "12:00", "13:30",
                                   "14:30", "16:00", "16:10"])
def test_every_time_the_menu_says_is_read_back_as_that_time(lang, clock):
    """What the phone line says (``spoken_time``) is heard as the same time, so a caller
    who repeats an option's words gets it."""
    said = spoken_time(lang, t(clock))
    heard = heard_time(said)
    assert heard is not None and heard.readings()[0] == t(clock), (said, heard)


@pytest.mark.parametrize(("word", "number"), [
    ("one", 1), ("5", 5), ("५", 5), ("पाँच", 5), ("पांच", 5), ("ten", 10), ("ग्यारह", 11),
    ("१२", 12), ("Twelve", 12), ("ortho", None), ("", None),
])
def test_a_number_is_heard_in_words_or_digits_of_either_script(word, number):
    assert heard_number(word) == number
