"""A patient who already holds a day in a department is not offered it again for
themselves on the portal (as on the phone line): the day stays listed with its times,
said to be held, for a family member's eHealth card only
(``test_portal_held_day_card``); a full day they hold is left out; a booking refused
as already booked (a race) leaves the review page with a way on: another day, the
booking that holds the day, or a family member's card."""

from __future__ import annotations

import re

import pytest

from locales.formatting import format_date
from tests.test_portal_pages import E164, Portal, _booked, slot_choices


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def day_links(page: str) -> list[str]:
    return re.findall(r'href="\?day=([0-9-]+)#times"', page)


def test_the_day_list_keeps_a_day_the_verified_patient_holds_and_opens_on_another(
        portal, session, catalogue):
    hospital, department = catalogue.hospital, catalogue.department
    held_day = catalogue.slot.local_day.isoformat()
    later_day = catalogue.later_slot.local_day.isoformat()
    _booked(session, catalogue.slot)
    times = f"/portal/book/{hospital.id}/{department.id}"
    portal.choose("en")
    portal.get(times)  # nobody verified yet: no patient to leave a day out for
    assert day_links(portal.page) == [held_day, later_day]
    assert slot_choices(portal.page) == [str(catalogue.slot.id)]
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    portal.get(times)
    # Still listed (a family member may be booked there with an eHealth card); the page
    # opens on the first day the patient does not hold.
    assert day_links(portal.page) == [held_day, later_day]
    assert slot_choices(portal.page) == [str(catalogue.later_slot.id)]
    # The held day asked for by name: its own times, said to be held, with the
    # booking that holds it.
    held = _booked_reference(session, catalogue.slot)
    portal.get(f"{times}?day={held_day}")
    text = portal.text()
    said = (f"You already have an appointment in this department on "
            f"{format_date('en', catalogue.slot.local_day, 'full')}, booked with this mobile.")
    assert said in text, text
    assert f'id="held" href="/portal/appointments/{held}"' in portal.page
    assert day_links(portal.page) == [held_day, later_day]
    assert slot_choices(portal.page) == [str(catalogue.slot.id)]


def _booked_reference(session, slot) -> str:
    from sqlalchemy import select

    from booking_core.appointments import Appointment

    reference = session.scalar(select(Appointment.reference).where(
        Appointment.slot_id == slot.id))
    session.rollback()
    return reference


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_full_day_the_patient_holds_offers_no_waiting_list(portal, session, catalogue, lang):
    """The day they hold is full: its waiting list would refuse them (they hold it), so
    neither the day list nor the page offers it; the sentence names the day instead."""
    from sqlalchemy import update

    from booking_core.slots import Slot

    hospital, department = catalogue.hospital, catalogue.department
    _booked(session, catalogue.slot)
    session.execute(update(Slot).where(Slot.id == catalogue.slot.id)
                    .values(booked=Slot.capacity))
    session.commit()
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    day = catalogue.slot.local_day.isoformat()
    portal.get(f"/portal/book/{hospital.id}/{department.id}?day={day}")
    assert 'id="waiting-list"' not in portal.page
    assert f"day={day}" not in portal.page.split('id="times"', 1)[1]  # no join link
    assert day not in day_links(portal.page)
    named = {"hi": "को इस विभाग में पहले से अपॉइंटमेंट है।",
             "en": "already has an appointment in this department on "}[lang]
    assert named in portal.text()


def test_someone_elses_booking_leaves_the_day_in(portal, session, catalogue):
    _booked(session, catalogue.slot, phone="+919812300001")
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    portal.get(f"/portal/book/{catalogue.hospital.id}/{catalogue.department.id}")
    assert day_links(portal.page) == [catalogue.slot.local_day.isoformat(),
                                      catalogue.later_slot.local_day.isoformat()]


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_booking_refused_as_already_booked_offers_another_day(portal, session, catalogue,
                                                                 lang):
    hospital, department = catalogue.hospital, catalogue.department
    portal.choose(lang)
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    portal.get(review)
    portal.verify("/portal/book/review", {"slot": str(catalogue.slot.id)})
    assert 'value="book"' in portal.page
    held = _booked(session, catalogue.slot)  # meanwhile, by phone: the race
    session.commit()
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id), "step": "book"})
    assert portal.refused
    words = {"hi": ("इस मरीज़ का उस दिन इस विभाग में पहले से अपॉइंटमेंट है।", "दूसरा दिन चुनें"),
             "en": ("This patient already has an appointment in this department that day.",
                    "Choose another day")}[lang]
    text = portal.text()
    assert words[0] in text and words[1] in text
    # No confirm button that can only fail again: a family member's eHealth card only.
    assert 'name="patient_name"' not in portal.page and 'id="card-only"' in portal.page
    assert re.search(r'<input id="card_number" name="card_number"[^>]* required', portal.page)
    assert f'href="/portal/book/{hospital.id}/{department.id}"' in portal.page
    assert f'href="/portal/appointments/{held.reference}"' in portal.page
    portal.get(f"/portal/appointments/{held.reference}")
    assert portal.status == 200 and held.reference[:4] in portal.text()
    assert E164 not in portal.page


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_back_to_the_review_after_booking_shows_no_confirm_button(portal, session, catalogue,
                                                                    lang):
    """The review page asks, when drawn, whether this booking would be refused as
    already held: after a booking (or its refusal), Back to the review says the day is
    held and offers its ways on (another day, a family member's eHealth card), not a
    confirm button for this mobile's patient that can only fail."""
    hospital, department = catalogue.hospital, catalogue.department
    portal.choose(lang)
    review = f"/portal/book/review?slot={catalogue.slot.id}"
    portal.get(review)
    portal.verify("/portal/book/review", {"slot": str(catalogue.slot.id)})
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id), "step": "book"})
    assert portal.status == 200 and portal.redirects == [303]  # booked: its page
    # Back: the browser asks for the review page again (a GET, the carry long gone).
    portal.get(review)
    assert portal.status == 200
    assert 'name="patient_name"' not in portal.page and 'id="card-only"' in portal.page
    words = {"hi": ("इस मोबाइल से बुक किया गया आपका अपॉइंटमेंट", "दूसरा दिन चुनें"),
             "en": ("You already have an appointment in this department on",
                    "Choose another day")}[lang]
    assert words[0] in portal.text() and words[1] in portal.text()
    assert f'href="/portal/book/{hospital.id}/{department.id}"' in portal.page
    held = re.search(r'href="/portal/appointments/(\d+)"', portal.page)
    assert held, "no link to the booking that holds the day"
    # The later day, which the patient does not hold, still offers to confirm.
    portal.get(f"/portal/book/review?slot={catalogue.later_slot.id}")
    assert 'value="book"' in portal.page and 'name="patient_name"' in portal.page


def test_someone_elses_booking_of_the_day_leaves_the_confirm_button(portal, session,
                                                                   catalogue):
    _booked(session, catalogue.slot, phone="+919812300001")
    session.commit()
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    portal.verify("/portal/book/review", {"slot": str(catalogue.slot.id)})
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    assert 'value="book"' in portal.page
