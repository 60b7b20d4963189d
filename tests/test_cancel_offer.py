"""Cancel is offered only where the domain would cancel (``Appointment.may_cancel``):
not once the appointment's time has begun, nor once the patient is checked in (called,
seen). The portal, the phone line's menu 4 and the console's booking page all ask the
one predicate that ``cancel_appointment`` refuses by, so a "yes" never meets "too late"."""

from __future__ import annotations

import datetime as dt

import pytest

from booking_core.appointments import Appointment, Channel, TooLateToCancel, cancel_appointment
from booking_core.base import Conflict, utcnow
from booking_core.opd_day import call_next, check_in
from booking_core.slots import Slot
from tests.fixtures_api import reading
from tests.fixtures_ivr import CALLER
from tests.opd_factories import QR_KEY, book, booking_time, opd_morning, opd_today
from tests.test_ivr_services import into_menu
from tests.test_portal_cancel import _signed_in
from tests.test_portal_pages import E164

PORTAL_STARTED = {
    "en": "This appointment's time has begun, so it can no longer be cancelled or moved. "
          "Please go to the OPD registration counter.",
    "hi": "इस अपॉइंटमेंट का समय शुरू हो चुका है, इसलिए अब इसे न रद्द किया जा सकता है, न "
          "इसका समय बदला जा सकता है। कृपया ओपीडी रजिस्ट्रेशन काउंटर पर जाएँ।",
}
PHONE_STARTED = {  # today's queue words have just named it: why it has no key
    "en": "An appointment whose time has begun can no longer be cancelled.",
    "hi": "जिस अपॉइंटमेंट का समय शुरू हो चुका है, वह अब रद्द नहीं हो सकता।",
}
PICK = {"en": "To cancel one, press its number.",
        "hi": "किसी अपॉइंटमेंट को रद्द करने के लिए उसका नंबर दबाएँ।"}
QUESTION = {"en": "Cancel your appointment at", "hi": "रद्द करना चाहते हैं"}


def begin(session, slot: Slot) -> None:
    """The slot's time began ten minutes ago (it runs for hours more)."""
    with reading(session):
        row = session.get(Slot, slot.id)
        row.starts_at = utcnow() - dt.timedelta(minutes=10)
    session.commit()


def test_the_one_predicate_follows_the_time_and_the_check_in(session):
    today = opd_today(session)
    slot = today.slots[0]
    waiting, seen = (book(session, slot, now=booking_time(slot)) for _ in range(2))
    now = slot.starts_at - dt.timedelta(minutes=1)
    assert waiting.may_cancel(now) and seen.may_cancel(now)
    visit = check_in(session, seen.reference, hospital_id=today.hospital.id,
                     department_id=today.department.id, key=QR_KEY, now=now).visit
    call_next(session, visit.session_id, 1, now=now)
    session.refresh(seen)
    assert not seen.may_cancel(now)  # checked in and called: the visit has started
    with pytest.raises(Conflict):
        cancel_appointment(session, seen.reference, channel=Channel.PORTAL, now=now)
    later = slot.starts_at + dt.timedelta(minutes=1)
    assert not waiting.may_cancel(later)
    with pytest.raises(TooLateToCancel):
        cancel_appointment(session, waiting.reference, channel=Channel.PORTAL, now=later)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_offers_no_cancel_once_the_time_began(client, session, lang):
    slot = opd_today(session).slots[0]
    started = book(session, slot, phone=E164, now=booking_time(slot))
    coming = book(session, opd_morning(session).slots[0], phone=E164)
    started_id, started_ref, coming_ref = started.id, started.reference, coming.reference
    begin(session, slot)
    portal = _signed_in(client, session, lang)
    page = f"/portal/appointments/{started_ref}"
    portal.get(page)
    assert portal.status == 200
    assert f'href="{page}/cancel"' not in portal.page
    assert f'href="{page}/reschedule"' not in portal.page
    assert PORTAL_STARTED[lang] in portal.text()
    # The question itself is not asked either: its appointment's page instead.
    answer = client.get(f"{page}/cancel")
    assert answer.status_code == 303 and answer.headers["Location"] == page
    # An appointment still to come keeps its cancel.
    portal.get(f"/portal/appointments/{coming_ref}")
    assert f'href="/portal/appointments/{coming_ref}/cancel"' in portal.page
    assert PORTAL_STARTED[lang] not in portal.text()
    with reading(session):
        assert session.get(Appointment, started_id).status.value == "booked"


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_menu_four_offers_no_key_for_an_appointment_whose_time_began(
        phone, ivr_session, lang):
    slot = opd_today(ivr_session).slots[0]
    started = book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language=lang).id
    begin(ivr_session, slot)
    into_menu(phone, lang, "4")
    phone.press("1")
    said = phone.said
    assert PHONE_STARTED[lang] in said
    assert PICK[lang] not in said  # nothing to cancel on this list
    phone.press("1")  # no key was read out for it: a wrong key, not the question
    assert QUESTION[lang] not in phone.said
    with reading(ivr_session):
        assert ivr_session.get(Appointment, started).status.value == "booked"


def test_menu_four_numbers_only_what_can_be_cancelled(phone, ivr_session):
    slot = opd_today(ivr_session).slots[0]
    book(ivr_session, slot, phone=CALLER, now=booking_time(slot), language="en")
    coming = book(ivr_session, opd_morning(ivr_session).slots[0], phone=CALLER, language="en")
    hospital = coming.hospital.short_name("en")
    begin(ivr_session, slot)
    into_menu(phone, "en", "4")
    phone.press("1")
    said = phone.said
    assert PHONE_STARTED["en"] in said
    # The keys number what can be cancelled: the one to come is alone, and is 1, not 2.
    assert "To cancel it, press 1." in said and "Number 2:" not in said
    phone.press("1")
    assert QUESTION["en"] in phone.said
    assert hospital in phone.said


def test_the_console_offers_no_cancel_once_the_time_began(session, console, agent):
    slot = opd_today(session).slots[0]
    started = book(session, slot, phone=E164, now=booking_time(slot))
    coming = book(session, opd_morning(session).slots[0], phone=E164)
    started_ref, coming_ref = started.reference, coming.reference
    begin(session, slot)
    console.login("agent.one")
    page = console.get(f"/console/booking?phone={E164}", follow_redirects=True
                       ).get_data(as_text=True)
    assert f'name="reference" value="{coming_ref}"' in page
    assert f'name="reference" value="{started_ref}"' not in page
    assert "Its time has begun: it can no longer be cancelled or moved." in page
