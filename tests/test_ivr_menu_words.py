"""What callers hear at the menus' edges: the way back to the other language, a
complaint's status in whole sentences, a hidden number asked for one, and retry hints
that are true where a number is being typed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    Channel,
    book_appointment,
    cancel_appointment,
)
from booking_core.refs import RefKind, new_reference
from grievances.models import Grievance, GrievanceStatus
from grievances.services import register_grievance
from locales import LANGUAGES, catalogs, render
from tests.fixtures_ivr import CALLER, Phone
from tests.test_ivr_rules import after_hours_app
from tests.test_ivr_services import into_menu

# Agent hours with an agent signed in: asking for a person queues the caller.
pytestmark = pytest.mark.usefixtures("agent_signed_in")

HIDDEN = ["anonymous", "+266696687", "client:abc", "", "+9112345"]


def said_in(phone: Phone, language: str) -> list[str]:
    return [s.text or "" for s in phone.says() if s.get("language") == language]


def test_the_main_menu_always_offers_the_other_language(phone, ivr_world):
    """Always, except on the first hearing right after choosing the language at the
    greeting (the key works there too); then after a switch, a wrong key or silence."""
    phone.call()
    phone.press("1")  # Hindi, just chosen: not offered again at once
    assert "ओपीडी अपॉइंटमेंट" in phone.said and said_in(phone, "en-IN") == []
    phone.press("*")  # the same hearing again
    assert said_in(phone, "en-IN") == []
    phone.silence()  # a caller who is lost hears the way to English
    assert said_in(phone, "en-IN") == ["For English, press 8."]
    phone.press("8")  # English now: the way back is said in Hindi
    assert "To book an OPD appointment" in phone.said
    assert said_in(phone, "hi-IN") == ["हिन्दी के लिए 8 दबाएँ।"]
    phone.press("7")  # a wrong key: the retry still offers it
    assert phone.said.startswith("Sorry, that is not one of the choices.")
    assert said_in(phone, "hi-IN") == ["हिन्दी के लिए 8 दबाएँ।"]
    phone.press("8")
    assert "ओपीडी अपॉइंटमेंट" in phone.said
    assert said_in(phone, "en-IN") == ["For English, press 8."]
    phone.silence()
    assert said_in(phone, "en-IN") == ["For English, press 8."]


def test_the_switch_works_before_it_is_said(phone, ivr_world):
    phone.call()
    phone.press("1")  # Hindi; the switch is not said on this hearing
    phone.press("8")
    assert "To book an OPD appointment" in phone.said
    assert said_in(phone, "hi-IN") == ["हिन्दी के लिए 8 दबाएँ।"]


def test_every_grievance_status_has_a_whole_sentence_in_both_languages():
    cats = catalogs()
    for status in GrievanceStatus:
        for lang in LANGUAGES:
            text = cats[lang][f"ivr.status.is_{status.value}"]
            assert text.endswith("." if lang == "en" else "।"), (status, lang)
            assert len(text.split()) >= 3, (status, lang)


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("status", list(GrievanceStatus))
def test_a_complaints_status_is_said_in_a_whole_sentence(phone, ivr_world, ivr_session,
                                                          lang, status):
    grievance = register_grievance(ivr_session, phone=CALLER, category="other", channel="sms",
                                   description="No doctor in OPD", language=lang)
    ivr_session.get(Grievance, grievance.id).status = status
    ivr_session.commit()
    into_menu(phone, lang, "4")
    phone.press("2")
    sentence = render(lang, f"ivr.status.is_{status.value}")
    assert sentence in phone.said
    bare = render(lang, f"grievance.status.{status.value}")
    assert f": {bare}" not in phone.said
    # "2" is announced once, for another complaint by its number.
    another = render(lang, "ivr.status.another", key="2")
    assert another in phone.said
    assert render(lang, "ivr.mine.grievance", key="2") not in phone.said
    phone.press("2")
    assert phone.gather.get("numDigits") == "8"


def _book_for(ivr_session, ivr_world, mobile: str) -> Appointment:
    return book_appointment(ivr_session, slot_id=ivr_world.slots[0].id, phone=mobile,
                            channel=Channel.PORTAL, language="hi")


@pytest.mark.parametrize("hidden", HIDDEN)
def test_a_hidden_number_types_a_booking_number_and_only_hears_it(
        ivr_app, ivr_world, ivr_session, hidden):
    appointment = _book_for(ivr_session, ivr_world, CALLER)
    ivr_session.commit()
    phone = Phone(ivr_app.test_client(), caller=hidden, session=ivr_session)
    phone.call()
    for key in ("1", "4"):
        phone.press(key)
    # A typed number only hears: menu 4 offers no cancelling.
    assert render("hi", "ivr.mine.appointments_hear", key="1") in phone.said
    assert render("hi", "ivr.mine.appointments", key="1") not in phone.said
    phone.press("1")
    assert "इस नंबर से आपका कोई" not in phone.said
    assert phone.said.startswith("हमें आपका नंबर नहीं दिख रहा।")
    assert phone.gather.get("finishOnKey") == "#"
    assert phone.gather.get("numDigits") == "8"
    # A mobile number is not what a hidden caller types: anyone can type anyone's.
    phone.press(CALLER.removeprefix("+91"))
    assert phone.said.startswith(render("hi", "ivr.mine.bad_booking"))
    assert appointment.department.name("hi") not in phone.said
    phone.press(new_reference(RefKind.APPOINTMENT))  # well formed, but nobody's
    assert phone.said.startswith(render("hi", "ivr.mine.booking_not_found"))
    phone.press(appointment.reference)
    # One appointment is said as one: no "appointments", no "appointment 1"; and as
    # the typed number's, never "your" (it may be anyone's).
    assert render("hi", "ivr.mine.heading_typed") in phone.said
    assert render("hi", "ivr.mine.heading_one") not in phone.said
    assert render("hi", "ivr.mine.heading") not in phone.said
    assert "अपॉइंटमेंट 1:" not in phone.said
    assert appointment.department.name("hi") in phone.said
    assert render("hi", "ivr.mine.cancel_own_phone") in phone.said
    assert render("hi", "ivr.mine.pick") not in phone.said
    # The list ends with a way on, and the keys it announces work.
    assert render("hi", "ivr.mine.hear_again", key="स्टार") in phone.said
    assert render("hi", "ivr.mine.hear_list_again", key="स्टार") not in phone.said
    assert render("hi", "ivr.opt.main", key="हैश") in phone.said
    assert phone.gather.get("finishOnKey") == ""
    heard = phone.said
    phone.press("*")
    assert phone.said == heard
    phone.press("1")  # no cancelling someone else's appointment from a typed number
    assert phone.said.startswith(render("hi", "ivr.retry.wrong_key"))
    assert phone.said.count("हैश दबाएँ") == 1 and phone.said.count("स्टार दबाएँ") == 1
    phone.press("#")
    assert phone.gather.get("action").split("?")[0].endswith("/ivr/main")
    status = ivr_session.scalar(select(Appointment.status).where(
        Appointment.id == appointment.id))
    assert status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_known_number_hears_or_cancels_at_menu_four(phone, ivr_world, lang):
    into_menu(phone, lang, "4")
    assert render(lang, "ivr.mine.appointments", key="1") in phone.said
    assert render(lang, "ivr.mine.appointments_hear", key="1") not in phone.said


def test_a_hidden_number_typing_a_cancelled_booking_hears_so(ivr_app, ivr_world, ivr_session):
    appointment = _book_for(ivr_session, ivr_world, CALLER)
    ivr_session.commit()
    cancel_appointment(ivr_session, appointment.reference, phone=CALLER, channel=Channel.PORTAL)
    phone = Phone(ivr_app.test_client(), caller="anonymous", session=ivr_session)
    phone.call()
    for key in ("2", "4", "1"):
        phone.press(key)
    phone.press(appointment.reference)
    assert render("en", "ivr.mine.none_typed") in phone.said
    assert "from this number" not in phone.said
    assert appointment.department.name("en") not in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_number_prompts_hint_at_hearing_the_question_not_choices(phone, ivr_world, lang):
    into_menu(phone, lang, "4")
    phone.press("3")  # an eHealth card number
    phone.silence()
    assert render(lang, "ivr.retry.repeat_number", key=render(lang, "ivr.key.star")) in phone.said
    assert render(lang, "ivr.retry.agent", key="0") in phone.said
    choices = "विकल्प दोबारा" if lang == "hi" else "choices"
    assert choices not in phone.said


def test_zero_at_the_callback_number_goes_back_to_the_offer_as_its_hint_says(
        database_url, ivr_session, ivr_world):
    app = after_hours_app(database_url)
    try:
        phone = Phone(app.test_client(), caller="anonymous", session=ivr_session)
        phone.call()
        phone.press("2")
        phone.press("0")
        offer = phone.said
        assert "Our agents answer calls" in offer
        phone.press("1")
        assert "cannot see your number" in phone.said
        phone.silence()
        assert "To go back to the callback offer, press 0." in phone.said
        assert "choices" not in phone.said and "called back by an agent" not in phone.said
        phone.press("0")
        assert "Our agents answer calls" in phone.said
        assert phone.gather.get("action").split("?")[0].endswith("/ivr/callback")
    finally:
        app.extensions["helpline"].engine.dispose()


def _in_the_queue(phone: Phone, lang: str) -> tuple[str, str]:
    into_menu(phone, lang, "0")
    enqueue = phone.root.find("Enqueue")
    assert enqueue is not None
    return enqueue.get("waitUrl"), enqueue.get("action")


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize(("key", "then"), [("#", "main"), ("9", "emergency")])
def test_a_waiting_caller_can_leave_the_queue_for_the_main_menu_or_the_ambulance(
        phone, ivr_world, ivr_session, lang, key, then):
    wait_url, done_url = _in_the_queue(phone, lang)
    phone.post(wait_url, QueuePosition="3")
    said = phone.said
    for option in ("ivr.opt.emergency", "ivr.queue.callback_key", "ivr.opt.main"):
        spoken = "#" if option == "ivr.opt.main" else "9" if "emergency" in option else "1"
        spoken_key = render(lang, "ivr.key.hash") if spoken == "#" else spoken
        assert render(lang, option, key=spoken_key) in said, (option, said)
    phone.press(key)
    assert phone.verbs() == ["Leave"]  # out of the queue first
    phone.post(done_url, QueueResult="leave", QueueTime="30")
    if then == "main":
        assert render(lang, "ivr.main.book", key="1") in phone.said
        assert phone.gather.get("action").split("?")[0].endswith("/ivr/main")
    else:
        assert phone.root.find("Dial").text == "102"


def test_the_queue_still_offers_a_callback_and_ignores_other_keys(phone, ivr_world):
    wait_url, done_url = _in_the_queue(phone, "en")
    phone.post(wait_url, QueuePosition="2")
    phone.press("5")
    assert phone.said.startswith("Sorry, that is not one of the choices.")
    assert phone.verbs() == ["Gather", "Redirect"]
    phone.press("1")
    assert phone.verbs() == ["Leave"]
    phone.post(done_url, QueueResult="leave", QueueTime="30")
    assert "call you back on the number ending 5 6 7 8" in phone.said


# Before a language is known: both languages, keys that work for either ----------------

def _new_caller(app, ivr_session, caller: str = "+919812300055") -> Phone:
    phone = Phone(app.test_client(), caller=caller, session=ivr_session)
    phone.call()
    assert phone.gather.get("action").split("?")[0].endswith("/ivr/language")
    return phone


def test_a_wrong_key_at_the_greeting_is_apologised_for_in_both_languages(ivr_app, ivr_world,
                                                                        ivr_session):
    phone = _new_caller(ivr_app, ivr_session)
    phone.press("5")
    assert said_in(phone, "hi-IN")[0].startswith("माफ़ कीजिए, यह विकल्प उपलब्ध नहीं है।")
    assert said_in(phone, "en-IN")[0].startswith("Sorry, that is not one of the choices.")


@pytest.mark.parametrize(("english", "key", "lang"), [(False, "1", "hi"), (True, "3", "en")])
def test_zero_at_the_greeting_offers_a_callback_in_both_languages(
        database_url, ivr_session, ivr_world, english, key, lang):
    from contact_centre.models import CallbackRequest

    app = after_hours_app(database_url)
    try:
        phone = _new_caller(app, ivr_session)
        phone.press("0")
        hindi, english_words = said_in(phone, "hi-IN"), said_in(phone, "en-IN")
        assert hindi and english_words, phone.said
        assert "वापस कॉल पाने के लिए 1 दबाएँ।" in hindi[0]
        assert "मुख्य मेनू के लिए 2 दबाएँ।" in hindi[0]
        assert "Our agents answer calls" in english_words[0]
        assert "To be called back, press 3." in english_words[0]
        assert "For the main menu, press 4." in english_words[0]
        phone.press(key)  # the key says the language too
        said = phone.said
        assert said.startswith("धन्यवाद" if lang == "hi" else "Thank you."), said
        assert all(s.get("language") == f"{lang}-IN" for s in phone.says())
        assert ivr_session.scalar(select(CallbackRequest.language)) == lang
    finally:
        app.extensions["helpline"].engine.dispose()


def test_the_main_menu_key_of_a_bilingual_offer_picks_the_language(database_url, ivr_session,
                                                                    ivr_world):
    app = after_hours_app(database_url)
    try:
        phone = _new_caller(app, ivr_session)
        phone.press("0")
        phone.press("4")  # "For the main menu" in the English half
        assert "To book an OPD appointment, press 1." in phone.said
        assert phone.gather.get("action").split("?")[0].endswith("/ivr/main")
    finally:
        app.extensions["helpline"].engine.dispose()


def test_three_wrong_keys_at_the_greeting_give_up_in_both_languages(database_url, ivr_session,
                                                                     ivr_world):
    app = after_hours_app(database_url)
    try:
        phone = _new_caller(app, ivr_session)
        for _ in range(3):
            phone.press("5")
        hindi, english = said_in(phone, "hi-IN"), said_in(phone, "en-IN")
        assert english and english[0].startswith("Let us get you some help."), phone.said
        assert hindi and hindi[0].startswith(render("hi", "ivr.retry.giving_up"))
        assert "To be called back, press 3." in english[0]
        for _ in range(3):  # silence at the offer: goodbye, in both
            phone.silence()
        assert phone.verbs()[-1] == "Hangup"
        assert said_in(phone, "en-IN") == [render("en", "ivr.goodbye")]
        assert said_in(phone, "hi-IN") == [render("hi", "ivr.goodbye")]
    finally:
        app.extensions["helpline"].engine.dispose()


def test_nine_at_the_greeting_reaches_the_ambulance_in_both_languages(ivr_app, ivr_world,
                                                                     ivr_session):
    phone = _new_caller(ivr_app, ivr_session)
    phone.press("9")
    assert phone.root.find("Dial").text == "102"
    assert said_in(phone, "hi-IN") and said_in(phone, "en-IN")


@pytest.mark.parametrize(("key", "lang"), [("1", "hi"), ("2", "en")])
def test_the_queue_before_a_language_is_known_speaks_both_until_a_key_picks_one(
        ivr_app, ivr_world, ivr_session, key, lang):
    """The wait prompt is said in both; its callback key in one half chooses that half's
    language, and the confirmation (the queue's action, its URL set before) is said in
    it alone, as the bilingual callback offer does."""
    from contact_centre.models import CallbackRequest

    phone = _new_caller(ivr_app, ivr_session)
    phone.press("0")  # agents on duty: into the queue
    assert said_in(phone, "hi-IN") and said_in(phone, "en-IN")
    enqueue = phone.root.find("Enqueue")
    phone.post(enqueue.get("waitUrl"), QueuePosition="2")
    hindi, english = said_in(phone, "hi-IN"), said_in(phone, "en-IN")
    assert "वापस कॉल पाने के लिए 1 दबाएँ।" in hindi[0] and "9 दबाएँ" in hindi[0]
    assert "To be called back instead of waiting, press 2." in english[0]
    assert "In an emergency, press 9." in english[0]
    phone.press(key)
    assert phone.verbs() == ["Leave"]
    assert ivr_session.scalar(select(CallbackRequest.language)) == lang
    phone.post(enqueue.get("action"), QueueResult="leave", QueueTime="20")
    assert phone.said.startswith(render(lang, "ivr.callback.confirmed",
                                        last="5 6 7 8")[:10]), phone.said
    assert [s.get("language") for s in phone.says()] == [f"{lang}-IN"], phone.said
    assert "0 0 5 5" in phone.said


def test_the_queue_before_a_language_is_known_goes_to_the_greeting_on_hash(
        ivr_app, ivr_world, ivr_session):
    """``#`` says no language: the way back is the greeting, in both."""
    phone = _new_caller(ivr_app, ivr_session)
    phone.press("0")
    enqueue = phone.root.find("Enqueue")
    phone.post(enqueue.get("waitUrl"), QueuePosition="2")
    assert "For the main menu, press hash." in said_in(phone, "en-IN")[0]
    phone.press("#")
    assert phone.verbs() == ["Leave"]
    phone.post(enqueue.get("action"), QueueResult="leave", QueueTime="20")
    assert phone.gather.get("action").split("?")[0].endswith("/ivr/language")
    assert said_in(phone, "hi-IN") and said_in(phone, "en-IN")


@pytest.mark.parametrize("answer", ["wrong key", "silence", "star"])
def test_a_retry_at_the_greeting_is_a_sorry_and_the_language_choice_only(
        phone, ivr_world, answer):
    """The welcome is said once: a wrong key or silence at the greeting hears a short
    sorry and the choice (``*`` the choice alone), still in Hindi then English, with
    the ambulance's 9 said first and working."""
    from ivr.devphone import heard_text

    phone.call()
    assert render("hi", "ivr.language.welcome") in phone.said
    sorry = {"wrong key": "ivr.retry.wrong_key", "silence": "ivr.retry.silence"}.get(answer)
    if answer == "wrong key":
        phone.press("7")
    elif answer == "silence":
        phone.silence()
    else:
        phone.press("*")
    says = phone.says()
    assert [s.get("language") for s in says] == ["hi-IN", "en-IN"]
    for say, lang, key in zip(says, ("hi", "en"), ("1", "2"), strict=True):
        words = [render(lang, sorry)] if sorry else []
        words += [render(lang, "ivr.opt.emergency", key="9"),
                  render(lang, "ivr.language.choose", key=key)]
        assert heard_text(say) == " ".join(words)
    phone.press("9")
    assert phone.root.find("Dial").text == "102"


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_star_in_the_queue_says_the_wait_again_without_an_apology(ivr_app, lang):
    """In the agent queue, as in every menu, * repeats: the wait prompt again, never
    "that is not one of the choices"; a wrong key still says so."""
    from ivr.devphone import heard_text
    from ivr.flow import step_url
    from tests.fixtures_ivr import Phone

    with ivr_app.test_request_context():
        wait_url = step_url("queue.wait", {"l": lang})
    phone = Phone(ivr_app.test_client())
    phone.post(wait_url, QueuePosition="2")
    first = " ".join(heard_text(s) for s in phone.says())
    action = phone.root.find("Gather").get("action")
    phone.post(action, Digits="*", QueuePosition="2")
    again = " ".join(heard_text(s) for s in phone.says())
    assert again == first, (first, again)
    phone.post(action, Digits="7")
    wrong = " ".join(heard_text(s) for s in phone.says())
    assert wrong.startswith({"en": "Sorry, that is not one of the choices.",
                             "hi": "माफ़ कीजिए, यह विकल्प उपलब्ध नहीं है।"}[lang]), wrong
