"""A refused console form says each refusal under its own field, tied to it for screen
readers (``aria-invalid``, ``aria-describedby`` naming the message), with one short
sentence at the top: Admin → Accounts (a new account and an account's row) and the new
grievance form, through the one macro the master-data forms use too
(``console/_field_errors.html``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from contact_centre.accounts import create_staff_user
from contact_centre.models import StaffUser
from grievances.models import Grievance
from locales import render
from tests.fixtures_console import make_staff

PASSWORD = "a secret long password"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return " ".join("".join(c if isinstance(c, str) else c.text()
                                for c in self.children).split())

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.walk()

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class Tree(HTMLParser):
    """The page as elements, enough to ask which block holds what."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.at = Element("#root", {})
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.at)
        self.at.children.append(element)
        if tag not in VOID:
            self.at = element

    def handle_endtag(self, tag: str) -> None:
        at: Element | None = self.at
        while at is not None and at.tag != tag:
            at = at.parent
        if at is not None and at.parent is not None:
            self.at = at.parent

    def handle_data(self, data: str) -> None:
        self.at.children.append(data)

    def by_id(self, element_id: str) -> Element | None:
        return next((e for e in self.root.walk() if e.attrs.get("id") == element_id), None)

    def control(self, name: str, form: str | None = None) -> Element:
        found = [e for e in self.root.walk() if e.tag in ("input", "select", "textarea")
                 and e.attrs.get("name") == name
                 and (form is None or e.attrs.get("form") == form
                      or _inside_form(e, form))]
        assert len(found) == 1, (name, form, len(found))
        return found[0]

    def field_messages(self) -> list[str]:
        return [e.text() for e in self.root.walk() if "field-error" in e.classes()]

    def flashed_errors(self) -> list[str]:
        return [e.text() for e in self.root.walk()
                if e.tag == "p" and {"flash", "error"} <= e.classes()]


def _inside_form(element: Element, form_id: str) -> bool:
    at = element.parent
    while at is not None:
        if at.tag == "form":
            return at.attrs.get("id") == form_id
        at = at.parent
    return False


def said_beside(tree: Tree, control: Element, message: str) -> None:
    """``message`` sits in ``control``'s own block (its parent: a table cell, a form's
    field), marked and named by ``aria-describedby``."""
    assert control.attrs.get("aria-invalid") == "true", control.attrs
    described = control.attrs.get("aria-describedby", "").split()
    said = [tree.by_id(i) for i in described]
    errors = [e for e in said if e is not None and "field-error" in e.classes()]
    assert len(errors) == 1, (control.attrs, described)
    assert errors[0].text() == message
    assert errors[0].parent is control.parent  # in the field's own block
    others = [e for e in control.parent.walk()
              if e.tag in ("input", "select", "textarea") and e is not control]
    assert not others, [o.attrs for o in others]  # a block of one field


def not_refused(control: Element) -> None:
    assert "aria-invalid" not in control.attrs, control.attrs
    assert "field-error" not in " ".join(
        e.attrs.get("class", "") for e in control.parent.walk())


