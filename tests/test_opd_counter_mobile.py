"""A patient who has lost the booking number gives the counter their mobile number.

Typed in any way an Indian mobile is written, it lists the appointments today at this
hospital that the mobile is the patient's own or that it booked for someone else (this
department's first), and checks nobody in by itself: a mobile is no secret, and one
family mobile books for several people, so the clerk matches the patient's name and
checks in the one chosen. A mobile with nothing today here is told so, naming the
number as it was read; a card or a booking number is never read as a mobile."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    Channel,
    cancel_appointment,
)
from booking_core.opd_counter import CodeKind, counter_mobile, read_counter_code
from booking_core.refs import CARD_NUMBER_LENGTH, RefKind, new_card_number, new_reference
from tests.factories import make_slot
from tests.fixtures_console import clerks_of
from tests.opd_factories import book, booking_time, mobile, opd_today
from tests.test_opd_counter import _check_in, _flash

CHOOSE = {
    "en": "Appointments today at this hospital for the mobile {m}. Match the patient's "
          "name, then check in the right one.",
    "hi": "मोबाइल {m} से इस अस्पताल में आज ये अपॉइंटमेंट हैं। मरीज़ का नाम मिलाएँ, फिर सही "
          "अपॉइंटमेंट की हाज़िरी लगाएँ।",
}
NONE_TODAY = {
    "en": "No appointment today at this hospital for the mobile {m}. Ask for the booking "
          "number or the eHealth card; without one, the patient can take a counter token.",
    "hi": "मोबाइल {m} से इस अस्पताल में आज कोई अपॉइंटमेंट नहीं है। बुकिंग नंबर या ई-हेल्थ "
          "कार्ड माँगें; वह न हो तो मरीज़ काउंटर टोकन ले सकते हैं।",
}


def written_forms(e164: str) -> list[str]:
    """The ways a clerk types the mobile a patient says or shows."""
    d = e164.removeprefix("+91")
    spaced = f"{d[:5]} {d[5:]}"
    return [d, spaced, "0" + d, f"0{d[:5]}-{d[5:]}", f"+91 {spaced}", f"+91-{d}",
            "91" + d, f"91 {spaced}", f"0091 {spaced}", f" {d} ",
            d.translate(str.maketrans("0123456789", "०१२३४५६७८९"))]


@pytest.fixture
def today(session):
    return opd_today(session, capacity=10)


@pytest.fixture
def clerks(session, app, today):
    return clerks_of(session, app, today.hospital.id, "counter.mobile")


@dataclasses.dataclass
class Family:
    mobile: str
    listed: list[str]  # the booking numbers the counter lists, in its order
    others: list[str]  # the mobile's booking numbers it must not list


@pytest.fixture
def family(session, today):
    """One mobile with appointments today here (its own, a relative's on it, one it
    booked for a neighbour's mobile) and others it must not list (another hospital,
    another day, cancelled)."""
    family_mobile = mobile()
    here = today.slots[0]
    eye = opd_today(session, hospital=today.hospital).slots[0]
    elsewhere = opd_today(session).slots[0]
    later = make_slot(session, today.department,
                      at=here.starts_at + dt.timedelta(days=2), capacity=5)
    at = booking_time(here)
    dropped = book(session, here, phone=family_mobile, patient_name="Meena", now=at)
    cancel_appointment(session, dropped.reference, channel=Channel.PORTAL,
                       phone=family_mobile, now=at)
    neighbour = book(session, eye, phone=mobile(), patient_name="Ram Prasad",
                     booked_by_phone=family_mobile, now=at)
    mother = book(session, here, phone=family_mobile, patient_name="Kamla Devi", now=at)
    son = book(session, eye, phone=family_mobile, patient_name="Ravi Kumar", now=at)
    other_hospital = book(session, elsewhere, phone=family_mobile, patient_name="Kamla Devi",
                          now=booking_time(elsewhere))
    another_day = book(session, later, phone=family_mobile, patient_name="Sita", now=at)
    # This department's first, then by time; eye's two by time (the same slot: by id).
    family = Family(family_mobile, [a.reference for a in (mother, neighbour, son)],
                    [a.reference for a in (other_hospital, another_day, dropped)])
    session.commit()
    return family


def _said(page) -> str:
    return html.unescape(_flash(page))


def _choices(page) -> list[str]:
    html = page.get_data(as_text=True)
    box = re.search(r'<div class="panel stack mb-3" id="card-choices">(.*?)</div>', html, re.S)
    return re.findall(r'data-reference="(\d+)"', box.group(1)) if box else []


def _statuses(session, references: list[str]) -> list[AppointmentStatus]:
    found = dict(session.execute(select(Appointment.reference, Appointment.status)
                                 .where(Appointment.reference.in_(references))).all())
    session.close()  # let the app write next: SQLite has one writer
    return [found[r] for r in references]


def test_a_mobile_in_any_form_lists_its_appointments_today_here_and_checks_nobody_in(
        session, today, clerks, family):
    listed = family.listed
    spaced = f"{family.mobile[3:8]} {family.mobile[8:]}"
    for lang, clerk in clerks.items():
        for typed in written_forms(family.mobile):
            page = _check_in(clerk, today, typed)
            assert _said(page) == CHOOSE[lang].format(m=spaced), (lang, typed)
            assert _choices(page) == listed, (lang, typed)
            # The patients' names are there to match against.
            text = page.get_data(as_text=True)
            assert all(name in text for name in ("Kamla Devi", "Ram Prasad", "Ravi Kumar"))
            assert "Meena" not in text and "Sita" not in text
    assert set(_statuses(session, family.listed + family.others[:2])) == {
        AppointmentStatus.BOOKED}
    # The clerk checks in the one chosen, by its booking number, and only that one.
    done = _check_in(clerks["en"], today, listed[0])
    assert _said(done).startswith("Checked in: Kamla Devi")
    assert _statuses(session, family.listed) == [
        AppointmentStatus.ATTENDED, AppointmentStatus.BOOKED, AppointmentStatus.BOOKED]
    # Listed again, the attended one says so; nothing else changes.
    again = _check_in(clerks["en"], today, family.mobile)
    assert _choices(again) == listed


def test_a_single_appointment_is_listed_too_not_checked_in(session, today, clerks):
    """One appointment on the mobile is still the clerk's to confirm by name: whoever
    knows a mobile number must not be able to take its owner's place in the queue."""
    only = book(session, today.slots[0], phone=mobile(), patient_name="Asha Rani",
                now=booking_time(today.slots[0]))
    phone, reference = only.citizen.phone, only.reference
    session.close()
    page = _check_in(clerks["hi"], today, phone.removeprefix("+91"))
    assert _choices(page) == [reference]
    assert _statuses(session, [reference]) == [AppointmentStatus.BOOKED]


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_a_mobile_with_nothing_today_here_is_told_so_naming_the_number_read(
        session, today, clerks, family, lang):
    stranger = mobile()
    d = stranger.removeprefix("+91")
    for typed in (d, "0" + d, f"+91 {d[:5]} {d[5:]}"):
        page = _check_in(clerks[lang], today, typed)
        assert _said(page) == NONE_TODAY[lang].format(m=f"{d[:5]} {d[5:]}"), typed
        assert _choices(page) == []
    # Only another hospital's or another day's: nothing here today either.
    session.execute(Appointment.__table__.update().where(
        Appointment.reference.in_(family.listed)).values(status=AppointmentStatus.CANCELLED))
    session.commit()
    session.close()
    page = _check_in(clerks[lang], today, family.mobile)
    m = family.mobile.removeprefix("+91")
    assert _said(page) == NONE_TODAY[lang].format(m=f"{m[:5]} {m[5:]}")


def test_only_an_indian_mobile_is_read_as_one():
    """Card numbers (11 digits, first 5), booking numbers (8), landlines, a mobile a
    digit short or over, and text with letters are never taken for a mobile."""
    for e164 in ("+919812345678", "+916000000001", "+917011223344", "+918800112233"):
        for typed in written_forms(e164):
            assert counter_mobile(typed) == e164, typed
            code = read_counter_code(typed, booking_key=b"k", card_key=None)
            assert code.kind == CodeKind.MOBILE and code.number == e164
    cards = [new_card_number() for _ in range(200)]
    assert all(len(c) == CARD_NUMBER_LENGTH and c[0] == "5" for c in cards)
    bookings = [new_reference(kind) for kind in RefKind for _ in range(100)]
    for typed in [*cards, *bookings, "12345678", "4123 4567", "011 2323 2400", "01123232400",
                  "981234567", "98123456789", "5812345678", "1812345678", "98123abcde",
                  "98123 4567O", "+1 212 555 0100", "91 98765 4321", ""]:
        assert counter_mobile(typed) is None, typed
