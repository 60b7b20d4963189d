"""Menus 2, 3 and 4 by phone: beds, grievances, my appointments and grievance status."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, AppointmentStatus, Channel, book_appointment
from booking_core.base import utcnow
from booking_core.outbox import OutboxMessage
from booking_core.refs import damm_digit
from booking_core.resources import BedCount
from contact_centre.models import Call, CallOutcome
from grievances.models import Grievance, GrievanceCategory
from grievances.services import register_grievance
from locales import render
from tests.factories import make_slot
from tests.fixtures_ivr import CALLER
from tests.test_ivr_booking import LANG_KEY, reference_from

# Agent hours with an agent signed in: asking for a person queues the caller.
pytestmark = pytest.mark.usefixtures("agent_signed_in")


def into_menu(phone, lang: str, key: str) -> None:
    phone.call()
    if phone.gather.get("action", "").split("?")[0].endswith("/ivr/language"):
        phone.press(LANG_KEY[lang])  # a known caller goes straight to the main menu
    phone.press(key)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_beds_for_one_hospital_by_speech(phone, ivr_world, ivr_session, lang):
    into_menu(phone, lang, "2")
    phone.press("1")
    phone.speak("एलएनजेपी" if lang == "hi" else "LNJP")
    said = phone.said
    if lang == "hi":
        # ICU beds with a ventilator: a sentence of their own.
        assert ("लोक नायक अस्पताल: खाली बेड: सामान्य 40, ऑक्सीजन 24, आईसीयू 3। "
                "वेंटिलेटर वाले 2 आईसीयू बेड खाली हैं।") in said
        assert "पहले अपडेट" in said and "पुराने" not in said
    else:
        assert ("Lok Nayak Hospital: vacant beds: general 40, oxygen 24, ICU 3. "
                "2 ICU beds with a ventilator are vacant.") in said
        assert "Updated 1 minute ago" in said and "old" not in said
    call = ivr_session.scalar(select(Call).where(Call.call_sid == phone.call_sid))
    assert call.outcome == CallOutcome.INFORMATION
    assert "beds.hospital" in call.path and "beds.result" in call.path
    phone.press("1")  # another hospital
    assert phone.gather.get("numDigits") == "1"


def test_stale_bed_figures_are_said_to_be_old(phone, ivr_world, ivr_session):
    with ivr_session.begin():
        ivr_session.execute(BedCount.__table__.update().values(
            updated_at=utcnow() - dt.timedelta(hours=9)))
    into_menu(phone, "en", "2")
    phone.press("2")  # by district
    assert "Choose a district" in phone.said and "Central" in phone.said
    phone.speak("Central")
    assert "Updated 9 hours ago" in phone.said
    assert "These figures are old and may have changed." in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_register_a_grievance_with_a_recording(phone, ivr_world, ivr_session, lang):
    into_menu(phone, lang, "3")
    assert ("साफ़-सफ़ाई की शिकायत के लिए 3 दबाएँ" if lang == "hi"
            else "For cleanliness, press 3") in phone.said
    phone.press("3")  # cleanliness
    assert "7" in phone.said  # "not about one hospital"
    phone.press("2")  # Lok Nayak
    record = phone.root.find("Record")
    assert record is not None
    assert record.get("maxLength") == "120" and record.get("finishOnKey") == "#"
    assert phone.verbs()[-1] == "Redirect"  # an empty recording skips the action
    phone.silence()
    assert ("एक बार फिर" if lang == "hi" else "try once more") in phone.said
    phone.record(seconds=0)  # empty again, through the action this time
    assert phone.root.find("Enqueue") is not None  # twice empty: to an agent
    assert ivr_session.scalar(select(func.count()).select_from(Grievance)) == 0

    into_menu(phone, lang, "3")
    phone.press("3")
    phone.press("2")
    phone.record(seconds=12, sid="RE" + "a" * 32)
    reference = reference_from(phone.said)
    grievance = ivr_session.scalar(select(Grievance))
    assert grievance.reference == reference and grievance.reference[0] in "6789"
    assert grievance.category == GrievanceCategory.CLEANLINESS
    assert grievance.hospital_id == ivr_world.lok_nayak.id
    assert grievance.recording_sid == "RE" + "a" * 32 and grievance.recording_seconds == 12
    assert grievance.recording_url.endswith("a" * 32) and grievance.language == lang
    sms = ivr_session.scalar(select(OutboxMessage).where(
        OutboxMessage.template == "grievance_registered"))
    assert sms is not None and reference in sms.body
    call = ivr_session.scalar(select(Call).where(Call.call_sid == phone.call_sid))
    assert call.outcome == CallOutcome.GRIEVANCE

    # Twilio retrying the recording's action registers nothing twice.
    phone.post(phone.last_url, RecordingSid="RE" + "a" * 32, RecordingDuration="12",
               RecordingUrl="https://api.twilio.com/Recordings/x")
    assert ivr_session.scalar(select(func.count()).select_from(Grievance)) == 1


def test_grievance_not_about_a_hospital(phone, ivr_world, ivr_session):
    into_menu(phone, "en", "3")
    phone.press("5")
    phone.press("7")
    phone.record()
    assert "Your complaint is registered" in phone.said
    assert ivr_session.scalar(select(Grievance.hospital_id)) is None


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_grievance_status_catches_a_wrong_check_digit(phone, ivr_world, ivr_session, lang):
    """Typed from a phone that did not file it: the number is checked, and the status is
    all that is told."""
    grievance = register_grievance(ivr_session, phone="+919812300077", category="other",
                                   channel="sms", description="No doctor in OPD",
                                   language=lang)
    ref = grievance.reference
    wrong = ref[:-1] + str((int(ref[-1]) + 1) % 10)
    assert damm_digit(wrong) != 0
    into_menu(phone, lang, "4")
    phone.press("2")
    assert phone.gather.get("numDigits") == "8" and phone.gather.get("timeout") == "10"
    phone.press(wrong)
    assert ("सही नहीं" if lang == "hi" else "is not right") in phone.said
    # The refusal and the question that follows it ask politely once, not twice.
    assert phone.said.count("कृपया" if lang == "hi" else "Please") <= 1, phone.said
    assert phone.gather.get("numDigits") == "8"
    phone.press(ref)
    # A whole sentence that is true whoever typed the number ("this complaint").
    status = render(lang, "ivr.status.is_registered")
    assert status.startswith("यह शिकायत" if lang == "hi" else "It is registered")
    assert status in phone.said and " ".join(ref[:4]) in phone.said
    call = ivr_session.scalar(select(Call).where(Call.call_sid == phone.call_sid))
    assert call.outcome == CallOutcome.INFORMATION


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_phone_that_filed_a_complaint_hears_its_status_without_typing(
        phone, ivr_world, ivr_session, lang):
    from grievances.workflow import reply_to_citizen

    grievance = register_grievance(ivr_session, phone=CALLER, category="other", channel="ivr",
                                   description="No doctor in OPD", language=lang,
                                   hospital_id=ivr_world.lok_nayak.id)
    reply_to_citizen(ivr_session, grievance.id, "action", actor="agent")
    into_menu(phone, lang, "4")
    phone.press("2")
    assert " ".join(grievance.reference[:4]) in phone.said
    reply = "अस्पताल इस पर कार्रवाई कर रहा है" if lang == "hi" else "taking action"
    assert reply in phone.said
    phone.press("2")  # another complaint: now by its number
    assert phone.gather.get("numDigits") == "8"
    other = new_grievance_elsewhere(ivr_session, lang)
    reply_to_citizen(ivr_session, other.id, "action", actor="agent")
    phone.press(other.reference)
    assert " ".join(other.reference[:4]) in phone.said
    assert reply not in phone.said  # typed from a phone that did not file it: status only


def new_grievance_elsewhere(session, lang):
    return register_grievance(session, phone="+919812300077", category="other", channel="sms",
                              description="Dirty ward", language=lang)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_hear_and_cancel_an_appointment(phone, ivr_world, ivr_session, lang):
    appointment = book_appointment(ivr_session, slot_id=ivr_world.slots[2].id, phone=CALLER,
                                   channel=Channel.PORTAL, language=lang)
    into_menu(phone, lang, "4")
    phone.press("1")
    assert ("हड्डी रोग" if lang == "hi" else "Orthopaedics") in phone.said
    assert ("को सुबह 9 बजे" if lang == "hi" else "at 9 am") in phone.said
    phone.press("1")
    phone.press("2")  # keep it
    ivr_session.refresh(appointment)
    assert appointment.status == AppointmentStatus.BOOKED
    phone.press("1")
    phone.press("1")  # cancel it
    assert ("रद्द कर दिया" if lang == "hi" else "is cancelled") in phone.said
    ivr_session.refresh(appointment)
    assert appointment.status == AppointmentStatus.CANCELLED
    assert ivr_session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template == "appointment_cancelled")) == 1
    call = ivr_session.scalar(select(Call).where(Call.call_sid == phone.call_sid))
    assert call.outcome == CallOutcome.CANCELLED


def test_no_appointments_is_said(phone, ivr_world, ivr_session):
    into_menu(phone, "en", "4")
    phone.press("1")
    assert "no upcoming appointments" in phone.said
    assert ivr_session.scalar(select(func.count()).select_from(Appointment)) == 0


@pytest.mark.parametrize(("lang", "hospital", "beds_age", "status_age"), [
    ("en", "LNJP", "Updated 1 day ago.", "Last updated 2 days ago."),
    ("hi", "एलएनजेपी", "1 दिन पहले अपडेट किया गया।", "आख़िरी अपडेट 2 दिन पहले हुआ।"),
])
def test_ages_of_a_day_or_more_are_said_in_days(phone, ivr_world, ivr_session, lang,
                                                hospital, beds_age, status_age):
    """Bed figures 26 hours old are "1 day" old, a complaint untouched for 48 hours
    "2 days": never "26 hours"."""
    grievance = register_grievance(ivr_session, phone=CALLER, category="other",
                                   channel="sms", description="No doctor in OPD",
                                   language=lang, hospital_id=ivr_world.lok_nayak.id)
    with ivr_session.begin():
        ivr_session.execute(BedCount.__table__.update().values(
            updated_at=utcnow() - dt.timedelta(hours=26)))
        ivr_session.execute(Grievance.__table__.update().where(
            Grievance.id == grievance.id).values(updated_at=utcnow() - dt.timedelta(hours=48)))
    into_menu(phone, lang, "2")
    phone.press("1")
    phone.speak(hospital)
    assert beds_age in phone.said and ("hours" not in phone.said and "घंटे" not in phone.said)
    phone.press("#")
    phone.press("4")
    phone.press("2")  # the phone that filed it hears its latest complaint
    assert status_age in phone.said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_my_appointments_say_which_were_booked_for_someone_else(phone, ivr_world,
                                                                 ivr_session, lang):
    """The booker's list says, in a sentence of its own, which appointment is another
    patient's (their mobile's last digits, or an ABHA number's, one by one); the
    caller's own says nothing more; the cancel question names the patient too, and a
    cancellation says the SMS went to the patient's mobile."""
    from locales.formatting import format_date, spoken_time

    own = book_appointment(ivr_session, slot_id=ivr_world.slots[0].id, phone=CALLER,
                           channel=Channel.PORTAL, language=lang)
    for_mother = book_appointment(ivr_session, slot_id=ivr_world.slots[2].id,
                                  phone="+919876504321", booked_by_phone=CALLER,
                                  channel=Channel.IVR, language=lang)
    medicine = make_slot(ivr_session, ivr_world.medicine, starts_in=dt.timedelta(days=5))
    for_neighbour = book_appointment(ivr_session, slot_id=medicine.id, phone=CALLER,
                                     abha_number="91234567895678", abha_of_phone_owner=False,
                                     booked_by_phone=CALLER, channel=Channel.IVR,
                                     language=lang)

    def described(appointment):
        return render(lang, "ivr.mine.appointment",
                      hospital=appointment.hospital.short_name(lang),
                      department=appointment.department.name(lang),
                      date=format_date(lang, appointment.visit_day),
                      time=spoken_time(lang, appointment.slot.starts_at))

    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    assert render(lang, "ivr.mine.item", digit=1, appointment=described(own)) in said
    assert render(lang, "ivr.mine.item_for_mobile", digit=2, appointment=described(for_mother),
                  last="4 3 2 1") in said
    assert render(lang, "ivr.mine.item_for_abha", digit=3,
                  appointment=described(for_neighbour), last="5 6 7 8") in said
    assert said.count("4 3 2 1") == 1 and said.count("5 6 7 8") == 1
    phone.press("2")
    assert render(lang, "ivr.mine.cancel_question_for_mobile",
                  appointment=described(for_mother), last="4 3 2 1") in phone.said
    phone.press("2")  # keep it
    phone.press("1")
    assert render(lang, "ivr.mine.cancel_question", appointment=described(own)) in phone.said
    phone.press("2")  # keep it
    phone.press("2")
    phone.press("1")  # cancel the mother's: the SMS went to her mobile, not to the caller
    assert render(lang, "ivr.mine.cancelled_for_mobile", last="4 3 2 1") in phone.said
    ivr_session.refresh(for_mother)
    assert for_mother.status == AppointmentStatus.CANCELLED


@pytest.mark.parametrize(("lang", "said", "not_said"), [
    ("hi", ("मध्य दिल्ली के लिए", "पश्चिमी दिल्ली के लिए", "शाहदरा के लिए"),
     ("मध्य के लिए", "पश्चिमी के लिए", "शाहदरा दिल्ली")),
    ("en", ("For Central Delhi,", "For West Delhi,", "For Shahdara,"),
     ("For Central,", "For West,", "Shahdara Delhi")),
])
def test_districts_are_named_as_delhi_says_them(phone, ivr_world, lang, said, not_said):
    """A district named by a direction is said with the city («मध्य दिल्ली», "Central
    Delhi"), not as a bare adjective («मध्य के लिए 1 दबाएँ»); Shahdara as it is. The
    caller may say either form."""
    into_menu(phone, lang, "2")
    phone.press("2")  # by district
    for words in said:
        assert words in phone.said, phone.said
    for words in not_said:
        assert words not in phone.said, phone.said
    phone.speak("मध्य दिल्ली" if lang == "hi" else "Central Delhi")
    assert "beds" in (phone.gather.get("action") or "") and phone.said
    assert ("लोक नायक" if lang == "hi" else "Lok Nayak") in phone.said
