"""The day menu offers only days the patient can book: a day on which they already hold
an appointment in the department is left out (the booking would refuse it), and a
refusal that still happens (a race) brings the caller back to the same department's day
menu, not the main menu. Also the words after booking for someone else and after
joining a waiting list."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from booking_core.appointments import Appointment, Channel, book_appointment
from booking_core.slots import Slot
from booking_core.waiting_list import join_waiting_list
from locales import render, render_count
from locales.formatting import format_date
from tests.fixtures_ivr import CALLER, Phone
from tests.test_ivr_booking import LANG_KEY, reference_from


def _hold(session, slot, phone: str = CALLER, lang: str = "en") -> Appointment:
    return book_appointment(session, slot_id=slot.id, phone=phone, channel=Channel.PORTAL,
                            language=lang)


def _to_day_menu(phone: Phone, lang: str = "en") -> None:
    """Book at Lok Nayak, Orthopaedics, however the call starts (a known caller hears the
    "book again" offer first: "3" is another hospital)."""
    phone.call()
    if phone.gather.get("action", "").split("?")[0].endswith("/ivr/language"):
        phone.press(LANG_KEY[lang])
    phone.press("1")
    if phone.gather.get("action", "").split("?")[0].endswith("/ivr/book/again"):
        phone.press("3")
    phone.speak("LNJP")  # Lok Nayak (its place in the list follows bookings)
    phone.press("1")  # Orthopaedics


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_day_menu_leaves_out_a_day_the_patient_already_holds(
        phone, ivr_world, ivr_session, lang):
    first_day, second_day = ivr_world.slots[0].local_day, ivr_world.slots[2].local_day
    _hold(ivr_session, ivr_world.slots[0], lang=lang)
    _to_day_menu(phone, lang)
    said = phone.said
    assert render(lang, "ivr.book.day_heading") in said
    assert format_date(lang, first_day) not in said
    assert format_date(lang, second_day) in said
    phone.press("1")  # the first day offered: the second day
    phone.press("1")  # 9:00
    phone.press("1")  # confirm
    assert render(lang, "ivr.book.already_booked") not in phone.said
    booked = ivr_session.scalars(select(Appointment).order_by(Appointment.id)).all()
    assert [a.visit_day for a in booked] == [first_day, second_day]


def test_a_day_held_by_someone_else_is_still_offered(phone, ivr_world, ivr_session):
    _hold(ivr_session, ivr_world.slots[0], phone="+919876501234")
    _to_day_menu(phone)
    assert format_date("en", ivr_world.slots[0].local_day) in phone.said


def test_a_refusal_at_confirm_goes_back_to_the_same_departments_days(
        phone, ivr_world, ivr_session):
    """The day was free when offered; the patient booked it elsewhere (the portal)
    before confirming: the caller hears which booking holds it and chooses another day
    at the same hospital and department."""
    _to_day_menu(phone)
    phone.press("1")  # the first day
    phone.press("2")  # 10:00
    assert "Please check" in phone.said
    held = _hold(ivr_session, ivr_world.slots[0])  # meanwhile, 9:00 the same day
    phone.press("1")  # confirm: refused
    said = phone.said
    assert "already has an appointment in this department on that day" in said
    assert held.reference in said.replace(" ", "").replace(",", "")
    assert "Choose a day" in said and "To book an OPD appointment" not in said
    assert format_date("en", ivr_world.slots[0].local_day) not in said
    phone.press("1")  # the second day
    phone.press("1")  # 9:00
    assert "Lok Nayak Hospital, Orthopaedics" in phone.said
    phone.press("1")
    assert "is booked" in phone.said
    assert ivr_session.scalar(select(Appointment.slot_id).where(
        Appointment.reference == reference_from(phone.said))) == ivr_world.slots[2].id


def test_the_refusal_keeps_the_patient_typed_for_someone_else(phone, ivr_world, ivr_session):
    other = "+919876501234"
    _to_day_menu(phone)
    phone.press("1")  # the first day
    phone.press("2")  # 10:00
    phone.press("3")  # someone else
    phone.press("1")
    phone.press("9876501234")
    _hold(ivr_session, ivr_world.slots[0], phone=other)
    phone.press("1")  # confirm: the patient holds that day
    assert "already has an appointment" in phone.said and "Choose a day" in phone.said
    phone.press("1")  # the second day
    phone.press("1")  # 9:00
    assert "mobile number is 9 8 7 6 5, 0 1 2 3 4" in phone.said
    phone.press("1")
    assert "The patient's booking number is" in phone.said
    booked = ivr_session.scalar(select(Appointment).where(
        Appointment.slot_id == ivr_world.slots[2].id))
    assert booked.citizen.phone == other and booked.booked_by_phone == CALLER


def test_every_free_day_held_is_said_and_not_offered_as_a_waiting_list(
        phone, ivr_world, ivr_session):
    _hold(ivr_session, ivr_world.slots[0])
    _hold(ivr_session, ivr_world.slots[2])
    _to_day_menu(phone)
    said = phone.said
    assert render("en", "ivr.book.every_day_held") in said
    assert "waiting list" not in said and "Choose a department" in said


def test_patient_booking_words_in_hindi(phone, ivr_world, ivr_session):
    _to_day_menu(phone, "hi")
    for key in ("1", "1", "3", "1"):  # first day, 9:00, someone else, by mobile
        phone.press(key)
    phone.press("9876501234")
    phone.press("1")
    said = phone.said
    assert "मरीज़ का टोकन नंबर" in said and "मरीज़ का बुकिंग नंबर" in said
    assert "आपका बुकिंग नंबर" not in said and "अपने समय से पहले ओपीडी" in said
    assert "मरीज़ के मोबाइल पर एसएमएस से भेज दिया है, जिसके आख़िरी अंक 1 2 3 4 हैं" in said


@pytest.mark.parametrize(("ahead", "english", "hindi"), [
    (0, "You are first on the list.", "आप सूची में सबसे पहले हैं।"),
    (1, "One person is ahead of you.", "आपसे पहले एक व्यक्ति है।"),
    (2, "2 people are ahead of you.", "आपसे पहले 2 लोग हैं।"),
])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_waiting_list_says_who_is_ahead_in_a_whole_sentence(
        phone, ivr_world, ivr_session, lang, ahead, english, hindi):
    with ivr_session.begin():
        ivr_session.execute(update(Slot).where(Slot.department_id == ivr_world.ortho.id)
                            .values(booked=Slot.capacity))
    first_day = min(s.local_day for s in ivr_world.slots)
    for n in range(ahead):
        join_waiting_list(ivr_session, department_id=ivr_world.ortho.id, day=first_day,
                          phone=f"+91987650123{n}", channel=Channel.PORTAL)
    _to_day_menu(phone, lang)
    said = phone.said
    assert render(lang, "ivr.wait.full", date=format_date(lang, first_day)) in said
    assert "until" not in said and " तक " not in said
    phone.press("1")
    assert (hindi if lang == "hi" else english) in phone.said
    assert ": 0" not in phone.said


def test_the_full_days_sentence_does_not_say_until():
    for lang in ("hi", "en"):
        text = render(lang, "ivr.wait.full", date="D")
        assert "until" not in text and "D तक" not in text
    assert render("en", "ivr.wait.full", date="D").startswith("All days are fully booked.")


# (the hospital's report, what English says, what Hindi says): a count of none is never
# read as "0" after its noun.
BED_CASES = [
    ({"beds": {"general": {"total": 10, "occupied": 10}}},
     "Lok Nayak Hospital: vacant beds: oxygen 24, ICU 3. No general bed is vacant. "
     "2 ICU beds with a ventilator are vacant.",
     "लोक नायक अस्पताल: खाली बेड: ऑक्सीजन 24, आईसीयू 3। कोई सामान्य बेड खाली नहीं है। "
     "वेंटिलेटर वाले 2 आईसीयू बेड खाली हैं।"),
    ({"beds": {"general": {"total": 10, "occupied": 10}, "icu": {"total": 4, "occupied": 4},
               "ventilator": {"total": 5, "occupied": 4}}},
     "Lok Nayak Hospital: vacant beds: oxygen 24. No general or ICU bed is vacant. "
     "1 ICU bed with a ventilator is vacant.",
     "लोक नायक अस्पताल: खाली बेड: ऑक्सीजन 24। कोई सामान्य या आईसीयू बेड खाली नहीं है। "
     "वेंटिलेटर वाला 1 आईसीयू बेड खाली है।"),
    ({"beds": {"general": {"total": 10, "occupied": 10}, "icu": {"total": 4, "occupied": 4},
               "oxygen": {"total": 2, "occupied": 2},
               "ventilator": {"total": 5, "occupied": 5}}},
     "Lok Nayak Hospital: no bed is vacant. No ICU bed with a ventilator is vacant.",
     "लोक नायक अस्पताल: अभी कोई बेड खाली नहीं है। वेंटिलेटर वाला कोई आईसीयू बेड खाली नहीं है।"),
]


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize(("report", "english", "hindi"), BED_CASES)
def test_vacant_beds_and_ventilators_are_separate_sentences(phone, ivr_world, ivr_session,
                                                             lang, report, english, hindi):
    """ICU beds with a ventilator (the ``ventilator`` bed type, as the portal and console
    name it) have a counted sentence of their own (none, one, many), never "ventilators
    are available", which names machines the hospital reports apart; none is said in
    words: the types without a vacant bed in one sentence, a hospital without any said
    to have none."""
    from booking_core.resources import update_resources
    from tests.test_ivr_services import into_menu

    update_resources(ivr_session, ivr_world.lok_nayak.id, report, source="test")
    into_menu(phone, lang, "2")
    phone.press("1")  # one hospital: Lok Nayak by speech
    phone.speak("एलएनजेपी" if lang == "hi" else "LNJP")
    said = phone.said
    assert (hindi if lang == "hi" else english) in said
    assert not re.search(r"[:\s]0\b|[:\s]०", said), said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_hospital_reporting_only_ventilators_says_them_in_one_sentence(lang):
    for free, english, hindi in (
            (0, "H: no ICU bed with a ventilator is vacant.",
             "H: वेंटिलेटर वाला कोई आईसीयू बेड खाली नहीं है।"),
            (1, "H: 1 ICU bed with a ventilator is vacant.",
             "H: वेंटिलेटर वाला 1 आईसीयू बेड खाली है।"),
            (7, "H: 7 ICU beds with a ventilator are vacant.",
             "H: वेंटिलेटर वाले 7 आईसीयू बेड खाली हैं।")):
        assert render_count(lang, "ivr.beds.hospital_ventilators", free, hospital="H") == (
            hindi if lang == "hi" else english)


