"""Menu 4 then 1 with an appointment today still to come: today's queue words name it
(hospital, department, token, "check in first"), so the list never describes it again.
A short sentence gives its key ("to cancel today's appointment, press 1"), saying whose
it is when booked for another patient and where when today's words named more than
one; the others are still described, under a heading that says they are the others,
and each key cancels the appointment its sentence refers to."""

from __future__ import annotations

import re

import pytest

from booking_core.appointments import Appointment, AppointmentStatus
from booking_core.base import utcnow
from locales import render
from locales.formatting import spoken_time
from tests.fixtures_ivr import CALLER, Phone
from tests.opd_factories import OpdMorning, book, booking_time, opd_morning, opd_today
from tests.test_cancel_offer import begin
from tests.test_ivr_booking import LANG_KEY
from tests.test_ivr_services import into_menu

MOTHER = "+919876504321"
NEIGHBOUR_ABHA = "91234567895678"
LAST = {"mobile": "4 3 2 1", "abha": "5 6 7 8"}


def later_today(session) -> OpdMorning:
    """A department whose one slot is today in Delhi and has not begun yet."""
    today = opd_today(session)
    if today.slots[0].starts_at <= utcnow():
        pytest.skip("Delhi's day ends within a minute: no slot today is still to come")
    return today


def book_today(session, lang: str, *, whom: str | None = None) -> Appointment:
    slot = later_today(session).slots[0]
    if whom == "mobile":
        return book(session, slot, phone=MOTHER, booked_by_phone=CALLER,
                    now=booking_time(slot), language=lang)
    if whom == "abha":
        return book(session, slot, phone=CALLER, abha_number=NEIGHBOUR_ABHA,
                    abha_of_phone_owner=False, booked_by_phone=CALLER,
                    now=booking_time(slot), language=lang)
    return book(session, slot, phone=CALLER, now=booking_time(slot), language=lang)


def times_named(said: str, appointment: Appointment, lang: str) -> int:
    """How often the appointment's hospital is said ("Test Hospital 1", not inside
    "Test Hospital 12")."""
    name = re.escape(appointment.hospital.short_name(lang))
    return len(re.findall(rf"{name}(?!\d)", said))


def described_today(appointment: Appointment, lang: str) -> str:
    """The list's full description of an appointment today (``describe_appointment``)."""
    return render(lang, "ivr.mine.appointment_today",
                  hospital=appointment.hospital.short_name(lang),
                  department=appointment.department.name(lang),
                  time=spoken_time(lang, appointment.slot.starts_at))


def statuses(session, *appointments: Appointment) -> list[str]:
    session.expire_all()
    return [a.status.value for a in appointments]


