"""A family sharing one mobile: the mother's own appointment (booked with the mobile, no
eHealth card) holds General Medicine on Friday, and her father, whose eHealth card is
registered to the same mobile, is a patient of his own (``book_with_card``; the card's
own one-a-day index). The portal keeps Friday reachable for him: the time page shows
Friday's free times, saying that the mobile's own patient already holds that day and
that a family member can still be booked there with their eHealth card; the review
page for such a time offers only the card (no booking for the mobile's own patient,
which could only be refused). A day the mobile's own patient does not hold is
unchanged."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, Channel
from booking_core.ehealth import CardIssuer, EHealthCard, book_with_card, issue_card
from booking_core.outbox import OutboxMessage
from booking_core.refs import spaced_card_number
from locales import render
from locales.formatting import format_date
from tests.fixtures_api import reading
from tests.test_portal_pages import E164, Portal, _booked, slot_choices

FAMILY = "+919876501234"  # another family's phone, for a card not on the verified mobile

HELD_DAY = {
    "en": "You already have an appointment in this department on {day}, booked with this "
          "mobile. A family member can still be booked that day with their own eHealth "
          "card.",
    "hi": "इस मोबाइल से बुक किया गया आपका अपॉइंटमेंट {day} को इस विभाग में पहले से है। "
          "परिवार के किसी सदस्य का अपॉइंटमेंट उस दिन उनके अपने ई-हेल्थ कार्ड से अब भी बुक "
          "हो सकता है।",
}
ALREADY_BOOKED = {"en": "This patient already has an appointment in this department that day.",
                  "hi": "इस मरीज़ का उस दिन इस विभाग में पहले से अपॉइंटमेंट है।"}
CARD_BUTTON = {"en": "Book with this eHealth card", "hi": "इस ई-हेल्थ कार्ड से बुक करें"}
CONFIRM = {"en": "Confirm booking", "hi": "बुकिंग पक्की करें"}


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


@pytest.fixture
def mothers(session, catalogue) -> str:
    """The mother's own appointment (the verified mobile, no card) on the first day."""
    reference = _booked(session, catalogue.slot).reference
    session.commit()
    return reference


@pytest.fixture
def fathers_card(session, catalogue) -> str:
    """The father's eHealth card, registered to the same mobile."""
    number = issue_card(session, phone=E164, name="Ram Prasad", year_of_birth=1948,
                        via=CardIssuer.COUNTER).card.number
    session.commit()
    return number


def day_links(page: str) -> list[str]:
    return re.findall(r'href="\?day=([0-9-]+)#times"', page)


def _times(catalogue) -> str:
    return f"/portal/book/{catalogue.hospital.id}/{catalogue.department.id}"


def _verified(portal, lang: str) -> None:
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")


def _held_sentence(lang: str, day) -> str:
    return HELD_DAY[lang].format(day=format_date(lang, day))


def _button(page: str) -> str:
    """The words of the review form's booking button, or ""."""
    found = re.search(r'<button type="submit" name="step" value="book"[^>]*>([^<]*)</button>',
                      page)
    return html.unescape(found.group(1)).strip() if found else ""


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_held_day_shows_its_times_with_the_card_way(portal, session, catalogue, mothers,
                                                        fathers_card, lang):
    held_day, later_day = catalogue.slot.local_day, catalogue.later_slot.local_day
    _verified(portal, lang)
    portal.get(_times(catalogue))
    # Both days listed; the page opens on the first day the mother does not hold.
    assert day_links(portal.page) == [held_day.isoformat(), later_day.isoformat()]
    assert slot_choices(portal.page) == [str(catalogue.later_slot.id)]
    assert 'id="held-day-card"' not in portal.page
    portal.get(f"{_times(catalogue)}?day={held_day.isoformat()}")
    assert portal.status == 200
    # The held day's own times, not hidden, with the sentence and the link to hers.
    assert slot_choices(portal.page) == [str(catalogue.slot.id)]
    assert _held_sentence(lang, held_day) in portal.text(), portal.text()
    assert f'id="held" href="/portal/appointments/{mothers}"' in portal.page
    assert 'class="error"' not in portal.page.split('id="times"', 1)[1]  # not a refusal
    assert {"en": "Continue", "hi": "आगे बढ़ें"}[lang] in portal.text()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_review_of_a_held_day_offers_the_card_only(portal, session, catalogue, mothers,
                                                       fathers_card, lang):
    _verified(portal, lang)
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    assert portal.status == 200
    text = portal.text()
    assert _held_sentence(lang, catalogue.slot.local_day) in text, text
    assert ALREADY_BOOKED[lang] not in text  # nothing was refused
    # Only the card: its number required, no patient's name for this mobile, no
    # "Leave this empty to book for this mobile".
    assert re.search(r'<input id="card_number" name="card_number"[^>]* required', portal.page)
    assert 'name="patient_name"' not in portal.page
    assert "<details" not in portal.page.split("<main", 1)[1]  # not folded away
    assert {"en": "Leave this empty", "hi": "खाली छोड़ दें"}[lang] not in text
    assert _button(portal.page) == CARD_BUTTON[lang]
    assert CONFIRM[lang] not in text
    assert f'href="/portal/appointments/{mothers}"' in portal.page
    assert f'href="{_times(catalogue)}"' in portal.page  # another day, for herself


