"""An appointment the verified mobile booked for someone else (a family member's eHealth
card on the family's phone, or another mobile) is not "your appointment" on the portal:
its page, its confirmations (booked, moved, cancelled) and the cancel question name the
patient, or say "the patient" when no name was given, each in a whole sentence of its
own, in Hindi and English. The patient's own mobile still reads "your"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, Channel, book_appointment
from booking_core.ehealth import CardIssuer, issue_card
from booking_core.refs import spaced_card_number
from locales import render
from tests.fixtures_api import reading
from tests.test_portal_pages import E164, Portal

FAMILY = "+919876501234"  # the grandmother's card was issued to the family's phone
# The sentences that speak to the patient as "you" ("Your appointment is booked.").
OWN = ["portal.appointment.title", "portal.done.booked", "portal.done.rescheduled",
       "portal.done.cancelled", "portal.appointment.bring_papers",
       "portal.appointment.bring_early", "portal.appointment.started_no_cancel",
       "portal.cancel.question", "portal.cancel.after"]


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def _own_sentences(lang: str) -> list[str]:
    """The "your appointment" sentences, their placeholders cut off."""
    return [render(lang, key).split("{")[0].strip() or render(lang, key).split("}")[-1]
            for key in OWN]


def _said_to_the_patient(text: str, lang: str) -> list[str]:
    return [s for s in _own_sentences(lang) if len(s) > 8 and s in text]


def _later(session, catalogue) -> tuple[str, str]:
    """The later time's id and day, read before any request (on SQLite a lazy load
    during a request holds the write lock the app waits for)."""
    found = (str(catalogue.later_slot.id), catalogue.later_slot.local_day.isoformat())
    session.commit()
    return found


def _move_and_cancel(portal, later, reference: str, lang: str, case: str, **names):
    """Move the appointment to the later day and cancel it, checking each page."""
    portal.get(f"/portal/appointments/{reference}/reschedule?day={later[1]}")
    portal.post(f"/portal/appointments/{reference}/reschedule", {"slot": later[0]})
    assert render(lang, f"portal.done.rescheduled_{case}", **names) in portal.text()
    portal.get(f"/portal/appointments/{reference}/cancel")
    question = portal.text()
    assert render(lang, "portal.cancel.after_other") in question
    assert not _said_to_the_patient(question, lang), _said_to_the_patient(question, lang)
    assert (names.get("patient_name") or render(lang, "portal.appointment.title_other")
            .split()[0]) in question
    portal.post(f"/portal/appointments/{reference}/cancel", {"confirm": "yes"})
    said = portal.text()
    assert render(lang, f"portal.done.cancelled_{case}", **names) in said
    assert not _said_to_the_patient(said, lang), _said_to_the_patient(said, lang)


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_family_members_card_booking_names_them_everywhere(portal, session, catalogue,
                                                             lang):
    later = _later(session, catalogue)
    card = issue_card(session, phone=FAMILY, name="Kamla Devi", year_of_birth=1950,
                      via=CardIssuer.COUNTER).card.number
    session.commit()
    portal.choose(lang)
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    portal.verify("/portal/book/review", {"slot": str(catalogue.slot.id)})
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id), "step": "book",
                                        "card_number": spaced_card_number(card)})
    with reading(session):
        booked = session.scalar(select(Appointment))
        assert booked.citizen.phone == FAMILY and booked.booked_by_phone == E164
        reference = booked.reference
    text = portal.text()
    assert render(lang, "portal.done.booked_for", patient_name="Kamla Devi",
                  digits="1234") in text
    assert render(lang, "portal.appointment.title_for", patient_name="Kamla Devi") in text
    assert render(lang, "portal.appointment.bring_papers_other") in text
    assert render(lang, "portal.appointment.bring_early_other") in text
    assert not _said_to_the_patient(text, lang), _said_to_the_patient(text, lang)
    assert {"en": "Your appointment", "hi": "आपका अपॉइंटमेंट"}[lang] not in text
    _move_and_cancel(portal, later, reference, lang, "for", patient_name="Kamla Devi")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_booking_for_another_mobile_without_a_name_says_the_patient(portal, session,
                                                                     catalogue, lang):
    later = _later(session, catalogue)
    reference = book_appointment(session, slot_id=catalogue.slot.id, phone=FAMILY,
                                 channel=Channel.IVR, language=lang,
                                 booked_by_phone=E164).reference
    session.commit()
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    portal.get(f"/portal/appointments/{reference}")
    text = portal.text()
    assert portal.status == 200
    assert render(lang, "portal.appointment.title_other") in text
    assert render(lang, "portal.appointment.bring_early_other") in text
    assert not _said_to_the_patient(text, lang), _said_to_the_patient(text, lang)
    _move_and_cancel(portal, later, reference, lang, "other")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_patients_own_mobile_still_reads_your(portal, session, catalogue, lang):
    reference = book_appointment(session, slot_id=catalogue.slot.id, phone=E164,
                                 channel=Channel.IVR, language=lang,
                                 patient_name="Asha Devi").reference
    session.commit()
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    portal.get(f"/portal/appointments/{reference}/cancel")
    assert render(lang, "portal.cancel.after") in portal.text()
    portal.post(f"/portal/appointments/{reference}/cancel", {"confirm": "yes"})
    assert render(lang, "portal.done.cancelled") in portal.text()
    assert render(lang, "portal.appointment.title") in portal.text()
