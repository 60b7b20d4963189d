"""eHealth cards in the console: an agent issues cards for a family on one mobile (once
per person), prints one, books with one; bad details answered in the agent's language."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment
from booking_core.ehealth import EHealthCard
from booking_core.refs import spaced_card_number
from tests.factories import make_slot
from tests.fixtures_console import next_mobile


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def issued(session, console, agent):
    phone = next_mobile()
    console.login("agent.one")
    answer = console.post("/console/cards/issue", {
        "phone": phone, "card_name": "Kamla Devi", "year_of_birth": "1950", "sex": "female",
        "language": "en"}, follow_redirects=True)
    card = session.scalars(select(EHealthCard)).one()
    session.commit()
    return phone, card, text(answer)


def test_an_agent_issues_a_card_once_per_person(session, console, issued):
    phone, card, page = issued
    assert card.issued_via == "agent" and card.issued_by == "agent.one"
    assert f"eHealth card {spaced_card_number(card.number)} issued for Kamla Devi" in page
    assert "eHealth cards of" in page and phone not in page.replace(f'value="{phone}"', "")
    again = text(console.post("/console/cards/issue", {
        "phone": phone, "card_name": "kamla  devi", "year_of_birth": "1950"},
        follow_redirects=True))
    assert "Kamla Devi already has eHealth card" in again
    assert session.scalar(select(func.count()).select_from(EHealthCard)) == 1
    session.commit()  # end the read: SQLite's transactions hold the write lock
    bad = text(console.post("/console/cards/issue", {
        "phone": phone, "card_name": "Ravi", "year_of_birth": "20x5"}, follow_redirects=True))
    assert 'role="alert"' in bad
    assert session.scalar(select(func.count()).select_from(EHealthCard)) == 1


def test_an_agent_prints_a_card_of_the_mobile_on_screen_only(session, console, issued):
    phone, card, _ = issued
    pdf = console.post("/console/cards/document", {"phone": phone, "card_number": card.number,
                                                  "format": "pdf", "language": "hi"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    other = console.post("/console/cards/document", {
        "phone": next_mobile(), "card_number": card.number, "format": "pdf"})
    assert other.status_code == 302  # refused, back to the booking page with a message


def test_an_agent_books_with_a_card(session, console, issued, department):
    phone, card, _ = issued
    slot = make_slot(session, department, starts_in=dt.timedelta(days=2))
    session.commit()
    page = text(console.get(f"/console/booking?phone={phone}&hospital={department.hospital_id}"
                            f"&department={department.id}&day={slot.local_day.isoformat()}",
                            follow_redirects=True))
    assert f'<option value="{card.number}">' in page
    console.post("/console/booking/book", {"slot": slot.id, "phone": phone, "language": "en",
                                           "card": card.number})
    appointment = session.scalars(select(Appointment)).one()
    assert appointment.ehealth_card_id == card.id and appointment.patient_name == "Kamla Devi"