def hears_once_with_its_key(phone, lang: str, appointment: Appointment) -> str:
    """Menu 4 then 1: today's words name the appointment; the list gives its key in
    a short sentence, never its description again."""
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    assert times_named(said, appointment, lang) == 1, said
    assert described_today(appointment, lang) not in said, said
    assert render(lang, "ivr.opd.not_started", token=1,
                  hospital=appointment.hospital.short_name(lang),
                  department=appointment.department.name(lang),
                  time=spoken_time(lang, appointment.slot.starts_at)) in said, said
    return said


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_an_appointment_today_still_to_come_is_named_once(ivr_app, phone, ivr_session, lang):
    """The only appointment: one sentence with its key, no heading over nothing new,
    no "to cancel it" after it; 1 asks to cancel it and cancels it. Typed as a booking
    number from a hidden phone (no queue words there) it is described once, with no
    key."""
    today = book_today(ivr_session, lang)
    ivr_session.commit()
    hidden = Phone(ivr_app.test_client(), caller="anonymous", session=ivr_session)
    hidden.call()
    for key in (LANG_KEY[lang], "4", "1"):
        hidden.press(key)
    hidden.press(today.reference)
    heard = hidden.said
    assert heard.count(described_today(today, lang)) == 1, heard
    assert times_named(heard, today, lang) == 1, heard
    assert render(lang, "ivr.mine.cancel_own_phone") in heard
    assert render(lang, "ivr.mine.item_today", digit=1) not in heard

    said = hears_once_with_its_key(phone, lang, today)
    assert said.count(render(lang, "ivr.mine.item_today", digit=1)) == 1, said
    for other in ("ivr.mine.heading", "ivr.mine.heading_one", "ivr.mine.heading_other",
                  "ivr.mine.heading_other_one", "ivr.mine.pick"):
        assert render(lang, other) not in said, (other, said)
    assert render(lang, "ivr.mine.pick_one", key="1") not in said
    phone.press("1")
    assert render(lang, "ivr.mine.cancel_question",
                  appointment=described_today(today, lang)) in phone.said
    phone.press("1")  # yes
    assert render(lang, "ivr.mine.cancelled") in phone.said
    assert statuses(ivr_session, today) == ["cancelled"]


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("others", [1, 2])
def test_the_others_are_described_after_todays_key_in_the_order_read(
        phone, ivr_session, lang, others):
    """Today's key is 1; the others, under "your other upcoming appointment(s)", are
    2 (said as one: "to cancel it, press 2") or 2 and 3 (numbered); each key's cancel
    question names the appointment its sentence referred to."""
    today = book_today(ivr_session, lang)
    later = [book(ivr_session, opd_morning(ivr_session).slots[0], phone=CALLER, language=lang)
             for _ in range(others)]
    said = hears_once_with_its_key(phone, lang, today)
    assert said.count(render(lang, "ivr.mine.item_today", digit=1)) == 1, said
    assert render(lang, "ivr.mine.heading") not in said
    assert render(lang, "ivr.mine.heading_one") not in said
    number = {"en": "Number {}:", "hi": "नंबर {}:"}[lang]
    if others == 1:
        assert render(lang, "ivr.mine.heading_other_one") in said, said
        assert render(lang, "ivr.mine.pick_one", key="2") in said, said
        assert number.format(2) not in said
    else:
        assert render(lang, "ivr.mine.heading_other") in said, said
        assert number.format(2) in said and number.format(3) in said, said
        assert number.format(1) not in said, said
        assert render(lang, "ivr.mine.pick") in said
    for appointment in later:
        assert times_named(said, appointment, lang) == 1, said
    # Each key asks about the appointment its sentence referred to.
    for digit, appointment in enumerate([today, *later], 1):
        phone.press(str(digit))
        question = phone.said
        assert times_named(question, appointment, lang) == 1, (digit, question)
        phone.press("2")  # keep it: back to the list
        assert phone.said == said
    phone.press(str(others + 1))  # the last one read
    phone.press("1")  # yes
    assert statuses(ivr_session, today, *later) == ["booked"] * others + ["cancelled"]


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("whom", ["mobile", "abha"])
def test_today_booked_for_another_patient_says_whose_it_is(phone, ivr_session, lang, whom):
    """Booked from this phone for another patient: the short sentence says it is that
    patient's (their number's last digits), and 1 cancels it for them."""
    today = book_today(ivr_session, lang, whom=whom)
    said = hears_once_with_its_key(phone, lang, today)
    assert said.count(render(lang, f"ivr.mine.item_today_for_{whom}", digit=1,
                             last=LAST[whom])) == 1, said
    assert said.count(LAST[whom]) == 1, said
    assert render(lang, "ivr.mine.pick_one", key="1") not in said
    phone.press("1")
    assert render(lang, f"ivr.mine.cancel_question_for_{whom}",
                  appointment=described_today(today, lang), last=LAST[whom]) in phone.said
    phone.press("1")  # yes
    assert statuses(ivr_session, today) == ["cancelled"]


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_two_appointments_today_are_told_apart_by_where(phone, ivr_session, lang):
    """Today's words name two appointments: each short sentence says where (and whose),
    neither is described again; a third, another day, is described as the other one.
    2 cancels the second of today's."""
    own = book_today(ivr_session, lang)
    mother = book_today(ivr_session, lang, whom="mobile")
    later = book(ivr_session, opd_morning(ivr_session).slots[0], phone=CALLER, language=lang)
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    place = {appointment.id: {"hospital": appointment.hospital.short_name(lang),
                              "department": appointment.department.name(lang),
                              "time": spoken_time(lang, appointment.slot.starts_at)}
             for appointment in (own, mother)}
    for appointment in (own, mother):
        assert described_today(appointment, lang) not in said, said
        assert render(lang, "ivr.opd.not_started", token=1, **place[appointment.id]) in said
        # named by today's words, then once more as where its key is
        assert times_named(said, appointment, lang) == 2, said
    assert render(lang, "ivr.mine.item_today_at", digit=1, **place[own.id]) in said, said
    assert render(lang, "ivr.mine.item_today_at_for_mobile", digit=2, last=LAST["mobile"],
                  **place[mother.id]) in said, said
    assert times_named(said, later, lang) == 1
    # Neither is checked in: "check in first" once, for both, after both.
    assert render(lang, "ivr.opd.check_in_first") not in said, said
    assert said.count(render(lang, "ivr.opd.check_in_first_each")) == 1, said
    assert said.index(render(lang, "ivr.opd.check_in_first_each")) > said.index(
        render(lang, "ivr.opd.not_started", token=1, **place[mother.id]))
    assert render(lang, "ivr.mine.heading_other_one") in said
    assert render(lang, "ivr.mine.pick_one", key="3") in said
    phone.press("2")
    assert render(lang, "ivr.mine.cancel_question_for_mobile",
                  appointment=described_today(mother, lang), last=LAST["mobile"]) in phone.said
    phone.press("1")  # yes
    assert statuses(ivr_session, own, mother, later) == ["booked", "cancelled", "booked"]


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("whom", ["mobile", "abha"])
def test_a_begun_appointment_today_for_another_patient_is_named_once(
        phone, ivr_session, lang, whom):
    """Begun (no key): one sentence says whose appointment it is and why it has no
    key, without describing it again."""
    today = book_today(ivr_session, lang, whom=whom)
    begin(ivr_session, today.slot)
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    assert times_named(said, today, lang) == 1, said
    assert said.count(render(lang, f"ivr.mine.begun_today_for_{whom}", last=LAST[whom])) == 1
    assert render(lang, "ivr.mine.heading") not in said
    assert render(lang, "ivr.mine.heading_one") not in said
    phone.press("1")  # no key: the list's retry, nothing cancelled
    assert statuses(ivr_session, today) == [AppointmentStatus.BOOKED.value]
