"""Cancelling on the portal asks first, without JavaScript: the appointment's page links
to a question ("Cancel your appointment at X on <day>?" [Yes, cancel] [Keep it]); one
tap never frees the seat, the confirmation cancels once, and a double submit of it still
cancels once (one event, one SMS, one seat back)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, AppointmentEvent, AppointmentStatus
from booking_core.outbox import OutboxMessage
from booking_core.slots import Slot
from tests.fixtures_api import reading
from tests.test_portal_pages import CSRF, E164, Portal, _booked

QUESTION = {"en": "Cancel your appointment at Lok Nayak Hospital on",
            "hi": "लोक नायक अस्पताल में"}
ANSWERS = {"en": ("Yes, cancel", "No, keep it"), "hi": ("हाँ, रद्द करें", "नहीं, अपॉइंटमेंट रखें")}


@pytest.fixture
def held(session, catalogue):
    appointment = _booked(session, catalogue.slot)
    session.commit()
    return appointment


def _signed_in(client, session, lang: str) -> Portal:
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get("/portal/appointments")
    portal.verify("/portal/appointments")
    return portal


def _state(session, held) -> tuple[AppointmentStatus, int, int, int]:
    with reading(session):
        return (session.get(Appointment, held.id).status,
                session.get(Slot, held.slot_id).booked,
                session.scalar(select(func.count()).select_from(AppointmentEvent).where(
                    AppointmentEvent.appointment_id == held.id,
                    AppointmentEvent.kind == "cancelled")),
                session.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.appointment_id == held.id,
                    OutboxMessage.template == "appointment_cancelled")))


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_one_tap_asks_and_does_not_cancel(client, session, held, lang):
    portal = _signed_in(client, session, lang)
    before = _state(session, held)
    page = f"/portal/appointments/{held.reference}"
    portal.get(page)
    # The appointment's page has no form that cancels: the control is a link (a GET).
    assert f'action="{page}/cancel"' not in portal.page
    assert f'href="{page}/cancel"' in portal.page
    portal.get(f"{page}/cancel")
    assert portal.status == 200
    text = portal.text()
    assert QUESTION[lang] in text and held.reference[:4] in text
    yes, keep = ANSWERS[lang]
    assert yes in text and keep in text
    assert f'<a class="button secondary" id="keep" href="{page}"' in portal.page
    assert _state(session, held) == before
    # A POST without the confirmation (an old page's one-tap button) is shown the question.
    answer = client.post(f"{page}/cancel", data={"csrf_token": CSRF.search(portal.page)[1]})
    assert answer.status_code == 303 and answer.headers["Location"] == f"{page}/cancel"
    assert _state(session, held) == before
    assert before[0] == AppointmentStatus.BOOKED


def test_the_confirmation_cancels_once_and_a_double_submit_too(client, session, held):
    portal = _signed_in(client, session, "en")
    status, booked, _, _ = _state(session, held)
    assert status == AppointmentStatus.BOOKED
    page = f"/portal/appointments/{held.reference}"
    portal.get(f"{page}/cancel")
    form = {"csrf_token": CSRF.search(portal.page)[1], "confirm": "yes"}
    first = client.post(f"{page}/cancel", data=form)
    second = client.post(f"{page}/cancel", data=form)  # a second tap before the page changed
    for answer in (first, second):
        assert answer.status_code == 303
        assert answer.headers["Location"] == page  # "cancelled" rides in the carry
    assert _state(session, held) == (AppointmentStatus.CANCELLED, booked - 1, 1, 1)
    portal.get(page)
    assert "Your appointment is cancelled." in portal.text()
    assert "Your appointment is cancelled." not in portal.get(page)  # once
    assert "Cancel this appointment" not in portal.page
    # The question for a cancelled appointment is not asked again: its page instead.
    again = client.get(f"{page}/cancel")
    assert again.status_code == 303 and again.headers["Location"] == page
    with reading(session):
        assert session.scalar(select(OutboxMessage.to_phone).where(
            OutboxMessage.appointment_id == held.id,
            OutboxMessage.template == "appointment_cancelled")) == E164


def test_the_question_needs_the_verified_mobile(client, session, held):
    answer = client.get(f"/portal/appointments/{held.reference}/cancel")
    assert answer.status_code == 303
    # The appointment's page asks for the code, then goes on to the question
    # (tests/test_portal_link_after_code.py).
    assert answer.headers["Location"] == (f"/portal/appointments/{held.reference}"
                                          f"?next=%2Fportal%2Fappointments%2F{held.reference}"
                                          "%2Fcancel")
    assert _state(session, held)[0] == AppointmentStatus.BOOKED
