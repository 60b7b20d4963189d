"""What a caller hears about places left and about times, in Hindi and English, at the
boundaries: no count of seats is ever spoken (an OPD has appointments, not seats), a
day or time with 1 to 5 places left says "only a few places", 6 or more says nothing,
none left is not offered at all; times are said as Delhi says them («सुबह 9 बजे»,
«सुबह पौने 12 बजे», «दोपहर 12 बजे», «दोपहर पौने 4 बजे», «शाम 4 बजे»; 9 am, 12 noon)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from booking_core.slots import FEW_PLACES
from locales.formatting import format_date
from tests.factories import IST, make_department, make_hospital, make_slot
from tests.fixtures_ivr import Phone

LANG_KEY = {"hi": "1", "en": "2"}
# Places left per slot on the first day (capacity, booked); 12:30 is full.
FIRST_DAY = [((9, 0), 6, 0), ((11, 45), 5, 0), ((12, 0), 3, 2), ((12, 30), 2, 2),
             ((15, 45), 10, 0), ((16, 0), 10, 0)]
# A number next to a word for seats or places ("1 seats", «1 सीटें»): never said.
COUNTED = re.compile(r"\d+\s*(seats?|places?|सीट|सीटें|जगह|जगहें)", re.IGNORECASE)


@pytest.fixture
def opd(ivr_session):
    """One hospital, one OPD: a first day of six times, then a day with one place left,
    a full day and a day with six places."""
    hospital = make_hospital(ivr_session, name_en="Lok Nayak Hospital",
                             name_hi="लोक नायक अस्पताल", short_en="LNJP Hospital",
                             short_hi="एलएनजेपी अस्पताल")
    department = make_department(ivr_session, hospital, name_en="General Medicine",
                                 name_hi="सामान्य चिकित्सा")
    first = (dt.datetime.now(IST) + dt.timedelta(days=2)).date()
    for (hour, minute), capacity, booked in FIRST_DAY:
        make_slot(ivr_session, department, capacity=capacity, booked=booked,
                  at=dt.datetime.combine(first, dt.time(hour, minute), IST))
    for days, capacity, booked in ((1, 4, 3), (2, 3, 3), (3, 6, 0)):
        make_slot(ivr_session, department, capacity=capacity, booked=booked,
                  at=dt.datetime.combine(first + dt.timedelta(days=days), dt.time(9), IST))
    return first


EXPECTED = {
    "hi": {
        "days": "दिन चुनें। {d0} के लिए 1 दबाएँ। {d1} के लिए 2 दबाएँ। उस दिन कुछ ही जगह "
                "बची है। {d3} के लिए 3 दबाएँ।",
        "times": "समय चुनें या बोलकर बताएँ। सुबह 9 बजे के लिए 1 दबाएँ। सुबह पौने 12 बजे के "
                 "लिए 2 दबाएँ। उस समय कुछ ही जगह बची है। दोपहर 12 बजे के लिए 3 दबाएँ। उस "
                 "समय कुछ ही जगह बची है। दोपहर पौने 4 बजे के लिए 4 दबाएँ। शाम 4 बजे के लिए 5 "
                 "दबाएँ।",
        "readback": "जाँच लें: एलएनजेपी अस्पताल, सामान्य चिकित्सा, {d0} को दोपहर 12 बजे, आपके लिए।",
    },
    "en": {
        "days": "Choose a day. For {d0}, press 1. For {d1}, press 2. Only a few places are "
                "left that day. For {d3}, press 3.",
        "times": "Choose a time, or say it. For 9 am, press 1. For 11:45 am, press 2. Only a "
                 "few places are left at that time. For 12 noon, press 3. Only a few places are "
                 "left at that time. For 3:45 pm, press 4. For 4 pm, press 5.",
        "readback": "Please check: LNJP Hospital, General Medicine, on {d0} at 12 noon, for you.",
    },
}


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_places_left_and_times_as_the_caller_hears_them(ivr_app, ivr_session, opd, lang):
    assert FEW_PLACES == 5  # the boundary the slots above straddle (5 says few, 6 not)
    days = {f"d{n}": format_date(lang, opd + dt.timedelta(days=n)) for n in range(4)}
    phone = Phone(ivr_app.test_client(), session=ivr_session)
    phone.call()
    phone.press(LANG_KEY[lang])
    phone.press("1")  # book
    phone.press("1")  # the only hospital
    phone.press("1")  # the only department: the days
    heard = [phone.said]
    assert phone.said == EXPECTED[lang]["days"].format(**days)
    phone.press("1")  # the first day: its times (the full 12:30 is not offered)
    heard.append(phone.said)
    assert phone.said == EXPECTED[lang]["times"]
    phone.press("3")  # 12 noon: the read-back says it the same way
    heard.append(phone.said)
    assert phone.said.startswith(EXPECTED[lang]["readback"].format(**days))
    for words in heard:
        assert not COUNTED.search(words), words
