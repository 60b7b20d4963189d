"""A language that is not one of the helpline's (``hi``, ``en``) is refused wherever a
console form sends one, never saved as Hindi or quietly dropped: the agent's own
language, an account made or edited by an admin, a booking on a caller's behalf, the
card desk and a new grievance. The rule is the domain's (``booking_core.base.
chosen_language``), so the phone line and the API are held to the same one."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, Channel, book_appointment
from booking_core.base import InvalidInput, chosen_language
from booking_core.ehealth import EHealthCard
from booking_core.waiting_list import WaitingListEntry, join_waiting_list
from contact_centre.accounts import create_staff_user, update_staff_user
from contact_centre.agents import set_agent_language
from contact_centre.models import StaffUser
from grievances.models import Grievance
from grievances.services import register_grievance
from locales import LANGUAGES, render
from tests.factories import make_slot
from tests.fixtures_console import make_staff, next_mobile

# What a forged or tampered form may send instead of "hi" or "en".
JUNK = ["fr", "HI ", "hindi", "<script>", "x" * 5000, "hi\x00", " en", "EN"]
# Each junk value once, said to a Hindi agent and an English one by turns.
IN_TURN = [(("hi", "en")[at % 2], junk) for at, junk in enumerate(JUNK)]
PASSWORD = "a secret long password"


def _said(page: str) -> str:
    return html.unescape(page)


def _refusal(lang: str) -> str:
    return render(lang, "console.err.invalid_input.language")


# The domain ---------------------------------------------------------------------------

@pytest.mark.parametrize("junk", [*JUNK, "", None])
def test_the_domain_refuses_a_language_that_is_not_the_helplines(junk):
    with pytest.raises(InvalidInput) as refused:
        chosen_language(junk)
    assert refused.value.details["field"] == "language"


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_domain_takes_the_helplines_languages_as_they_are(code):
    assert chosen_language(code) == code


@pytest.mark.parametrize("junk", ["fr", "HI ", "hindi", "hi\x00"])
def test_a_booking_with_a_junk_language_is_refused_before_anything_is_written(
        session, department, junk):
    slot = make_slot(session, department)
    with pytest.raises(InvalidInput) as refused:
        book_appointment(session, slot_id=slot.id, phone=next_mobile(), channel=Channel.AGENT,
                         language=junk)
    assert refused.value.details["field"] == "language"
    assert session.scalar(select(func.count()).select_from(Appointment)) == 0


@pytest.mark.parametrize("junk", ["fr", "HI ", "hindi", "hi\x00", ""])
def test_joining_a_waiting_list_with_a_junk_language_is_refused_before_anything_is_written(
        session, department, junk):
    """Its offer's SMS and call would go out in that language: refused, not made Hindi."""
    slot = make_slot(session, department, capacity=1)
    book_appointment(session, slot_id=slot.id, phone=next_mobile(), channel=Channel.AGENT)
    with pytest.raises(InvalidInput) as refused:
        join_waiting_list(session, department_id=department.id, day=slot.local_day,
                          phone=next_mobile(), channel=Channel.PORTAL, language=junk)
    assert refused.value.details["field"] == "language"
    assert session.scalar(select(func.count()).select_from(WaitingListEntry)) == 0


@pytest.mark.parametrize("junk", ["fr", "hindi", "hi\x00"])
def test_a_grievance_with_a_junk_language_is_refused_with_its_other_faults(session, junk):
    with pytest.raises(InvalidInput) as refused:
        register_grievance(session, phone=next_mobile(), category="cleanliness",
                           channel="agent", language=junk, description="a")
    assert set(refused.value.errors) == {"language", "description"}  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


