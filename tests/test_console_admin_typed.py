"""A refused admin form gives back what was typed, in Hindi and English: a new account
(a username already taken, a short password), an account's edit, the routing table, and
a hospital's own figures. The password alone is not given back, and the page says so
beside the emptied field."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from booking_core.resources import update_resources
from contact_centre.models import StaffUser
from locales import render
from tests.fixtures_console import make_staff

PASSWORD = "a secret long password"


def page_of(answer) -> str:
    assert [r.status_code for r in answer.history] == [302], answer.status_code
    return answer.get_data(as_text=True)


def field(page: str, name: str, form: str | None = None) -> str:
    """The value an input named ``name`` (of the form ``form``, if given) shows."""
    owner = rf'[^>]*form="{form}"' if form else ""
    found = re.search(rf'<input(?={owner})[^>]*name="{name}"[^>]*>', page)
    assert found, name
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def chosen(page: str, select_id: str) -> str:
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert found, select_id
    option = re.search(r'<option value="([^"]*)" selected', found.group(1))
    return option.group(1) if option else ""


def row_chosen(page: str, user_id: int, name: str) -> str:
    found = re.search(rf'<select[^>]*form="user-{user_id}" name="{name}"[^>]*>(.*?)</select>',
                      page, re.S)
    assert found, name
    option = re.search(r'<option value="([^"]*)" selected', found.group(1))
    return option.group(1) if option else ""


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_username_already_taken_gives_back_every_field_but_the_password(
        console, session, hospital, admin_in, lang):
    admin_in(lang)
    typed = {"username": "asha.v", "display_name": "आशा वर्मा", "role": "supervisor",
             "language": "en" if lang == "hi" else "hi", "phone": "98100 00001",
             "hospital": str(hospital.id), "password": PASSWORD}
    page = page_of(console.post("/console/admin/users", typed, follow_redirects=True))
    shown = html.unescape(page)
    assert render(lang, "console.err.conflict.username") in shown
    if lang == "hi":
        assert "यह यूज़रनेम पहले से लिया हुआ है" in shown
    assert re.search(r'id="nu-username"[^>]*value="([^"]*)"', page).group(1) == "asha.v"
    assert re.search(r'id="nu-name"[^>]*value="([^"]*)"', page).group(1) == "आशा वर्मा"
    assert re.search(r'id="nu-phone"[^>]*value="([^"]*)"', page).group(1) == "98100 00001"
    assert chosen(page, "nu-role") == "supervisor"
    assert chosen(page, "nu-lang") == typed["language"]
    assert chosen(page, "nu-hospital") == str(hospital.id)
    assert 'aria-invalid="true"' in re.search(r'<input id="nu-username"[^>]*>', page).group(0)
    assert PASSWORD not in page
    assert 'value=""' not in re.search(r'<input id="nu-password"[^>]*>', page).group(0)
    assert render(lang, "console.password_not_kept") in shown
    # Shown once: the page drawn again is an empty form.
    again = console.get("/console/admin/users").get_data(as_text=True)
    assert re.search(r'id="nu-name"[^>]*value="([^"]*)"', again).group(1) == ""
    assert render(lang, "console.password_not_kept") not in html.unescape(again)
    assert session.scalar(select(StaffUser.display_name)
                          .where(StaffUser.username == "asha.v")) != "आशा वर्मा"
    session.commit()


def test_a_short_password_gives_back_the_rest(console, session, hospital, admin_in):
    admin_in("en")
    page = page_of(console.post("/console/admin/users", {
        "username": "new.clerk", "display_name": "Mohd. Arif", "role": "agent",
        "language": "hi", "phone": "98100 00002", "hospital": "", "password": "short"},
        follow_redirects=True))
    assert "at least 10 characters" in page
    assert re.search(r'id="nu-username"[^>]*value="([^"]*)"', page).group(1) == "new.clerk"
    assert re.search(r'id="nu-name"[^>]*value="([^"]*)"', page).group(1) == "Mohd. Arif"
    assert chosen(page, "nu-lang") == "hi"
    assert render("en", "console.password_not_kept") in html.unescape(page)
    assert session.scalar(select(StaffUser.id).where(StaffUser.username == "new.clerk")) is None
    session.commit()


def _marked(page: str, tag_id: str) -> bool:
    tag = re.search(rf'<(?:input|select) id="{tag_id}"[^>]*>', page)
    assert tag, tag_id
    return 'aria-invalid="true"' in tag.group(0)


def _messages(page: str) -> list[str]:
    """The refusals said, each under its field, in the page's order (at the top, only a
    short sentence that the form was refused: ``test_console_field_refusals``)."""
    return [html.unescape(re.sub(r"<[^>]+>", "", m)).strip() for m in re.findall(
        r'<div[^>]*class="[^"]*field-error[^"]*"[^>]*>(.*?)</div>', page, re.S)]


# Each way an account form can be wrong, with the field it marks and the sentence said.
NEW_ACCOUNT_FAULTS = [
    ({"username": "asha.v"}, "nu-username", "console.err.conflict.username"),
    ({"username": "asha v!"}, "nu-username", "console.err.invalid_input.username"),
    ({"password": "short"}, "nu-password", "console.err.password_too_short"),
    ({"password": " " * 12}, "nu-password", "console.err.password_too_short"),
    ({"password": "  short    pw  "}, "nu-password", "console.err.password_too_short"),
    ({"username": "कमल"}, "nu-username", "console.err.invalid_input.username"),
    ({"username": ""}, "nu-username", "console.err.invalid_input.no_username"),
    ({"phone": "2223456789"}, "nu-phone", "console.err.invalid_mobile.not_mobile"),
    ({"phone": "98100"}, "nu-phone", "console.err.invalid_mobile.invalid"),
    ({"hospital": "999999"}, "nu-hospital", "console.err.invalid_input.hospital"),
    ({"role": "superuser"}, "nu-role", "console.err.invalid_input.role"),
    ({"username": "   "}, "nu-username", "console.err.invalid_input.no_username"),
    ({"username": "a" * 80}, "nu-username", "console.err.username_too_long"),
    ({"username": "कमल" * 27}, "nu-username", "console.err.username_too_long"),
]


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_new_account_says_everything_wrong_at_once(console, session, hospital, admin_in,
                                                     lang):
    admin_in(lang)
    typed = {"username": "new.clerk", "display_name": "Mohd. Arif", "role": "agent",
             "language": "hi", "phone": "", "hospital": "", "password": PASSWORD}
    faults = [NEW_ACCOUNT_FAULTS[i] for i in (1, 2, 7, 9, 10)]  # one per field
    for fault, _, _ in faults:
        typed.update(fault)
    page = page_of(console.post("/console/admin/users", typed, follow_redirects=True))
    said = _messages(page)
    for _, tag_id, key in faults:
        assert render(lang, key) in said, (key, said)
        assert _marked(page, tag_id), tag_id
    assert len(said) == len(faults)  # one sentence per field
    # in the order the form shows its fields, top to bottom
    order = [page.index(f'id="{tag_id}"') for _, tag_id, _ in faults]
    assert said == [render(lang, key) for _, _, key in sorted(
        faults, key=lambda fault: order[faults.index(fault)])], said
    assert not _marked(page, "nu-name") and not _marked(page, "nu-lang")
    assert session.scalar(select(StaffUser.id).where(StaffUser.username == "new.clerk")) is None
    session.commit()


@pytest.mark.parametrize(("fault", "tag_id", "key"), NEW_ACCOUNT_FAULTS)
def test_each_account_fault_alone_names_only_its_field(console, session, hospital, admin_in,
                                                       fault, tag_id, key):
    admin_in("hi")
    typed = {"username": "new.clerk", "display_name": "", "role": "agent",
             "language": "hi", "phone": "", "hospital": "", "password": PASSWORD, **fault}
    page = page_of(console.post("/console/admin/users", typed, follow_redirects=True))
    assert _messages(page) == [render("hi", key)]
    assert _marked(page, tag_id)
    session.commit()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_username_too_long_is_said_as_its_length_not_the_letters_rule(
        console, session, hospital, admin_in, lang):
    admin_in(lang)
    page = page_of(console.post("/console/admin/users", {
        "username": "a" * 80, "role": "agent", "language": "hi", "password": PASSWORD},
        follow_redirects=True))
    assert _messages(page) == [render(lang, "console.err.username_too_long")]
    assert render(lang, "console.err.invalid_input.username") not in html.unescape(page)
    assert "60" in render(lang, "console.err.username_too_long")
    assert _marked(page, "nu-username")
    session.commit()


@pytest.mark.parametrize("phone", ["098100 00004", "+91 98100 00004", "0091-9810000004",
                                   "91 9810000004", "९८१०० ००००४"])
def test_an_agent_mobile_is_taken_as_indians_type_it(console, session, admin_in, phone):
    admin_in("en")
    page = page_of(console.post("/console/admin/users", {
        "username": "new.clerk", "role": "agent", "language": "en", "phone": phone,
        "password": PASSWORD}, follow_redirects=True))
    assert _messages(page) == [], _messages(page)
    saved = session.scalar(select(StaffUser.phone).where(StaffUser.username == "new.clerk"))
    assert saved == "+919810000004"
    session.commit()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_an_edit_says_everything_wrong_at_once(console, session, hospital, admin_in, lang):
    admin_in(lang)
    asha = session.scalars(select(StaffUser).where(StaffUser.username == "asha.v")).one()
    asha_id, saved_role = asha.id, asha.role
    session.commit()
    page = page_of(console.post(f"/console/admin/users/{asha_id}", {
        "role": "supervisor", "display_name": "Asha", "language": "hi",
        "phone": "011 2345 6789", "hospital": "999999", "active": "1",
        "password": "short"}, follow_redirects=True))
    said = _messages(page)
    assert said == [render(lang, key) for key in (  # the row's order: phone, hospital, password
        "console.err.invalid_mobile.not_mobile", "console.err.invalid_input.hospital",
        "console.err.password_too_short")], said
    for name in ("phone", "hospital", "password"):
        tag = re.search(rf'<(?:input|select)[^>]*form="user-{asha_id}" name="{name}"[^>]*>',
                        page).group(0)
        assert 'aria-invalid="true"' in tag, name
    session.expire_all()
    assert session.get(StaffUser, asha_id).role == saved_role  # nothing saved
    session.commit()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_refused_edit_gives_back_that_row_as_typed(console, session, hospital, admin_in,
                                                     lang):
    admin_in(lang)
    asha = session.scalars(select(StaffUser).where(StaffUser.username == "asha.v")).one()
    asha_id, saved_name = asha.id, asha.display_name
    session.commit()
    page = page_of(console.post(f"/console/admin/users/{asha_id}", {
        "role": "supervisor", "display_name": "आशा V. वर्मा", "language": "hi",
        "phone": "98100 00003", "hospital": "999999", "active": "0",
        "password": PASSWORD}, follow_redirects=True))
    assert field(page, "display_name", form=f"user-{asha_id}") == "आशा V. वर्मा"
    assert field(page, "phone", form=f"user-{asha_id}") == "98100 00003"
    assert row_chosen(page, asha_id, "role") == "supervisor"
    assert row_chosen(page, asha_id, "active") == "0"
    assert PASSWORD not in page
    assert render(lang, "console.password_not_kept") in html.unescape(page)
    session.expire_all()
    assert session.get(StaffUser, asha_id).display_name == saved_name  # nothing saved
    session.commit()
    # Another row shows its own saved values.
    me = session.scalars(select(StaffUser).where(StaffUser.username == f"admin.{lang}")).one()
    assert field(page, "display_name", form=f"user-{me.id}") == me.display_name
    session.commit()


def test_a_refused_routing_table_comes_back_as_typed(console, session, admin_in):
    admin_in("en")
    form = console.get("/console/admin/routes").get_data(as_text=True)
    values = dict(re.findall(r'name="(\w+_(?:ack|resolve))" value="([^"]*)"', form))
    values.update(re.findall(r'<select[^>]*name="(\w+_desk)".*?<option value="([^"]*)" selected',
                             form))
    values.update(re.findall(
        r'<select[^>]*name="(\w+_priority)".*?<option value="([^"]*)" selected', form))
    first = next(k for k in values if k.endswith("_ack"))
    other = next(k for k in values if k.endswith("_resolve"))
    values[first], values[other] = "31", "45"  # 31 working days: refused
    page = page_of(console.post("/console/admin/routes", values, follow_redirects=True))
    assert re.search(rf'name="{first}" value="31"', page)
    assert re.search(rf'name="{other}" value="45"', page)


def test_a_refused_hospital_figure_comes_back_as_typed(console, session, hospital):
    make_staff(session, "staff.lnh", hospital_id=hospital.id)
    update_resources(session, hospital.id, {"beds": {"icu": {"total": 10, "occupied": 9}}},
                     source="test")
    session.commit()
    console.login("staff.lnh")
    answer = console.post("/console/hospitals/mine", {"icu_total": "3", "icu_occupied": "4",
                                                     "general_total": "ten"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'name="icu_total"[^>]*value="3"', page)
    assert re.search(r'name="icu_occupied"[^>]*value="4"', page)
    assert re.search(r'name="general_total"[^>]*value="ten"', page)
