"""Every SMS template, whichever feature wrote it, fits India's DLT rules and its
segment budget (GSM-7 160/153, UCS-2 70/67) with realistic longest values."""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.appointments import Channel, book_appointment, message_params
from booking_core.outbox import OutboxMessage
from helpline.demo_data import DEPARTMENTS, HOSPITALS
from locales import LANGUAGES, catalogs, placeholders, render
from locales.formatting import sms_date, written_time
from messaging.dlt import (
    DLT_VARIABLE,
    DLT_VARIABLE_MAX,
    dlt_pattern,
    dlt_template_id,
    dlt_text,
    segment_budget,
    sms_template_keys,
)
from messaging.segments import count_segments
from tests.conftest import make_settings
from tests.factories import make_department, make_hospital, make_slot

STATUS_WORDS = ("messaging.grievance_status.",)


def _longest(values) -> str:
    return max(values, key=lambda v: len(v.encode("utf-16-le")))


# Templates whose ``{status}`` names one kind of thing's status, and the one whose date
# may be old enough to say its year (``sms_date(today=...)``: a complaint's last update).
STATUS_OF = {"sms.reply_grievance_status": "messaging.grievance_status."}
DATES_WITH_A_YEAR = frozenset({"sms.reply_grievance_status"})


def realistic_longest(lang: str, key: str = "") -> dict[str, str]:
    """The longest value each variable takes in practice, per language (and, given the
    template ``key``, in that template)."""
    hospitals = [h[3] if lang == "en" else h[4] for h in HOSPITALS]
    departments = [d[1] if lang == "en" else d[2] for d in DEPARTMENTS]
    opd_times = [dt.time(h, m) for h in range(7, 21) for m in range(0, 60, 5)]
    # Every month (the longest names: अक्टूबर, September), with a year where one is said.
    today = dt.date(2032, 1, 1) if key in DATES_WITH_A_YEAR else None
    statuses = STATUS_OF.get(key, STATUS_WORDS)
    longest = {
        "reference": "9" * 8, "token": "999", "code": "9" * 6, "number": "+911140000000",
        "last": "9999",  # a mobile's last four digits (``phones.last_digits``)
        "card": "9999 9999 999", "hospital": _longest(hospitals),
        "department": _longest(d[:30] for d in departments),
        "date": _longest(sms_date(lang, dt.date(2030, m, 28), today) for m in range(1, 13)),
        "time": _longest(written_time(lang, t) for t in opd_times),
        # A held place's end (``waiting_list_offer``): a time of the day, as ``time``.
        "until": _longest(written_time(lang, t) for t in opd_times),
        "status": _longest(v for k, v in catalogs()[lang].items() if k.startswith(statuses)),
    }
    # A second date and time in one message (a new time offered) take the same forms.
    return {**longest, "new_date": longest["date"], "new_time": longest["time"]}


SMS_KEYS = sms_template_keys()


def test_templates_are_found_in_every_catalog_file():
    assert "sms.appointment_confirmation" in SMS_KEYS and "sms.reply_help" in SMS_KEYS
    assert all(key.startswith("sms.") for key in SMS_KEYS)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_realistic_values_fit_dlt_variables(lang):
    for key in ("", *DATES_WITH_A_YEAR):
        longest = realistic_longest(lang, key)
        assert {k: v for k, v in longest.items() if len(v) > DLT_VARIABLE_MAX} == {}


@pytest.mark.parametrize("key", SMS_KEYS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_fits_its_segment_budget(key, lang):
    longest = realistic_longest(lang, key)
    # A variable this test does not know yet (another feature's) is counted at DLT's max.
    values = {name: longest.get(name, "अ" * DLT_VARIABLE_MAX if lang == "hi" else "W" * 30)
              for name in placeholders(catalogs()[lang][key])}
    text = render(lang, key, **values)
    count = count_segments(text)
    assert count.segments <= segment_budget(key, lang), (count, text)
    if lang == "hi":
        assert count.encoding == "UCS-2"


@pytest.mark.parametrize("key", SMS_KEYS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_dlt_text_keeps_fixed_text_and_marks_each_variable(key, lang):
    registered = dlt_text(lang, key)
    assert "{" not in registered.replace(DLT_VARIABLE, "")
    assert registered.count(DLT_VARIABLE) == len(placeholders(catalogs()[lang][key]))
    # Every rendering matches the registered template: only the slots change.
    values = {name: f"v{i}" for i, name in enumerate(placeholders(catalogs()[lang][key]))}
    assert dlt_pattern(lang, key).fullmatch(render(lang, key, **values))


def test_dlt_ids_are_settings_per_template_and_language():
    settings = make_settings("sqlite://", sms_dlt_template_ids=(
        "otp_code=1107000000000000001, otp_code.hi=1107000000000000002,bad"))
    assert dlt_template_id(settings, "otp_code", "en") == "1107000000000000001"
    assert dlt_template_id(settings, "otp_code", "hi") == "1107000000000000002"
    assert dlt_template_id(settings, "appointment_confirmation", "en") is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_real_booking_sends_texts_that_match_their_dlt_templates(session, lang):
    hospital = make_hospital(session, short_en="Lok Nayak Hospital",
                             short_hi="लोक नायक अस्पताल")
    department = make_department(session, hospital, name_en="Obstetrics and Gynaecology",
                                 name_hi="स्त्री एवं प्रसूति रोग")
    slot = make_slot(session, department, starts_in=dt.timedelta(days=3))
    appointment = book_appointment(session, slot_id=slot.id, phone="9812345678",
                                   channel=Channel.PORTAL, language=lang)
    params = message_params(appointment, lang, "Asia/Kolkata")
    assert max(len(str(v)) for v in params.values()) <= DLT_VARIABLE_MAX
    rows = session.query(OutboxMessage).filter_by(appointment_id=appointment.id).all()
    assert {r.template for r in rows} >= {"appointment_confirmation",
                                          "appointment_reminder_evening"}
    for row in rows:
        match = dlt_pattern(lang, f"sms.{row.template}").fullmatch(row.body)
        assert match, row.body
        assert all(len(group) <= DLT_VARIABLE_MAX for group in match.groups())


@pytest.mark.parametrize("key", ["sms.appointment_booked_for_you",
                                 "sms.appointment_booked_for_you_online"])
def test_an_appointment_booked_for_someone_else_tells_them_the_same_in_both_languages(key):
    """The patient did not book it: in Hindi as in English the SMS names the helpline,
    hospital, department, day, time, token and booking number, and both ways to cancel
    (an SMS and a call); by phone or online, as it was booked."""
    values = {"hospital": "HOSP", "department": "DEPT", "date": "DATE", "time": "TIME",
              "token": "777", "reference": "12345678"}
    english = render("en", key, **values)
    hindi = render("hi", key, **values)
    how = ("by phone", "फ़ोन से") if key.endswith("for_you") else ("online", "ऑनलाइन")
    assert how[0] in english and how[1] in hindi
    for text in (english, hindi):
        assert all(value in text for value in values.values()), text
    assert english.startswith("Delhi Health Helpline:") and "send CANCEL" in english
    assert "call the helpline" in english
    assert hindi.startswith("दिल्ली स्वास्थ्य हेल्पलाइन:") and "रद्द और बुकिंग नंबर" in hindi
    assert "भेजें" in hindi and "कॉल करें" in hindi