@pytest.mark.parametrize("junk", ["fr", "", "HI "])
def test_account_services_refuse_a_junk_language(session, junk):
    with pytest.raises(InvalidInput):
        create_staff_user(session, username="new.clerk", password=PASSWORD, role="agent",
                          language=junk)
    staff = make_staff(session, "ward.clerk", language="en")
    with pytest.raises(InvalidInput) as refused:
        update_staff_user(session, staff.id, role="supervisor", display_name="Clerk",
                          language=junk, phone=None, hospital_id=None, active=True)
    assert refused.value.details["field"] == "language"
    session.expire_all()
    assert (staff.role.value, staff.language) == ("agent", "en")
    with pytest.raises(InvalidInput):
        set_agent_language(session, staff.id, junk)


# The console's forms ------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "junk"), [*IN_TURN, ("hi", ""), ("en", "")])
def test_the_agents_own_language_switch_refuses_junk(session, console, lang, junk):
    make_staff(session, "agent.lang", language=lang)
    session.commit()
    console.login("agent.lang")
    page = console.post("/console/me/language", {"language": junk, "next": "/console/"},
                        follow_redirects=True).get_data(as_text=True)
    assert _refusal(lang) in _said(page)
    assert f'<html lang="{lang}"' in page  # still in the agent's own language
    session.expire_all()
    assert session.scalar(select(StaffUser.language)
                          .where(StaffUser.username == "agent.lang")) == lang
    session.commit()


