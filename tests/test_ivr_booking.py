"""Booking by phone, walked through the TwiML the app returns, in Hindi and English."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment
from booking_core.citizens import Citizen
from booking_core.idempotency import IdempotencyRecord
from booking_core.outbox import OutboxMessage
from booking_core.refs import is_valid_reference
from booking_core.slots import Slot
from contact_centre.models import Call, CallOutcome
from locales.formatting import format_date
from tests.conftest import PUBLIC_BASE_URL
from tests.fixtures_ivr import CALLER, Phone

LANG_KEY = {"hi": "1", "en": "2"}
WORDS = {
    "hi": {"hospital": "अस्पताल चुनें", "booked": "बुक हो गया", "check": "जाँच लें",
           "time": "सुबह 9 बजे", "filled": "भर गया"},
    "en": {"hospital": "Choose a hospital", "booked": "is booked", "check": "Please check",
           "time": "9 am", "filled": "booked up"},
}
VOICE = {"hi": ("hi-IN", "Polly.Aditi"), "en": ("en-IN", "Polly.Aditi")}


def reference_from(text: str) -> str:
    match = re.search(r"(\d \d \d \d, \d \d \d \d)", text)
    assert match, text
    return match.group(1).replace(" ", "").replace(",", "")


def start_booking(phone: Phone, lang: str) -> None:
    phone.call()
    phone.press(LANG_KEY[lang])
    phone.keys_pressed = 0  # the promise counts keys after the language is chosen
    phone.press("1")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_first_time_caller_books_by_keys_in_at_most_ten_presses(
        phone, ivr_world, ivr_session, lang):
    start_booking(phone, lang)
    gather = phone.gather
    assert gather.get("input") == "dtmf speech"
    assert gather.get("language") == VOICE[lang][0]
    assert gather.get("numDigits") == "1" and gather.get("timeout") == "6"
    assert "LNJP" in gather.get("hints", "") and "लोक नायक अस्पताल" in gather.get("hints", "")
    assert WORDS[lang]["hospital"] in phone.said
    for say in phone.says():
        assert (say.get("language"), say.get("voice")) == VOICE[lang]
    # Hospitals sorted by English name: GTB 1, Lok Nayak 2; five per page, 8 for more.
    assert phone.said.count("8") >= 1
    phone.press("2")  # Lok Nayak
    assert ("हड्डी रोग" if lang == "hi" else "Orthopaedics") in phone.said
    phone.press("1")  # Orthopaedics (first department made)
    phone.press("1")  # the earliest day
    assert WORDS[lang]["time"] in phone.said
    phone.press("1")  # 9:00
    assert WORDS[lang]["check"] in phone.said
    assert ("आपके लिए" if lang == "hi" else "for you") in phone.said
    phone.press("1")  # confirm
    assert WORDS[lang]["booked"] in phone.said
    assert phone.keys_pressed <= 10
    reference = reference_from(phone.said)
    assert is_valid_reference(reference)

    appointment = ivr_session.scalar(select(Appointment))
    assert appointment.reference == reference
    assert appointment.language == lang and appointment.citizen.phone == CALLER
    assert appointment.slot_id == ivr_world.slots[0].id
    sms = ivr_session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "appointment_confirmation")).all()
    assert len(sms) == 1 and reference in sms[0].body and sms[0].language == lang
    call = ivr_session.scalar(select(Call).where(Call.call_sid == phone.call_sid))
    assert call.outcome == CallOutcome.BOOKED and call.language == lang
    assert call.path[:5] == ["language", "main", "book.hospital", "book.department", "book.day"]
    assert "book.done" in call.path

    # The reference is repeatable; silence at the end says goodbye and hangs up.
    phone.press("1")
    assert reference_from(phone.said) == reference
    phone.silence()
    assert phone.verbs()[-1] == "Hangup"


@pytest.mark.parametrize("words", ["लोक नायक", "Lok Nayak", "LNJP"])
def test_a_spoken_hospital_name_picks_it_in_either_script(phone, ivr_world, words):
    start_booking(phone, "hi")
    phone.speak(words)
    assert "लोक नायक अस्पताल" in phone.said and "हड्डी रोग" in phone.said


def test_spoken_department_and_an_unsure_match_is_confirmed(phone, ivr_world):
    start_booking(phone, "en")
    phone.speak("Lok Nayak", confidence="0.3")  # recogniser unsure: confirm first
    assert "Did you say Lok Nayak Hospital?" in phone.said
    phone.press("2")
    assert "Choose a hospital" in phone.said
    phone.speak("Lok Nayak")
    phone.speak("bone")
    assert "Choose a day" in phone.said


def test_unknown_spoken_name_is_retried(phone, ivr_world):
    start_booking(phone, "en")
    phone.speak("Apollo Sarita Vihar")
    assert "did not understand that name" in phone.said
    assert "Choose a hospital" in phone.said


def test_hospitals_are_paged_five_at_a_time(phone, ivr_world):
    start_booking(phone, "en")
    first = phone.said
    assert first.count("press") == 6  # five hospitals and "8 for more"
    assert first.endswith("For more hospitals, press 8.")
    phone.press("8")
    assert "Test Hospital 3" in phone.said and "Lok Nayak" not in phone.said
    # The last page does not promise "more": 8 starts the list again, and says so.
    assert "To hear the list again from the start, press 8." in phone.said
    assert "more hospitals" not in phone.said
    phone.press("8")  # wraps round
    assert "GTB Hospital, press 1" in phone.said


def test_repeat_caller_books_the_next_time_at_the_same_place_with_one_key(
        phone, ivr_world, new_phone, ivr_session):
    start_booking(phone, "en")
    for key in ("2", "1", "1", "1", "1"):
        phone.press(key)
    again = new_phone()
    again.call()
    assert "Welcome back" in again.said  # the language is remembered
    again.press("1")
    # The next free time in the same department on a day they hold no booking there
    # (the first day already has theirs), said whole: one key books it.
    day = format_date("en", ivr_world.slots[2].local_day)
    assert again.said == (
        f"To book again at Lok Nayak Hospital, Orthopaedics, on {day} at 9 am, for "
        "yourself, press 1. For another day or time, press 2. For another hospital or "
        "department, press 3.")
    other = new_phone()
    other.call()
    other.press("1")
    other.press("2")  # another day or time, same department
    assert "Choose a day" in other.said
    third = new_phone()
    third.call()
    third.press("1")
    third.press("3")  # another hospital: their last one is offered first
    # Booked by themselves, the visit still to come: not "where you went".
    assert "For Lok Nayak Hospital, where you booked last time, press 1." in third.said
    third.press("1")
    assert "Orthopaedics" in third.said
    action = again.gather.get("action")
    again.press("1")
    assert "Your appointment is booked" in again.said
    reference = reference_from(again.said)
    again.post(action, Digits="1")  # Twilio delivers the same "1" twice: one booking
    assert reference_from(again.said) == reference
    ivr_session.rollback()
    booked = ivr_session.scalars(select(Appointment).order_by(Appointment.id)).all()
    assert [a.slot_id for a in booked] == [ivr_world.slots[0].id, ivr_world.slots[2].id]


def test_slot_that_fills_while_listening_offers_the_next_one(phone, ivr_world, ivr_session):
    start_booking(phone, "en")
    for key in ("2", "1", "1", "1"):
        phone.press(key)
    assert "Please check" in phone.said
    first = ivr_world.slots[0]
    with ivr_session.begin():
        ivr_session.execute(Slot.__table__.update().where(Slot.id == first.id).values(
            booked=first.capacity))
    phone.press("1")
    assert "booked up" in phone.said and "10 am" in phone.said
    assert ivr_session.scalar(select(func.count()).select_from(Appointment)) == 0
    phone.press("1")
    assert "is booked" in phone.said
    booked = ivr_session.scalar(select(Appointment))
    assert booked.slot_id == ivr_world.slots[1].id


def test_a_duplicated_confirm_webhook_books_once(phone, ivr_world, ivr_session):
    start_booking(phone, "en")
    for key in ("2", "1", "1", "1"):
        phone.press(key)
    action = phone.gather.get("action")
    phone.press("1")
    first = reference_from(phone.said)
    phone.post(action, Digits="1")  # Twilio retries the same request
    assert reference_from(phone.said) == first
    assert ivr_session.scalar(select(func.count()).select_from(Appointment)) == 1
    assert ivr_session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    assert ivr_session.scalar(select(Slot.booked).where(Slot.id == ivr_world.slots[0].id)) == 1


def test_booking_for_another_mobile_and_by_abha(phone, ivr_world, ivr_session):
    start_booking(phone, "en")
    for key in ("2", "1", "1", "1"):
        phone.press(key)
    phone.press("3")  # someone else
    phone.press("1")
    # Up to 14 keys: 0091 and ten digits is how some callers type a mobile.
    assert phone.gather.get("numDigits") == "14" and phone.gather.get("finishOnKey") == "#"
    phone.press("12345")
    assert "not a valid mobile number" in phone.said
    phone.press("9876501234")
    # Typed for someone else: read back whole, five and five.
    assert "mobile number is 9 8 7 6 5, 0 1 2 3 4" in phone.said
    slow = phone.gather.find("Say/prosody")
    assert [e.text for e in slow.iter("say-as")] == ["98765", "01234"]
    phone.press("1")
    appointment = ivr_session.scalar(select(Appointment))
    assert appointment.citizen.phone == "+919876501234"
    assert appointment.booked_by_phone == CALLER
    # The caller hears where the SMS went; the patient's SMS says it was booked for them.
    assert "to the patient's mobile, the number ending 1 2 3 4" in phone.said
    # It is the patient's booking, not the caller's.
    assert "The patient's token number is" in phone.said
    assert "The patient's booking number is" in phone.said
    assert "Your booking number" not in phone.said and "before your time" not in phone.said
    assert "the patient should show this number" in phone.said
    phone.press("1")  # hear it again
    assert phone.said.startswith("The patient's booking number is")
    sms = ivr_session.scalar(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment.id,
        OutboxMessage.template.in_(["appointment_confirmation", "appointment_booked_for_you"])))
    assert sms.to_phone == "+919876501234" and sms.template == "appointment_booked_for_you"
    # In Hindi, the default while the patient's own language is unknown: the caller's
    # English is not theirs.
    assert "फ़ोन से आपकी बुकिंग" in sms.body and "रद्द" in sms.body
    assert "हड्डी रोग" in sms.body and "कॉल करें" in sms.body

    phone.press("#")  # main menu
    phone.press("1")
    for key in ("2", "1", "2", "1"):  # second day's 9:00 slot
        phone.press(key)
    phone.press("3")
    phone.press("2")
    phone.press("1234")
    assert "14 digits" in phone.said
    phone.press("12345678901234")
    assert "ABHA number ends in 1 2 3 4" in phone.said
    phone.press("1")
    assert "is booked" in phone.said
    # Still the patient's booking, though its SMS came to the caller's own phone.
    assert "The patient's booking number is" in phone.said
    assert "We have sent it to you by SMS." in phone.said
    assert "Your booking number" not in phone.said and "before your time" not in phone.said
    # The ABHA number was given for someone else: kept on the appointment, never merged
    # into the caller's own record.
    assert ivr_session.scalar(select(Citizen).where(
        Citizen.abha_number == "12345678901234")) is None
    booked = ivr_session.scalar(select(Appointment).where(
        Appointment.abha_number == "12345678901234"))
    assert booked is not None and booked.citizen.phone == CALLER


def test_change_menu_goes_back_to_the_day(phone, ivr_world):
    start_booking(phone, "hi")
    for key in ("2", "1", "1", "1"):
        phone.press(key)
    phone.press("2")
    assert "दिन और समय बदलने के लिए 3 दबाएँ" in phone.said
    phone.press("3")
    assert "दिन चुनें।" in phone.said


def test_department_without_seats_says_so(phone, ivr_world):
    start_booking(phone, "en")
    phone.press("2")
    phone.press("2")  # General Medicine sits a weekly OPD but has no slots
    assert "no appointments left" in phone.said and "Choose a department" in phone.said


def test_gather_actions_are_signed_public_urls(phone, ivr_world):
    start_booking(phone, "en")
    action = phone.gather.get("action")
    assert action.startswith(PUBLIC_BASE_URL + "/ivr/pick/hospital?s=")
    tampered = action[:-3] + ("AAA" if not action.endswith("AAA") else "BBB")
    phone.post(tampered, Digits="2")
    # A forged state is not trusted: the caller starts again from the top (in the
    # language they chose, now remembered), and nothing was chosen for them.
    assert "Welcome back" in phone.said and "Orthopaedics" not in phone.said



def test_the_same_idempotency_key_books_and_registers_once(ivr_session, ivr_world):
    """The use case claims, acts and records in one transaction: a repeat with the same
    key returns what the first made, and a refused request claims nothing."""
    from booking_core.appointments import Channel, SlotFull, book_appointment
    from grievances.models import Grievance
    from grievances.services import register_grievance

    slot = ivr_world.slots[0]
    args = dict(slot_id=slot.id, phone=CALLER, channel=Channel.IVR,
                idempotency_key="ivr:CA1:book:aa", requested_by="CA1")
    first = book_appointment(ivr_session, **args)
    again = book_appointment(ivr_session, **args)
    assert again.id == first.id
    assert ivr_session.scalar(select(Slot.booked).where(Slot.id == slot.id)) == 1
    record = ivr_session.scalar(select(IdempotencyRecord))
    assert record.result == first.reference and record.owner == "CA1"

    full = ivr_world.slots[2]
    ivr_session.rollback()
    with ivr_session.begin():
        ivr_session.execute(Slot.__table__.update().where(Slot.id == full.id).values(
            booked=full.capacity))
    with pytest.raises(SlotFull):
        book_appointment(ivr_session, slot_id=full.id, phone="+919812300041",
                         channel=Channel.IVR, idempotency_key="ivr:CA1:book:bb")
    assert ivr_session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1

    grievance_args = dict(phone=CALLER, category="other", channel="ivr", recording_sid="RE1",
                          recording_url="https://api.twilio.com/Recordings/RE1",
                          recording_seconds=5, idempotency_key="ivr:CA1:grievance:RE1")
    one = register_grievance(ivr_session, **grievance_args)
    two = register_grievance(ivr_session, **grievance_args)
    assert one.id == two.id
    assert ivr_session.scalar(select(func.count()).select_from(Grievance)) == 1


def test_a_failed_call_log_write_never_hides_a_booking(phone, ivr_world, ivr_session,
                                                       monkeypatch):
    from sqlalchemy.exc import OperationalError

    import ivr.flow

    def broken(*args, **kwargs):
        raise OperationalError("UPDATE call", {}, Exception("disk full"))

    start_booking(phone, "en")
    for key in ("2", "1", "1", "1"):
        phone.press(key)
    monkeypatch.setattr(ivr.flow, "write_notes", broken)
    phone.press("1")
    assert "is booked" in phone.said and "technical problem" not in phone.said
    assert reference_from(phone.said) == ivr_session.scalar(select(Appointment.reference))


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_booking_number_is_read_twice_slowly_and_again_alone(phone, ivr_world, lang):
    start_booking(phone, lang)
    for key in ("2", "1", "1", "1", "1"):
        phone.press(key)
    reference = reference_from(phone.said)
    said = phone.said
    name = {"hi": "बुकिंग नंबर", "en": "booking number"}[lang]
    spaced = f"{' '.join(reference[:4])}, {' '.join(reference[4:])}"
    assert name in said and said.count(spaced) == 2
    assert ("ओपीडी रजिस्ट्रेशन काउंटर" if lang == "hi" else "OPD registration counter") in said
    assert "संदर्भ" not in said and "reference" not in said
    say = phone.gather.find("Say")
    slow = say.find("prosody")
    assert slow is not None and slow.get("rate") == "slow"
    assert [e.text for e in slow.iter("say-as")] == [reference[:4], reference[4:]]
    assert all(e.get("interpret-as") == "digits" for e in slow.iter("say-as"))
    assert slow.find("break") is not None
    phone.press("1")  # hear again: the number only
    assert phone.said.startswith({"hi": "आपका बुकिंग नंबर", "en": "Your booking number"}[lang])
    assert phone.said.count(spaced) == 1 and "token" not in phone.said


def test_hospitals_most_booked_are_offered_first_from_the_next_day(ivr_session, ivr_world):
    import datetime as dt

    from booking_core.appointments import Channel, book_appointment
    from booking_core.demand import hospitals_by_demand
    from tests.factories import IST, make_slot

    def first_two(days_on: int = 0) -> list[str]:
        now = dt.datetime.now(dt.UTC) + dt.timedelta(days=days_on)
        return [h.code for h in hospitals_by_demand(ivr_session, now=now)][:2]

    assert first_two() == ["GTB", "LNH"]  # no bookings yet: the order they were added
    day = (dt.datetime.now(IST) + dt.timedelta(days=3)).date()
    slot = make_slot(ivr_session, ivr_world.medicine,
                     at=dt.datetime.combine(day, dt.time(9, 0), IST), capacity=5)
    book_appointment(ivr_session, slot_id=slot.id, phone=CALLER, channel=Channel.PORTAL)
    assert first_two() == ["GTB", "LNH"]  # today's bookings count from tomorrow
    assert first_two(days_on=1) == ["LNH", "GTB"]
    assert first_two(days_on=29) == ["GTB", "LNH"]  # and for 28 days


@pytest.mark.parametrize("words", ["L N J P", "L.N.J.P.", "एल एन जे पी", "two", "दो",
                                   "number two"])
def test_a_spelt_acronym_or_the_options_number_said_aloud_picks_it(phone, ivr_world, words):
    start_booking(phone, "hi")
    phone.speak(words)
    assert "लोक नायक अस्पताल" in phone.said and "हड्डी रोग" in phone.said


@pytest.mark.parametrize(("lang", "hospital", "department", "heard"), [
    ("en", "LNJP", "bone", ("Lok Nayak Hospital.", "You said Orthopaedics.")),
    ("hi", "लोक नायक", "हड्डी", ("लोक नायक अस्पताल।", "आपने हड्डी रोग कहा।")),
])
def test_a_name_taken_from_speech_is_said_back_first(phone, ivr_world, lang, hospital,
                                                    department, heard):
    """On a noisy line a name the recogniser was sure of is taken without asking, and
    the next prompt begins by saying what was understood ("bones doctor" became
    Orthopaedics silently before); a hospital is named by the department menu itself,
    once; a key chooses without it."""
    start_booking(phone, lang)
    phone.speak(hospital)
    assert phone.said.startswith(heard[0]) and phone.said.count(heard[0][:-1]) == 1, (
        phone.said)
    phone.speak(department)
    assert phone.said.startswith(heard[1]), phone.said
    phone.press("*")  # the day menu again: what was heard is not said again
    assert not phone.said.startswith(heard[1]), phone.said
