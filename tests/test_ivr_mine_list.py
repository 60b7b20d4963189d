"""Menu 4 then 1, whatever the caller's list holds: a day said as the booking read-back
says it («आज», «कल»), a heading that introduces what follows it, and the list's ways on
(hear it again, the main menu) after appointments whose time began, a skipped or passed
token's "go to the counter", or items to cancel, never menu 4 again or silence."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ivr.devphone import heard_text
from locales import render
from locales.formatting import format_date, spoken_day
from tests.fixtures_ivr import CALLER
from tests.opd_factories import book, booking_time, opd_morning, opd_today
from tests.test_cancel_offer import begin
from tests.test_ivr_services import into_menu
from tests.test_opd_skipped import SKIPPED, passed_patient, skipped_patient

HASH = {"en": "hash", "hi": "हैश"}
STAR = {"en": "star", "hi": "स्टार"}
WRONG_KEY = {"en": "Sorry, that is not one of the choices.",
             "hi": "माफ़ कीजिए, यह विकल्प उपलब्ध नहीं है।"}


def ways_on(lang: str) -> list[str]:
    return [render(lang, "ivr.mine.hear_again", key=STAR[lang]),
            render(lang, "ivr.opt.main", key=HASH[lang])]


def assert_list_with_ways_on(phone, lang: str) -> str:
    """The list's own gather (not menu 4's) announcing hear-again and the main menu;
    ``*`` says it again, ``#`` reaches the main menu."""
    said = phone.said
    assert phone.gather.get("action", "").split("?")[0].endswith("/ivr/mine/appointments"), said
    for sentence in ways_on(lang):
        assert sentence in said, (sentence, said)
    assert render(lang, "ivr.mine.appointments", key="1") not in said
    action = phone.gather.get("action")
    phone.press("*")
    assert phone.said == said
    phone.post(action, Digits="#")
    assert phone.gather.get("action", "").split("?")[0].endswith("/ivr/main")
    return said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_an_appointment_today_is_said_today_as_the_read_back_says(phone, ivr_session, lang):
    slot = opd_today(ivr_session).slots[0]
    today = book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
    later = book(ivr_session, opd_morning(ivr_session).slots[0], phone=CALLER, language=lang)
    weekday = format_date(lang, today.visit_day)
    # Two days ahead in UTC: tomorrow or the day after in Delhi, by the clock.
    delhi_today = dt.datetime.now(ZoneInfo("Asia/Kolkata")).date()
    later_day = spoken_day(lang, later.visit_day, delhi_today)
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    assert render(lang, "day.today") in said
    assert weekday not in said
    assert later_day in said  # two days ahead: its weekday and date
    phone.press("1")  # the cancel question names the day the same way
    assert render(lang, "day.today") in phone.said and weekday not in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_only_an_appointment_whose_time_began_has_ways_on(phone, ivr_session, lang):
    slot = opd_today(ivr_session).slots[0]
    book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
    begin(ivr_session, slot)
    into_menu(phone, lang, "4")
    phone.press("1")
    said = assert_list_with_ways_on(phone, lang)
    # Nothing still to come: no heading for what is not there.
    assert render(lang, "ivr.mine.heading") not in said
    assert render(lang, "ivr.mine.pick") not in said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_skipped_patient_hears_the_counter_then_the_ways_on_not_menu_four(
        phone, ivr_session, lang):
    skipped_patient(ivr_session, CALLER, lang)
    into_menu(phone, lang, "4")
    phone.press("1")
    said = assert_list_with_ways_on(phone, lang)
    assert SKIPPED[lang] in said


def test_a_passed_patient_hears_the_counter_then_the_ways_on(phone, ivr_session):
    reference = passed_patient(ivr_session, CALLER)
    assert reference
    into_menu(phone, "hi", "4")  # booked in Hindi: the caller's language
    phone.press("1")
    said = assert_list_with_ways_on(phone, "hi")
    assert "हाज़िरी लगवाएँ" in said


def test_items_to_cancel_keep_their_keys_and_say_the_ways_on(phone, ivr_session):
    book(ivr_session, opd_morning(ivr_session).slots[0], phone=CALLER, language="en")
    into_menu(phone, "en", "4")
    phone.press("1")
    said = phone.said
    # One appointment is said as one, and its key as "press 1", not "its number".
    assert render("en", "ivr.mine.heading_one") in said
    assert render("en", "ivr.mine.pick_one", key="1") in said
    assert "Number 1:" not in said and render("en", "ivr.mine.pick") not in said
    for sentence in ways_on("en"):
        assert sentence in said
    # A wrong key's retry says each way on once (the hints, not the list's own line).
    phone.press("7")
    texts = " ".join(heard_text(s) for s in phone.says())
    assert texts.startswith(WRONG_KEY["en"])
    assert texts.count("press star") == 1 and texts.count("press hash") == 1, texts


COUNTER = {"en": "OPD registration counter", "hi": "रजिस्ट्रेशन काउंटर"}


