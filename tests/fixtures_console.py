"""Fixtures for the console and grievance workflow tests."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy.orm import Session

from contact_centre.accounts import create_staff_user
from contact_centre.models import StaffUser
from grievances.models import Grievance
from grievances.services import register_grievance
from tests.factories import make_department, make_hospital

_phones = itertools.count(12345)
CONSOLE_PASSWORD = "correct horse battery"


def next_mobile() -> str:
    return f"+9198{next(_phones):08d}"


def make_grievance(session: Session, *, phone: str | None = None, now: dt.datetime | None = None,
                   **kw) -> Grievance:
    kw.setdefault("category", "cleanliness")
    kw.setdefault("channel", "ivr")
    kw.setdefault("description", "Toilets in the OPD block are not cleaned.")
    return register_grievance(session, phone=phone or next_mobile(), now=now, **kw)


def make_staff(session: Session, username: str, role: str = "agent", **kw) -> StaffUser:
    kw.setdefault("password", CONSOLE_PASSWORD)
    kw.setdefault("phone", next_mobile())
    return create_staff_user(session, username=username, role=role, **kw)


@pytest.fixture
def hospital(session):
    return make_hospital(session)


@pytest.fixture
def department(session, hospital):
    return make_department(session, hospital)


@pytest.fixture
def agent(session):
    return make_staff(session, "agent.one")


@pytest.fixture
def other_agent(session):
    return make_staff(session, "agent.two")


@pytest.fixture
def supervisor(session):
    return make_staff(session, "super.one", role="supervisor")


@pytest.fixture
def admin_user(session):
    return make_staff(session, "admin.one", role="admin")


def csrf_from(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def result_version(html: str, callback_id: int) -> str:
    """The result version the callbacks page's result form for ``callback_id`` carries
    (what a browser sends back with it)."""
    import re

    found = re.search(rf'action="/console/callbacks/{callback_id}/(?:outcome|correct)"'
                      r'[^>]*>.*?name="version" value="(\d+)"', html, re.S)
    assert found, f"no result form on callback {callback_id}'s card"
    return found.group(1)


class ConsoleClient:
    """A Flask test client signed in to the console, posting forms with the CSRF token."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = ""

    def login(self, username: str, password: str = CONSOLE_PASSWORD):
        page = self.client.get("/console/login")
        self.token = csrf_from(page.get_data(as_text=True))
        answer = self.client.post("/console/login", data={
            "username": username, "password": password, "csrf_token": self.token})
        if answer.status_code == 302:
            home = self.client.get("/console/")
            self.token = csrf_from(home.get_data(as_text=True))
        return answer

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw):
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token}, **kw)


def clerks_of(session: Session, app, hospital_id: int, prefix: str) -> dict[str, ConsoleClient]:
    """A signed-in clerk of the hospital in each language: {"en": client, "hi": client}
    (usernames ``<prefix>.en`` and ``<prefix>.hi``)."""
    signed_in = {}
    for lang in ("en", "hi"):
        staff = make_staff(session, f"{prefix}.{lang}", hospital_id=hospital_id,
                           language=lang)
        client = ConsoleClient(app.test_client())
        client.login(staff.username)
        signed_in[lang] = client
    return signed_in


@pytest.fixture
def console(client):
    return ConsoleClient(client)


@pytest.fixture
def admin_in(session, console, hospital):
    """Signs an admin in to the console in a language (``admin_in("hi")``), with an agent
    account ``asha.v`` already there (a username taken, a row to edit)."""
    def sign_in(lang: str) -> None:
        make_staff(session, f"admin.{lang}", role="admin", language=lang)
        make_staff(session, "asha.v")  # the username already taken
        session.commit()
        console.login(f"admin.{lang}")
    return sign_in
