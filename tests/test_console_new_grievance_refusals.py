"""The console's new-grievance form says every refused field at once, each in its own
words under the field and marked, as the accounts and master-data forms do: the domain checks the
citizen's mobile together with the category and the words
(``grievances.services.check_grievance``) before it writes anything."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from booking_core.base import FieldErrors
from booking_core.phones import InvalidMobile
from grievances.models import Grievance
from grievances.services import DescriptionTooShort, register_grievance
from locales import render
from tests.fixtures_console import make_staff

# Every kind of number an agent may type that is no Indian mobile: too short, a Delhi
# landline, a foreign mobile, letters, nothing.
NOT_A_MOBILE = ["12345", "011 2345 6789", "+1 415 555 0123", "call me", "  "]


def _said(page: str) -> list[str]:
    """The refusals said, each under its field, in the page's order."""
    return [html.unescape(text).strip() for text in
            re.findall(r'<div class="[^"]*field-error[^"]*"[^>]*>([^<]+)</div>', page)]


def _marked(page: str) -> set[str]:
    return set(re.findall(r'name="(\w+)"[^>]*aria-invalid="true"', page))


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("phone", NOT_A_MOBILE)
def test_a_wrong_mobile_and_too_few_words_are_said_together(console, session, lang, phone):
    make_staff(session, "agent.form", language=lang)
    console.login("agent.form")
    answer = console.post("/console/grievances/new", data={
        "phone": phone, "category": "cleanliness", "description": "a", "language": "hi"})
    page = answer.get_data(as_text=True)
    said = _said(page)
    assert len(said) == 2, said
    assert render(lang, "console.err.description_too_short",
                  min_words=2, min_letters=8) in said
    assert _marked(page) == {"phone", "description"}
    assert 'value="' + html.escape(phone, quote=True) + '"' in page  # kept as typed
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


def test_one_wrong_field_is_marked_alone(console, session):
    make_staff(session, "agent.form", language="en")
    console.login("agent.form")
    page = console.post("/console/grievances/new", data={
        "phone": "12345", "category": "cleanliness",
        "description": "The fan in ward 4 has not worked for a week.",
        "language": "hi"}).get_data(as_text=True)
    assert len(_said(page)) == 1
    assert _marked(page) == {"phone"}


@pytest.mark.parametrize("phone", NOT_A_MOBILE)
def test_the_domain_refuses_the_mobile_with_the_words_before_writing(session, phone):
    with pytest.raises(FieldErrors) as refused:
        register_grievance(session, phone=phone, category="nonsense", channel="agent",
                           description="a")
    errors = refused.value.errors
    assert set(errors) == {"phone", "category", "description"}
    assert isinstance(errors["phone"], InvalidMobile)
    assert isinstance(errors["description"], DescriptionTooShort)
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_refusals_are_said_in_the_order_of_the_form(console, session, lang):
    """The form asks for the mobile, the category, then the words: its messages come in
    that order (the domain checks the words before the mobile)."""
    make_staff(session, "agent.form", language=lang)
    console.login("agent.form")
    page = console.post("/console/grievances/new", data={
        "phone": "12345", "category": "nonsense", "description": "a",
        "language": "hi"}).get_data(as_text=True)
    assert _said(page) == [
        render(lang, "console.err.invalid_mobile.invalid"),
        render(lang, "console.err.invalid_input.category"),
        render(lang, "console.err.description_too_short", min_words=2, min_letters=8)]
    order = [page.index(f'name="{name}"') for name in ("phone", "category", "description")]
    assert order == sorted(order)  # the form shows its fields in that order
    assert _marked(page) == {"phone", "category", "description"}


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("hospital", ["9999", "abc", "-1"])
def test_a_junk_hospital_is_said_with_the_other_refusals_in_the_forms_own_words(
        console, session, lang, hospital):
    """A hospital that is not on the list is refused together with a wrong mobile and
    missing words (not only once they are right), in the new grievance's words ("choose
    a hospital from the list", not the transfer form's "a different one from where it
    is now"); missing words are told the same rule as too few."""
    make_staff(session, "agent.form", language=lang)
    console.login("agent.form")
    page = console.post("/console/grievances/new", data={
        "phone": "12ab", "category": "cleanliness", "description": "", "language": "hi",
        "hospital": hospital}).get_data(as_text=True)
    said = _said(page)
    rule = render(lang, "console.err.description_too_short", min_words=2, min_letters=8)
    choose = render(lang, "console.err.invalid_input.no_such_hospital")
    assert len(said) == 3, said
    # In the form's order: mobile, hospital, then the words.
    assert said[1:] == [choose, rule], said
    assert render(lang, "console.err.invalid_input.hospital_id") not in said
    assert _marked(page) == {"phone", "hospital", "description"}
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("description", ["", "   ", "ok", "hi there"])
def test_no_words_and_too_few_words_are_told_one_rule(console, session, lang, description):
    make_staff(session, "agent.form", language=lang)
    console.login("agent.form")
    page = console.post("/console/grievances/new", data={
        "phone": "9812300041", "category": "cleanliness", "description": description,
        "language": "hi"}).get_data(as_text=True)
    assert _said(page) == [render(lang, "console.err.description_too_short",
                                     min_words=2, min_letters=8)]