def test_a_passed_patient_whose_time_began_hears_the_counter_once(phone, ivr_session):
    """Today's words already send the patient to the counter to check in: the begun
    appointment's own sentence then only says it can no longer be cancelled."""
    from booking_core.appointments import Appointment

    reference = passed_patient(ivr_session, CALLER)
    appointment = ivr_session.scalar(select(Appointment).where(Appointment.reference == reference))
    begin(ivr_session, appointment.slot)
    into_menu(phone, "hi", "4")  # booked in Hindi: the caller's language
    phone.press("1")
    said = phone.said
    assert said.count(COUNTER["hi"]) == 1, said
    assert "हाज़िरी लगवाएँ" in said
    assert render("hi", "ivr.mine.heading") not in said  # nothing left to cancel


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_an_appointment_that_began_still_hears_the_counter_once(phone, ivr_session, lang):
    """No words of today's queue for it (not yet called, not passed): its own sentence
    says where to go."""
    slot = opd_today(ivr_session).slots[0]
    book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
    begin(ivr_session, slot)
    into_menu(phone, lang, "4")
    phone.press("1")
    assert phone.said.count(COUNTER[lang]) == 1, phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_keys_number_only_what_can_be_cancelled(phone, ivr_session, lang):
    """An appointment whose time began is said without a key; the ones to come are
    1 and 2 (not 2 and 3), and 1 cancels the first of them."""
    slot = opd_today(ivr_session).slots[0]
    began = book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
    begin(ivr_session, slot)
    to_come = [book(ivr_session, opd_morning(ivr_session).slots[0], phone=CALLER, language=lang)
               for _ in range(2)]
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    number = {"en": "Number {}:", "hi": "नंबर {}"}[lang]
    assert number.format(1) in said and number.format(2) in said, said
    assert number.format(3) not in said, said
    phone.press("1")  # the first to come: asked to cancel it
    phone.press("1")  # yes
    ivr_session.expire_all()
    assert began.status.value == "booked"
    assert sorted(a.status.value for a in to_come) == ["booked", "cancelled"]


CHECK_IN_FIRST = {"en": "Please check in at the OPD registration counter first",
                  "hi": "पहले ओपीडी रजिस्ट्रेशन काउंटर पर हाज़िरी लगवाएँ"}


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("checked_in", [False, True])
def test_a_begun_appointment_today_is_named_once(phone, ivr_session, lang, checked_in):
    """Today's queue words name the hospital, the department and the token; the list
    does not read the same appointment again (it has no key: one sentence says why). A
    patient not yet checked in hears to check in first; one checked in does not (and
    is past cancelling: no word of it)."""
    from booking_core.opd_day import check_in
    from tests.opd_factories import QR_KEY

    today = opd_today(ivr_session)
    slot = today.slots[0]
    booked = book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang)
    begin(ivr_session, slot)
    if checked_in:
        check_in(ivr_session, booked.reference, hospital_id=today.hospital.id,
                 department_id=today.department.id, key=QR_KEY)
    ivr_session.commit()
    hospital = booked.hospital.short_name(lang)
    department = booked.department.name(lang)
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    assert said.count(hospital) == 1 and said.count(department) == 1, said
    # booked and begun: why it has no key; checked in: not on the list of bookings at all
    assert said.count(render(lang, "ivr.mine.begun_today")) == (0 if checked_in else 1), said
    assert (CHECK_IN_FIRST[lang] in said) is not checked_in, said
    assert said.count(COUNTER[lang]) == (0 if checked_in else 1), said
    assert render(lang, "ivr.mine.heading") not in said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_two_appointments_are_numbered_and_one_is_not(phone, ivr_session, lang):
    """A list of two says "appointments", numbers them and asks for a number; the same
    list after one is cancelled says the other as one, with "press 1"."""
    first = book(ivr_session, opd_morning(ivr_session).slots[0], phone=CALLER, language=lang)
    book(ivr_session, opd_morning(ivr_session).slots[0], phone=CALLER, language=lang)
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    number = {"en": "Number {}:", "hi": "नंबर {}:"}[lang]
    assert render(lang, "ivr.mine.heading") in said
    assert number.format(1) in said and number.format(2) in said, said
    assert render(lang, "ivr.mine.pick") in said
    # Two were read: "hear them again" («इन्हें»), never "this" («इसे»).
    assert render(lang, "ivr.mine.hear_list_again", key=STAR[lang]) in said, said
    assert render(lang, "ivr.mine.hear_again", key=STAR[lang]) not in said, said
    from booking_core.appointments import Channel, cancel_appointment

    cancel_appointment(ivr_session, first.reference, channel=Channel.PORTAL)
    ivr_session.commit()
    phone.press("*")
    said = phone.said
    assert render(lang, "ivr.mine.heading_one") in said
    assert number.format(1) not in said, said
    assert render(lang, "ivr.mine.pick_one", key="1") in said
    assert render(lang, "ivr.mine.hear_again", key=STAR[lang]) in said, said
