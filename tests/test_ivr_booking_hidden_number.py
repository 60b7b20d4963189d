"""A caller whose number we cannot see (withheld, a foreign placeholder, a browser
client) is asked for the patient's mobile after choosing the time: the first hearing
says why (we cannot see their number, and the booking's SMS goes to the patient's
mobile), in whole sentences; a retry keeps the short form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment
from locales import render
from tests.fixtures_ivr import Phone
from tests.test_ivr_booking import start_booking

HIDDEN = ["anonymous", "+266696687", "client:bob"]


def _to_the_number_prompt(phone: Phone, lang: str) -> None:
    start_booking(phone, lang)
    for key in ("2", "1", "1", "1"):  # Lok Nayak, Orthopaedics, first day, 9:00
        phone.press(key)


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("caller", HIDDEN)
def test_a_hidden_caller_hears_why_the_patients_mobile_is_asked(
        ivr_app, ivr_world, ivr_session, caller, lang):
    phone = Phone(ivr_app.test_client(), caller=caller, session=ivr_session)
    _to_the_number_prompt(phone, lang)
    first = render(lang, "ivr.book.type_mobile_hidden")
    short = render(lang, "ivr.book.type_mobile")
    assert first in phone.said
    assert phone.said.startswith(first)
    assert phone.gather.get("numDigits") == "14" and phone.gather.get("finishOnKey") == "#"
    # Whole sentences: ours cannot be seen; the booking's SMS needs the patient's mobile.
    assert first.count("।" if lang == "hi" else ".") >= 3
    phone.press("12345#")  # not a mobile: the short form
    assert render(lang, "ivr.book.bad_mobile") in phone.said
    assert short in phone.said and first not in phone.said
    phone.silence()
    assert short in phone.said and first not in phone.said
    phone.press("9876501234#")
    phone.press("1")  # confirm the read-back
    booked = ivr_session.scalar(select(Appointment))
    assert booked is not None and booked.citizen.phone == "+919876501234"


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_caller_with_a_number_typing_the_patients_mobile_hears_the_short_form(
        phone, ivr_world, lang):
    _to_the_number_prompt(phone, lang)
    phone.press("3")  # someone else
    phone.press("1")  # by mobile
    assert render(lang, "ivr.book.type_mobile") in phone.said
    assert render(lang, "ivr.book.type_mobile_hidden") not in phone.said
