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