@pytest.mark.parametrize("whose", ["same_mobile", "family_phone"])
@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_card_books_the_held_day(portal, session, catalogue, mothers, fathers_card, lang,
                                   whose):
    card = fathers_card
    if whose == "family_phone":
        card = issue_card(session, phone=FAMILY, name="Kamla Devi", year_of_birth=1950,
                          via=CardIssuer.COUNTER).card.number
        session.commit()
    _verified(portal, lang)
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id),
                                        "card_number": spaced_card_number(card),
                                        "step": "book"}, follow=False)
    assert portal.status == 303, portal.page
    with reading(session):
        booked = session.scalar(select(Appointment).where(Appointment.reference != mothers))
        assert booked.slot_id == catalogue.slot.id and booked.channel == Channel.PORTAL
        assert booked.ehealth_card_id is not None
        assert booked.ehealth_card_id == session.scalar(
            select(EHealthCard.id).where(EHealthCard.number == card))
        holder = {"same_mobile": (E164, "Ram Prasad", None),
                  "family_phone": (FAMILY, "Kamla Devi", E164)}[whose]
        assert (booked.citizen.phone, booked.patient_name, booked.booked_by_phone) == holder
        sms = list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.appointment_id == booked.id)))
        assert sms and {m.to_phone for m in sms} == {holder[0]}  # the card's mobile
        assert any(booked.reference in m.body for m in sms)
        reference = booked.reference
        assert session.scalar(select(func.count()).select_from(Appointment)) == 2
    assert portal.location == f"/portal/appointments/{reference}"
    portal.get(portal.location)
    assert portal.status == 200 and holder[1] in portal.text()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_booking_the_held_day_without_a_card_is_refused(portal, session, catalogue, mothers,
                                                        fathers_card, lang):
    """A tampered form (or one from before the mother's booking was made): sent with
    no card number, it is refused with the reason, and the page offers the card. Sent
    from the card-only page with its one field emptied, the card field itself says it
    is needed, not the day's refusal a second time above the notice."""
    _verified(portal, lang)
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id), "offered": "card",
                                        "card_number": "  ", "step": "book"})
    assert portal.refused, (portal.redirects, portal.status)
    card_needed = render(lang, "portal.book.card_needed")
    said = re.search(r'<p class="error" id="card-error">(.*?)</p>', portal.page)
    assert said and html.unescape(said.group(1)) == card_needed, portal.page
    assert re.search(r'<input id="card_number"[^>]* aria-invalid="true"', portal.page)
    assert ALREADY_BOOKED[lang] not in portal.text()
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id),
                                        "patient_name": "Sunita Devi", "step": "book"})
    assert portal.refused, (portal.redirects, portal.status)
    text = portal.text()
    assert ALREADY_BOOKED[lang] in text
    assert _held_sentence(lang, catalogue.slot.local_day) in text
    assert re.search(r'<input id="card_number" name="card_number"[^>]* required', portal.page)
    assert 'name="patient_name"' not in portal.page
    assert _button(portal.page) == CARD_BUTTON[lang]
    with reading(session):
        assert session.scalar(select(func.count()).select_from(Appointment)) == 1


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_card_holders_own_day_is_refused_without_its_number(portal, session, catalogue,
                                                                mothers, fathers_card, lang):
    fathers = book_with_card(session, card_number=fathers_card, slot_id=catalogue.slot.id,
                             channel=Channel.IVR).reference
    session.commit()
    _verified(portal, lang)
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    portal.post("/portal/book/review", {"slot": str(catalogue.slot.id),
                                        "card_number": fathers_card, "step": "book"})
    assert portal.refused
    said = {"en": "The card holder already has an appointment in this department that day. "
                  "Please choose another day.",
            "hi": "कार्डधारक का उस दिन इस विभाग में पहले से अपॉइंटमेंट है। कृपया दूसरा दिन "
                  "चुनें।"}[lang]
    assert said in portal.text()
    assert fathers not in portal.page and f"{fathers[:4]} {fathers[4:]}" not in portal.page
    assert _button(portal.page) == CARD_BUTTON[lang]  # another card may still be typed
    with reading(session):
        assert session.scalar(select(func.count()).select_from(Appointment)) == 2


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_mobile_that_holds_no_day_sees_nothing_different(portal, session, catalogue,
                                                           fathers_card, lang):
    _booked(session, catalogue.slot, phone="+919812300001")  # another family's booking
    session.commit()
    _verified(portal, lang)
    portal.get(_times(catalogue))
    assert day_links(portal.page) == [catalogue.slot.local_day.isoformat(),
                                      catalogue.later_slot.local_day.isoformat()]
    assert slot_choices(portal.page) == [str(catalogue.slot.id)]  # the first free day
    assert 'id="held-day-card"' not in portal.page and 'id="held"' not in portal.page
    portal.get(f"/portal/book/review?slot={catalogue.slot.id}")
    assert 'name="patient_name"' in portal.page and '<details class="card-option"' in portal.page
    assert _button(portal.page) == CONFIRM[lang]
    assert HELD_DAY[lang][:20] not in portal.text()
