"""One search box on every console page: grievances (closed ones too), appointments,
callbacks and citizens by reference, whole or last digits of a phone, name or ABHA."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from booking_core.appointments import Channel, book_appointment
from booking_core.ehealth import CardIssuer, book_with_card, issue_card
from booking_core.lookup import TermKind, read_term
from booking_core.refs import spaced_card_number
from contact_centre.models import CallbackRequest
from contact_centre.search import HitKind, search_records
from grievances.workflow import claim_grievance, close_grievance, resolve_grievance
from tests.factories import make_slot
from tests.fixtures_console import ConsoleClient, make_grievance, next_mobile


def text(response) -> str:
    return response.get_data(as_text=True)


def kinds_on(page: str) -> list[str]:
    return re.findall(r'data-kind="(\w+)"', page)


@pytest.fixture
def world(session, agent, other_agent, department):
    """A caller with a closed grievance (claimed by another agent), an appointment
    under their name and ABHA number, and a callback request."""
    phone = next_mobile()
    closed = make_grievance(session, phone=phone, language="en")
    claim_grievance(session, closed.id, agent_id=other_agent.id, actor="agent.two")
    resolve_grievance(session, closed.id, "Cleaned", actor="agent.two")
    close_grievance(session, closed.id, actor="agent.two")
    slot = make_slot(session, department, starts_in=dt.timedelta(days=2))
    appointment = book_appointment(session, slot_id=slot.id, phone=phone, channel=Channel.AGENT,
                                   patient_name="Kamla Devi", abha_number="12-3456-7890-1234")
    with session.begin():
        callback = CallbackRequest(phone=phone, language="hi", reason="queue_wait")
        session.add(callback)
    stranger = make_grievance(session)
    card = issue_card(session, phone=phone, name="Ravi Kumar", year_of_birth=2015,
                      via=CardIssuer.AGENT, abha_number="98-7654-3210-9876").card
    by_card = book_with_card(session, card_number=card.number, slot_id=slot.id,
                             channel=Channel.AGENT)
    return dict(phone=phone, closed=closed, appointment=appointment, callback=callback,
                stranger=stranger, card=card, by_card=by_card)


def test_terms_are_read_once_for_every_search():
    assert read_term("6123 4567").kinds >= {TermKind.PHONE_DIGITS}
    assert read_term("98123 45678").kinds == {TermKind.PHONE}
    assert read_term("12-3456-7890-1234").kinds == {TermKind.ABHA}
    assert read_term("Kamla").kinds == {TermKind.NAME}
    assert read_term("12").empty and read_term("a").empty and read_term("").empty


def test_search_finds_every_kind_of_record(session, world):
    phone = world["phone"]
    by_phone = search_records(session, phone[3:], within_hospital=None)
    assert [h.kind for h in by_phone.hits] == [
        HitKind.GRIEVANCE, HitKind.APPOINTMENT, HitKind.APPOINTMENT, HitKind.CALLBACK,
        HitKind.CITIZEN, HitKind.CARD]
    by_last_digits = search_records(session, phone[-6:], within_hospital=None)
    assert {h.kind for h in by_last_digits.hits} == set(HitKind)
    assert world["stranger"].id not in [h.record.id for h in by_last_digits.hits
                                        if h.kind == HitKind.GRIEVANCE]
    ref = search_records(session, world["closed"].reference, within_hospital=None)
    assert (ref.hits[0].kind, ref.hits[0].record.id, ref.hits[0].exact) == (
        HitKind.GRIEVANCE, world["closed"].id, True)
    appt = search_records(session, world["appointment"].reference, within_hospital=None)
    assert (appt.hits[0].kind, appt.hits[0].exact) == (HitKind.APPOINTMENT, True)
    by_name = search_records(session, "kamla", within_hospital=None)
    assert {h.kind for h in by_name.hits} >= {HitKind.APPOINTMENT, HitKind.CITIZEN,
                                              HitKind.GRIEVANCE}
    by_abha = search_records(session, "12345678901234", within_hospital=None)
    assert {h.kind for h in by_abha.hits} >= {HitKind.APPOINTMENT, HitKind.CITIZEN}
    assert search_records(session, "0000", within_hospital=None).hits == []


def test_my_queue_search_finds_a_closed_grievance_of_another_agent(session, console, world):
    console.login("agent.one")
    ref = world["closed"].reference
    mine = text(console.get(f"/console/?scope=mine&q={ref}"))
    assert ref in mine and "1 grievance<" in mine
    page = text(console.get(f"/console/search?q={ref}"))
    assert kinds_on(page)[0] == "grievance" and ref in page
    assert "Grievance" in page and "Closed" in page


def test_search_box_is_on_every_page_and_results_say_what_they_are(session, console, world):
    console.login("agent.one")
    for path in ("/console/", "/console/callbacks", "/console/booking", "/console/hospitals",
                 "/console/grievances/new", f"/console/grievances/{world['closed'].id}"):
        page = text(console.get(path))
        assert re.search(r'<form[^>]+action="/console/search"[^>]*role="search"', page), path
    phone = world["phone"]
    page = text(console.get(f"/console/search?q={phone[-4:]}"))
    assert {"grievance", "appointment", "callback", "citizen"} <= set(kinds_on(page))
    for word in ("Grievance", "Appointment", "Callback", "Caller"):
        assert f">{word}<" in page
    assert phone not in page  # numbers stay masked in results
    assert "queue_wait" not in page
    console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    page = text(console.get(f"/console/search?q={world['closed'].reference}"))
    assert ">शिकायत<" in page and "1 नतीजा" in page
    assert "“00000” के लिए कोई नतीजा नहीं मिला।" in text(console.get("/console/search?q=00000"))


def test_search_finds_a_card_and_its_appointments_by_card_or_abha_number(session, console,
                                                                          world):
    card, by_card = world["card"], world["by_card"]
    assert read_term(spaced_card_number(card.number)).kinds == {TermKind.CARD}
    found = search_records(session, spaced_card_number(card.number), within_hospital=None)
    assert (found.hits[0].kind, found.hits[0].record.id, found.hits[0].exact) == (
        HitKind.CARD, card.id, True)
    assert [h.record.id for h in found.hits if h.kind == HitKind.APPOINTMENT] == [by_card.id]
    assert [h.kind for h in found.hits].count(HitKind.CITIZEN) == 1
    by_abha = search_records(session, "98-7654-3210-9876", within_hospital=None)
    assert [h.record.id for h in by_abha.hits if h.kind == HitKind.CARD] == [card.id]
    assert by_card.id in [h.record.id for h in by_abha.hits if h.kind == HitKind.APPOINTMENT]
    assert world["appointment"].id not in [h.record.id for h in by_abha.hits
                                           if h.kind == HitKind.APPOINTMENT]
    slip = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    assert search_records(session, slip, within_hospital=None).hits == []
    session.commit()  # end the read: SQLite's transactions hold the write lock
    console.login("agent.one")
    page = text(console.get(f"/console/search?q={card.number}"))
    assert kinds_on(page)[0] == "card" and ">eHealth card<" in page
    assert spaced_card_number(card.number) in page and "Ravi Kumar" in page
    assert "born 2015" in page and world["phone"] not in page
    console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    page = text(console.get(f"/console/search?q={card.number}"))
    assert ">ई-हेल्थ कार्ड<" in page and "जन्म वर्ष 2015" in page


def test_a_mobile_searched_or_booked_for_never_enters_an_address(session, console, world,
                                                                    client):
    """The header's search box and the booking page's find form are posted: what was
    typed (a mobile) is kept in the agent's session, and the page it leads to carries a
    short key, so the number stays out of browser history and proxies' logs."""
    console.login("agent.one")
    phone = world["phone"]
    typed = f"{phone[3:8]} {phone[8:]}"
    answer = console.post("/console/search", {"q": typed})
    location = answer.headers["Location"]
    assert answer.status_code == 303 and "?k=" in location
    assert not re.search(r"\d{5}", location.replace("%20", "")), location
    page = text(console.get(location))
    assert {"grievance", "appointment", "callback", "citizen"} <= set(kinds_on(page))
    assert f'value="{typed}"' in page  # the box shows what was typed
    # Another browser with the same address has no such search: it says so.
    other = ConsoleClient(client.application.test_client())
    other.login("agent.one")
    lost = text(other.get(location))
    assert 'id="search-lost"' in lost and 'id="search-hits"' not in lost
    # The booking page's find form, likewise.
    found = console.post("/console/booking", {"phone": typed, "language": "hi"})
    assert found.status_code == 303 and "who=" in found.headers["Location"]
    assert phone[-4:] not in found.headers["Location"].split("who=")[0]
    assert not re.search(r"\d{10}", found.headers["Location"])
    page = text(console.get(found.headers["Location"]))
    assert "+91******" + phone[-4:] in page
    refused = console.post("/console/booking", {"phone": "12345", "language": "hi"})
    assert refused.status_code == 200 and "alert-danger" in text(refused)