def summary(tree: Tree, lang: str) -> None:
    top = tree.by_id("form-refused")
    assert top is not None and top.text() == render(lang, "console.md.form_refused")


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_new_account_says_each_refusal_under_its_field(console, session, admin_in, lang):
    admin_in(lang)
    answer = console.post("/console/admin/users", {
        "username": "asha.v", "display_name": "Mohd. Arif", "role": "agent",
        "language": "fr", "phone": "98100", "hospital": "", "password": "short"},
        follow_redirects=True)
    tree = Tree(answer.get_data(as_text=True))
    expected = {"username": "console.err.conflict.username",
                "language": "console.err.invalid_input.language",
                "phone": "console.err.invalid_mobile.invalid",
                "password": "console.err.password_too_short"}
    for name, key in expected.items():
        said_beside(tree, tree.control(name, "create-user"), render(lang, key))
    for name in ("display_name", "role", "hospital"):
        not_refused(tree.control(name, "create-user"))
    # In the form's order, top to bottom, and not said again at the top.
    assert tree.field_messages() == [render(lang, key) for key in expected.values()]
    assert tree.flashed_errors() == []
    summary(tree, lang)
    # What was typed is kept; the emptied password says so, tied to the field too.
    assert tree.control("display_name", "create-user").attrs["value"] == "Mohd. Arif"
    assert tree.control("phone", "create-user").attrs["value"] == "98100"
    password = tree.control("password", "create-user")
    note = [tree.by_id(i) for i in password.attrs["aria-describedby"].split()]
    assert render(lang, "console.password_not_kept") in [n.text() for n in note if n]
    assert session.scalar(select(func.count()).select_from(StaffUser)
                          .where(StaffUser.display_name == "Mohd. Arif")) == 0
    session.commit()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_an_accounts_row_says_each_refusal_in_its_own_cell(console, session, admin_in, lang):
    admin_in(lang)
    asha_id = session.scalar(select(StaffUser.id).where(StaffUser.username == "asha.v"))
    session.commit()
    answer = console.post(f"/console/admin/users/{asha_id}", {
        "role": "supervisor", "display_name": "Asha", "language": "hindi",
        "phone": "011 2345 6789", "hospital": "999999", "active": "1",
        "password": "short"}, follow_redirects=True)
    tree = Tree(answer.get_data(as_text=True))
    row = f"user-{asha_id}"
    expected = {"language": "console.err.invalid_input.language",
                "phone": "console.err.invalid_mobile.not_mobile",
                "hospital": "console.err.invalid_input.hospital",
                "password": "console.err.password_too_short"}
    for name, key in expected.items():
        control = tree.control(name, row)
        said_beside(tree, control, render(lang, key))
        assert control.parent.tag == "td"
    for name in ("display_name", "role", "active"):
        not_refused(tree.control(name, row))
    assert tree.field_messages() == [render(lang, key) for key in expected.values()]
    assert tree.flashed_errors() == []
    summary(tree, lang)
    # The ids are the row's own: another row's fields are neither marked nor named.
    me = session.scalar(select(StaffUser.id).where(StaffUser.username == f"admin.{lang}"))
    for name in expected:
        not_refused(tree.control(name, f"user-{me}"))
    session.commit()


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_new_grievance_says_each_refusal_under_its_field(console, session, lang):
    make_staff(session, "agent.form", language=lang)
    session.commit()
    console.login("agent.form")
    answer = console.post("/console/grievances/new", {
        "phone": "12345", "category": "cleanliness", "language": "<script>",
        "description": "a"})
    tree = Tree(answer.get_data(as_text=True))
    expected = {"phone": ("console.err.invalid_mobile.invalid", {}),
                "language": ("console.err.invalid_input.language", {}),
                "description": ("console.err.description_too_short",
                                {"min_words": 2, "min_letters": 8})}
    for name, (key, params) in expected.items():
        said_beside(tree, tree.control(name), render(lang, key, **params))
    for name in ("category", "hospital"):
        not_refused(tree.control(name))
    assert tree.field_messages() == [render(lang, key, **params)
                                     for key, params in expected.values()]
    assert tree.flashed_errors() == []
    summary(tree, lang)
    assert tree.control("phone").attrs["value"] == "12345"
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


def test_a_form_that_is_accepted_says_no_refusal(console, session, admin_in):
    admin_in("en")
    answer = console.post("/console/admin/users", {
        "username": "new.clerk", "role": "agent", "language": "hi",
        "password": PASSWORD}, follow_redirects=True)
    tree = Tree(answer.get_data(as_text=True))
    assert tree.field_messages() == [] and tree.by_id("form-refused") is None
    session.commit()


def _selected(control: Element) -> str:
    chosen = [o for o in control.walk() if o.tag == "option" and "selected" in o.attrs]
    return chosen[0].attrs.get("value", "") if chosen else ""


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_a_refused_rows_lists_keep_the_saved_value_where_the_sent_one_is_no_choice(
        console, session, admin_in, hospital, lang):
    """A forged language, hospital, role or on/off is refused; the row's lists then show
    the account's saved values, not their first choice (Hindi, "—"), so saving the row
    again after fixing the rest changes nothing the admin did not choose. A cleared name
    is refused too, not replaced by the username."""
    admin_in(lang)
    asha = session.scalar(select(StaffUser).where(StaffUser.username == "asha.v"))
    asha.language, asha.hospital_id, asha.display_name = "en", hospital.id, "Asha Verma"
    asha_id = asha.id
    session.commit()
    answer = console.post(f"/console/admin/users/{asha_id}", {
        "role": "owner", "display_name": "   ", "language": "fr", "phone": "",
        "hospital": "999999", "active": "maybe"}, follow_redirects=True)
    tree = Tree(answer.get_data(as_text=True))
    row = f"user-{asha_id}"
    said_beside(tree, tree.control("display_name", row),
                render(lang, "console.err.invalid_input.display_name"))
    for name in ("language", "hospital", "role"):
        assert tree.control(name, row).attrs.get("aria-invalid") == "true", name
    assert _selected(tree.control("language", row)) == "en"
    assert _selected(tree.control("hospital", row)) == str(hospital.id)
    assert _selected(tree.control("role", row)) == "agent"
    session.expire_all()
    kept = session.get(StaffUser, asha_id)
    assert (kept.display_name, kept.language, kept.hospital_id) == (
        "Asha Verma", "en", hospital.id)
    session.commit()


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_a_new_account_with_no_name_is_called_by_its_username(session, typed):
    """Creating, the name may be left out (the form does not require one); the account
    is then shown by its username, never by an empty name."""
    user = create_staff_user(session, username="ravi.k", password=PASSWORD, role="agent",
                             display_name=typed)
    session.commit()
    assert user.display_name == "ravi.k"
