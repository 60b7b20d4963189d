"""A time said at the booking's time menu (``book.slot``), in Hindi or English, as Delhi
says it: the offered time it names is taken and said back; a time that is not free is
said to be so; words that are no time get their own "we did not understand that time"."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment
from locales import render
from tests.factories import IST, make_slot
from tests.fixtures_ivr import Phone
from tests.test_ivr_booking import start_booking

HEADING = {"hi": "समय चुनें या बोलकर बताएँ।", "en": "Choose a time, or say it."}
CHECK = {"hi": "जाँच लें:", "en": "Please check:"}
NOT_UNDERSTOOD = {"hi": "माफ़ कीजिए, हम वह समय समझ नहीं पाए।",
                  "en": "Sorry, we did not understand that time."}
DID_YOU_SAY = {"hi": "क्या आपने", "en": "Did you say"}
NOT_FREE = {"hi": "माफ़ कीजिए, शाम 4 बजे का समय खाली नहीं है।",
            "en": "Sorry, there is no free time at 4 pm."}
FOUR_PM = {"hi": "शाम 4 बजे", "en": "4 pm"}
WRONG_KEY = {"hi": render("hi", "ivr.retry.wrong_key"), "en": render("en", "ivr.retry.wrong_key")}
NAME_NOT_UNDERSTOOD = {"hi": "हम वह नाम समझ नहीं पाए", "en": "did not understand that name"}


@pytest.fixture
def times(ivr_world, ivr_session):
    """Orthopaedics at Lok Nayak, on its first day: 9, 10, 11, 11:30, 2 pm (the first
    page) and 3:30 pm (the second), and a noon that is full."""
    day = ivr_world.slots[0].starts_at.astimezone(IST).date()
    for clock in ("11:00", "11:30", "14:00", "15:30"):
        make_slot(ivr_session, ivr_world.ortho, capacity=5,
                  at=dt.datetime.combine(day, dt.time.fromisoformat(clock), IST))
    make_slot(ivr_session, ivr_world.ortho, capacity=1, booked=1,
              at=dt.datetime.combine(day, dt.time(12, 0), IST))
    return day


def to_time_menu(phone: Phone, lang: str) -> None:
    start_booking(phone, lang)
    phone.press("2")  # Lok Nayak
    phone.press("1")  # Orthopaedics
    phone.press("1")  # its first day
    assert HEADING[lang] in phone.said
    assert urlsplit(phone.gather.get("action")).path == "/ivr/book/slot"


def assert_read_back(phone: Phone, lang: str, said_back: str, time: str) -> None:
    """The read-back of the time heard, after "You said ..." of it."""
    heard = {"hi": f"आपने {said_back} कहा।", "en": f"You said {said_back}."}[lang]
    assert phone.said.startswith(heard), phone.said
    assert CHECK[lang] in phone.said and time in phone.said, phone.said
    assert urlsplit(phone.gather.get("action")).path == "/ivr/book/confirm"


@pytest.mark.parametrize(("lang", "words", "said_back", "time"), [
    ("en", "10 am", "10 am", "at 10 am,"),
    ("en", "10 a.m.", "10 am", "at 10 am,"),
    ("en", "ten", "10 am", "at 10 am,"),
    ("en", "eleven o'clock", "11 am", "at 11 am,"),
    ("en", "11 o'clock", "11 am", "at 11 am,"),
    ("en", "half past eleven", "11:30 am", "at 11:30 am,"),
    ("en", "2 p.m.", "2 pm", "at 2 pm,"),
    ("en", "three thirty", "3:30 pm", "at 3:30 pm,"),  # on the second page
    ("hi", "सुबह 10 बजे", "सुबह 10 बजे", "को सुबह 10 बजे,"),
    ("hi", "दस बजे", "सुबह 10 बजे", "को सुबह 10 बजे,"),
    ("hi", "१० बजे", "सुबह 10 बजे", "को सुबह 10 बजे,"),
    ("hi", "ग्यारह बजे", "सुबह 11 बजे", "को सुबह 11 बजे,"),
    ("hi", "साढ़े 11 बजे", "सुबह साढ़े 11 बजे", "को सुबह साढ़े 11 बजे,"),
    ("hi", "दो बजे", "दोपहर 2 बजे", "को दोपहर 2 बजे,"),
    ("hi", "साढ़े तीन", "दोपहर साढ़े 3 बजे", "को दोपहर साढ़े 3 बजे,"),
])
def test_a_spoken_time_that_is_offered_is_taken_and_said_back(phone, times, lang, words,
                                                             said_back, time):
    """"10 am" was heard as 9 am ("did you say 9 am?"), "eleven o'clock" not at all."""
    to_time_menu(phone, lang)
    phone.speak(words)
    assert_read_back(phone, lang, said_back, time)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_time_said_is_the_one_booked(phone, times, ivr_session, ivr_world, lang):
    to_time_menu(phone, lang)
    phone.speak({"hi": "सुबह 10 बजे", "en": "10 am"}[lang])
    phone.press("1")  # confirm
    appointment = ivr_session.scalar(select(Appointment))
    assert appointment is not None, phone.said
    assert appointment.slot_id == ivr_world.slots[1].id  # 10:00, not 9:00
    assert appointment.slot.starts_at.astimezone(IST).time() == dt.time(10, 0)


@pytest.mark.parametrize(("lang", "words", "sentence"), [
    ("en", "4 pm", "Sorry, there is no free time at 4 pm."),
    ("en", "eight o'clock", "Sorry, there is no free time at 8 am."),
    ("en", "12 noon", "Sorry, there is no free time at 12 noon."),  # full
    ("hi", "शाम 4 बजे", "माफ़ कीजिए, शाम 4 बजे का समय खाली नहीं है।"),
    ("hi", "सुबह 9 बजकर 10 मिनट", "माफ़ कीजिए, सुबह 9 बजकर 10 मिनट का समय खाली नहीं है।"),
    ("hi", "बारह बजे", "माफ़ कीजिए, दोपहर 12 बजे का समय खाली नहीं है।"),  # full
])
def test_a_spoken_time_not_offered_is_said_to_be_not_free_and_the_menu_again(
        phone, times, lang, words, sentence):
    to_time_menu(phone, lang)
    phone.speak(words)
    assert phone.said.startswith(sentence), phone.said
    assert HEADING[lang] in phone.said
    assert NAME_NOT_UNDERSTOOD[lang] not in phone.said
    assert urlsplit(phone.gather.get("action")).path == "/ivr/book/slot"


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "tomorrow"), ("en", "ortho"), ("hi", "कल"), ("hi", "हड्डी रोग"),
])
def test_words_that_are_no_time_are_not_understood_as_a_time(phone, times, lang, words):
    to_time_menu(phone, lang)
    phone.speak(words)
    assert phone.said.startswith(NOT_UNDERSTOOD[lang]), phone.said
    assert NAME_NOT_UNDERSTOOD[lang] not in phone.said
    assert HEADING[lang] in phone.said
    assert urlsplit(phone.gather.get("action")).path == "/ivr/book/slot"


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_number_alone_is_the_options_number_with_oclock_a_time(phone, new_phone, times,
                                                                 lang):
    """"two" (the second option, 10 am) keeps choosing by position, as the menu reads
    them out; "two o'clock" is 2 pm."""
    to_time_menu(phone, lang)
    phone.speak({"hi": "दो", "en": "two"}[lang])
    assert CHECK[lang] in phone.said
    assert {"hi": "को सुबह 10 बजे,", "en": "at 10 am,"}[lang] in phone.said, phone.said
    phone = new_phone("+919812300001")
    to_time_menu(phone, lang)
    phone.speak({"hi": "दो बजे", "en": "two o'clock"}[lang])
    assert_read_back(phone, lang, {"hi": "दोपहर 2 बजे", "en": "2 pm"}[lang],
                     {"hi": "को दोपहर 2 बजे,", "en": "at 2 pm,"}[lang])


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_time_heard_unsurely_is_asked_about(phone, times, lang):
    to_time_menu(phone, lang)
    phone.speak({"hi": "सुबह 10 बजे", "en": "10 am"}[lang], confidence="0.3")
    assert phone.said == {"hi": "क्या आपने सुबह 10 बजे कहा? हाँ के लिए 1 दबाएँ। नहीं के लिए 2 दबाएँ।",
                          "en": "Did you say 10 am? For yes, press 1. For no, press 2."}[lang]
    phone.press("1")
    assert CHECK[lang] in phone.said
    assert {"hi": "को सुबह 10 बजे,", "en": "at 10 am,"}[lang] in phone.said, phone.said


@pytest.mark.parametrize(("lang", "words", "said_back", "time"), [
    ("hi", "सुबह 10 बजे सुबह 10 बजे", "सुबह 10 बजे", "को सुबह 10 बजे,"),
    ("hi", "सुबह 10 बजे, सुबह 10 बजे, सुबह 10 बजे", "सुबह 10 बजे", "को सुबह 10 बजे,"),
    ("en", "10 am 10 am", "10 am", "at 10 am,"),
    ("en", "10 am, 10 am, 10 am", "10 am", "at 10 am,"),
])
def test_a_time_said_again_is_that_time(phone, times, lang, words, said_back, time):
    """«सुबह 10 बजे सुबह 10 बजे» was matched by its words: "did you say 9 am?"."""
    to_time_menu(phone, lang)
    phone.speak(words)
    assert_read_back(phone, lang, said_back, time)


@pytest.mark.parametrize(("lang", "words"), [
    # Two numbers made one time: 10:11, said to be not free.
    ("hi", "मुझे सुबह 10 बजे नहीं, 11 बजे चाहिए"), ("hi", "10 या 11 बजे"), ("en", "10 or 11"),
    ("en", "between 10 and 11"), ("en", "not 10, 11"), ("en", "10 11"),
    ("en", "4 December 10 am"),
    # No time, matched by its words to an offered one.
    ("hi", "25 बजे"), ("en", "13 pm"), ("en", "10:75"),
    # Taken as the hour it is relative to.
    ("hi", "11 से पहले"), ("en", "before 11"), ("en", "after 10"), ("hi", "10 बजे के बाद"),
])
def test_speech_that_names_no_single_time_is_not_understood(phone, times, lang, words):
    """Two times, a time and another number, a time before or after another, or digits
    and time words that make no time: "we did not understand that time" and the menu,
    never a time the caller did not say, nor "did you say ...?" of one."""
    to_time_menu(phone, lang)
    phone.speak(words)
    assert phone.said.startswith(NOT_UNDERSTOOD[lang]), phone.said
    assert DID_YOU_SAY[lang] not in phone.said and CHECK[lang] not in phone.said
    assert HEADING[lang] in phone.said
    assert urlsplit(phone.gather.get("action")).path == "/ivr/book/slot"


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_time_that_is_not_free_uses_up_no_try(phone, times, lang):
    """A time that is not free is an answer, not a mistake: three of them used to end
    the call at the agent queue or the callback offer."""
    to_time_menu(phone, lang)
    for _ in range(3):
        phone.speak(FOUR_PM[lang])
        assert phone.said.startswith(NOT_FREE[lang]), phone.said
        assert urlsplit(phone.gather.get("action")).path == "/ivr/book/slot"
    for _ in range(2):  # the menu's tries are all still there
        phone.press("7")
        assert phone.said.startswith(WRONG_KEY[lang]), phone.said
        assert urlsplit(phone.gather.get("action")).path == "/ivr/book/slot"
    phone.speak({"hi": "सुबह 10 बजे", "en": "10 am"}[lang])
    assert_read_back(phone, lang, {"hi": "सुबह 10 बजे", "en": "10 am"}[lang],
                     {"hi": "को सुबह 10 बजे,", "en": "at 10 am,"}[lang])


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_times_that_are_never_free_still_end_at_the_menus_exit(phone, times, lang):
    """Three such answers are free; each one after that counts as a try, so the sixth
    ends at the menu's exit, as three wrong keys do: the menu never loops without end."""
    to_time_menu(phone, lang)
    for answer in range(1, 10):
        phone.speak(FOUR_PM[lang])
        gather = phone.root.find("Gather")
        if gather is None or urlsplit(gather.get("action")).path != "/ivr/book/slot":
            break
        assert phone.said.startswith(NOT_FREE[lang]), (answer, phone.said)
    assert answer == 6, phone.said
    assert phone.said.startswith(render(lang, "ivr.retry.giving_up")), phone.said