@pytest.mark.parametrize(("lang", "junk"), [*IN_TURN, ("hi", ""), ("en", None)])
def test_a_new_account_with_a_junk_language_is_refused(session, console, lang, junk):
    """None: the field left out of the form altogether, which the form never does."""
    make_staff(session, "admin.lang", role="admin", language=lang)
    session.commit()
    console.login("admin.lang")
    typed = {"username": "new.clerk", "display_name": "Mohd. Arif", "role": "agent",
             "phone": "98100 00002", "password": PASSWORD}
    if junk is not None:
        typed["language"] = junk
    answer = console.post("/console/admin/users", typed, follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert [r.status_code for r in answer.history] == [302]
    assert _refusal(lang) in _said(page)
    assert re.search(r'<select id="nu-lang"[^>]*aria-invalid="true"', page)
    assert re.search(r'id="nu-name"[^>]*value="([^"]*)"', page).group(1) == "Mohd. Arif"
    assert session.scalar(select(StaffUser.id)
                          .where(StaffUser.username == "new.clerk")) is None
    session.commit()


@pytest.mark.parametrize(("lang", "junk"), [*IN_TURN, ("hi", ""), ("en", None)])
def test_an_accounts_edit_with_a_junk_language_saves_nothing(session, console, lang, junk):
    make_staff(session, "admin.lang", role="admin", language=lang)
    clerk = make_staff(session, "ward.clerk", language="en")
    session.commit()
    clerk_id = clerk.id
    console.login("admin.lang")
    typed = {"role": "supervisor", "display_name": "Renamed", "active": "1",
             "phone": "98100 00003"}
    if junk is not None:
        typed["language"] = junk
    answer = console.post(f"/console/admin/users/{clerk_id}", typed, follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert _refusal(lang) in _said(page)
    assert re.search(rf'<select[^>]*form="user-{clerk_id}" name="language"[^>]*'
                     r'aria-invalid="true"', page)
    assert re.search(rf'<input[^>]*form="user-{clerk_id}" name="display_name"'
                     r'[^>]*value="Renamed"', page)  # kept as typed
    session.expire_all()
    saved = session.get(StaffUser, clerk_id)
    assert (saved.role.value, saved.display_name, saved.language) == (
        "agent", "ward.clerk", "en")
    session.commit()


@pytest.fixture
def booking_form(session, department):
    slot = make_slot(session, department, starts_in=dt.timedelta(days=2))
    session.commit()
    return {"slot": str(slot.id), "phone": "98100 00004",
            "hospital": str(department.hospital_id), "department": str(department.id),
            "day": slot.local_day.isoformat()}


@pytest.mark.parametrize(("lang", "junk"), IN_TURN)
def test_a_booking_on_a_callers_behalf_with_a_junk_language_is_refused(
        session, console, booking_form, lang, junk):
    make_staff(session, "agent.lang", language=lang)
    session.commit()
    console.login("agent.lang")
    answer = console.post("/console/booking/book", {**booking_form, "language": junk})
    assert answer.status_code == 302
    assert junk not in answer.headers["Location"]  # not carried back to the page
    page = console.get(answer.headers["Location"]).get_data(as_text=True)
    assert _refusal(lang) in _said(page)
    assert session.scalar(select(func.count()).select_from(Appointment)) == 0
    session.commit()


def test_a_booking_on_a_callers_behalf_without_a_language_is_in_hindi(
        session, console, booking_form):
    """The booking form always sends one; left out, the citizen's language is Hindi,
    the helpline's own default, as on the booking page itself."""
    make_staff(session, "agent.lang", language="en")
    session.commit()
    console.login("agent.lang")
    console.post("/console/booking/book", booking_form)
    assert session.scalars(select(Appointment.language)).one() == "hi"
    session.commit()


@pytest.mark.parametrize("junk", ["fr", "<script>", "x" * 5000])
def test_the_booking_page_shows_no_junk_language_from_its_address(
        session, console, booking_form, junk):
    make_staff(session, "agent.lang", language="en")
    session.commit()
    console.login("agent.lang")
    page = console.get("/console/booking", query_string={
        "phone": booking_form["phone"], "hospital": booking_form["hospital"],
        "department": booking_form["department"], "day": booking_form["day"],
        "language": junk}, follow_redirects=True).get_data(as_text=True)
    assert 'name="language" value="hi"' in page
    assert f'value="{junk}"' not in page
    session.commit()


@pytest.mark.parametrize(("lang", "junk"), IN_TURN)
def test_the_card_desk_refuses_a_junk_language(session, console, lang, junk):
    make_staff(session, "agent.lang", language=lang)
    session.commit()
    console.login("agent.lang")
    answer = console.post("/console/cards/issue", {
        "phone": "98100 00005", "card_name": "Kamla Devi", "year_of_birth": "1950",
        "sex": "female", "language": junk})
    assert answer.status_code == 302 and junk not in answer.headers["Location"]
    page = console.get(answer.headers["Location"]).get_data(as_text=True)
    assert _refusal(lang) in _said(page)
    assert session.scalar(select(func.count()).select_from(EHealthCard)) == 0
    session.commit()


@pytest.mark.parametrize(("lang", "junk"), IN_TURN)
def test_a_card_is_not_printed_in_a_junk_language(session, console, lang, junk):
    make_staff(session, "agent.lang", language=lang)
    session.commit()
    console.login("agent.lang")
    phone = "98100 00006"
    console.post("/console/cards/issue", {
        "phone": phone, "card_name": "Kamla Devi", "year_of_birth": "1950",
        "sex": "female", "language": "hi"})
    number = session.scalars(select(EHealthCard.number)).one()
    session.commit()
    answer = console.post("/console/cards/document", {
        "phone": phone, "card_number": number, "format": "pdf", "language": junk})
    assert answer.status_code == 302
    page = console.get(answer.headers["Location"]).get_data(as_text=True)
    assert _refusal(lang) in _said(page)


@pytest.mark.parametrize(("lang", "junk"), IN_TURN)
def test_a_new_grievance_with_a_junk_language_is_refused(session, console, lang, junk):
    make_staff(session, "agent.lang", language=lang)
    session.commit()
    console.login("agent.lang")
    words = "The ward has not been cleaned for two days."
    answer = console.post("/console/grievances/new", {
        "phone": "98100 00007", "category": "cleanliness", "language": junk,
        "description": words})
    page = answer.get_data(as_text=True)
    assert _refusal(lang) in _said(page)
    assert re.search(r'<select id="language"[^>]*aria-invalid="true"', page)
    assert words in page and "98100 00007" in page  # the rest kept as typed
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0
    session.commit()
