"""What an SMS says, over the whole catalog: one brand name, spelled one way, in every
template of both languages; Hindi in whole sentences as Delhi writes them; dates with
the month written out («5 दिसंबर», "5 December"), never CLDR's «दिस॰»."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from locales import LANGUAGES, catalogs, render
from locales.formatting import sms_date
from messaging.dlt import sms_template_keys

BRAND = {"hi": "दिल्ली स्वास्थ्य हेल्पलाइन", "en": "Delhi Health Helpline"}
# Other ways of writing the helpline's name that must not come back.
OTHER_SPELLINGS = ("दिल्ली हेल्थ", "स्वास्थ्य हेल्पलाइन", "हेल्पलाइन कोड", "स्वास्थ हेल्पलाइन",
                   "Delhi Helpline", "Health Helpline")
SMS_KEYS = sms_template_keys()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_sms_template_carries_the_one_brand_name(lang):
    """The verification code in Hindi lacked it; so did most Hindi and the English
    reminders. A citizen reading an SMS must see who sent it, in one spelling."""
    missing = {key: text for key, text in catalogs()[lang].items()
               if key.startswith("sms.") and text.count(BRAND[lang]) != 1}
    assert missing == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_brand_is_spelled_one_way_in_every_sms(lang):
    """«स्वास्थ्य हेल्पलाइन» alone or «हेल्पलाइन कोड» is not the name: once the brand's
    own words are taken out, no other spelling of it is left."""
    found = {}
    for key in SMS_KEYS:
        rest = catalogs()[lang][key].replace(BRAND[lang], "")
        if any(other in rest for other in OTHER_SPELLINGS):
            found[key] = rest
        if lang == "en" and re.search(r"delhi health helpline", rest, re.I):
            found[key] = rest
    assert found == {}


def test_the_name_given_for_a_complaint_about_no_hospital_is_the_brand():
    for lang in LANGUAGES:
        assert render(lang, "grievance.helpline_name") == BRAND[lang]


def test_hindi_verification_code_names_the_helpline():
    text = render("hi", "sms.otp_code", code="482913")
    assert text.startswith("482913 दिल्ली स्वास्थ्य हेल्पलाइन का आपका कोड है।"), text


# Office shorthand a person would not write in a message to a patient: «हेतु» («रद्द
# हेतु» for «रद्द करने के लिए»), a verb cut to a colon («ओपीडी बुक:», «ओपीडी बदली:»,
# «कल ओपीडी:»), CLDR's abbreviation mark.
TELEGRAPHIC = ("हेतु", "बुक:", "बदली:", "ओपीडी:", "॰", "समय-सीमा पार")


def test_hindi_sms_are_whole_sentences():
    found = {key: catalogs()["hi"][key] for key in SMS_KEYS
             if any(word in catalogs()["hi"][key] for word in TELEGRAPHIC)}
    assert found == {}
    for key in SMS_KEYS:
        assert catalogs()["hi"][key].rstrip().endswith("।"), key


def test_someone_elses_booking_tells_the_patient_how_to_cancel_in_plain_hindi():
    text = render("hi", "sms.appointment_booked_for_you", hospital="लोक नायक अस्पताल",
                  department="हड्डी रोग", date="5 दिसंबर", time="सुबह 9:30", token="7",
                  reference="30684871")
    assert "रद्द करना हो तो रद्द और बुकिंग नंबर 30684871 भेजें या कॉल करें।" in text
    assert "हेतु" not in text and "5 दिसंबर सुबह 9:30" in text


@pytest.mark.parametrize(("day", "hindi", "english"), [
    (dt.date(2030, 1, 5), "5 जनवरी", "5 January"),
    (dt.date(2030, 2, 28), "28 फ़रवरी", "28 February"),  # CLDR: «फ़र॰»
    (dt.date(2030, 7, 1), "1 जुलाई", "1 July"),  # «जुल॰»
    (dt.date(2030, 8, 15), "15 अगस्त", "15 August"),  # «अग॰»
    (dt.date(2030, 9, 9), "9 सितंबर", "9 September"),  # «सित॰», en_IN "Sept"
    (dt.date(2030, 10, 2), "2 अक्टूबर", "2 October"),  # «अक्टू॰»
    (dt.date(2030, 11, 14), "14 नवंबर", "14 November"),  # «नव॰»
    (dt.date(2030, 12, 5), "5 दिसंबर", "5 December"),  # «दिस॰»
])
def test_sms_dates_write_the_month_out(day, hindi, english):
    assert sms_date("hi", day) == hindi
    assert sms_date("en", day) == english
    # Near today (a visit, a reply due): no year; far from it: the year too.
    assert sms_date("hi", day, today=day - dt.timedelta(days=30)) == hindi
    assert sms_date("en", day, today=day + dt.timedelta(days=400)) == f"{english} 2030"
    assert sms_date("hi", day, today=day + dt.timedelta(days=400)) == f"{hindi} 2030"


def test_every_sms_date_comes_from_one_function():
    """No SMS date is formatted another way: ``format_date(..., "short")`` is for the
    console's columns only."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    users = sorted(str(path.relative_to(root)) for folder in (
        "booking_core", "grievances", "messaging", "ivr", "portal_api", "portal_web")
        for path in (root / folder).rglob("*.py")
        if re.search(r"format_date\([^)]*['\"]short['\"]", path.read_text()))
    assert users == []
