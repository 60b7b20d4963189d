"""Fixtures for the portal API tests: a small catalogue, verified phones, and a check
that a response matches its schema in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select

from booking_core.hospitals import Department, Hospital
from booking_core.outbox import OutboxMessage
from booking_core.slots import Slot
from tests.factories import make_department, make_hospital, make_slot

API = "/api/v1"


@dataclass
class Catalogue:
    hospital: Hospital
    other_hospital: Hospital
    department: Department
    other_department: Department
    slot: Slot
    later_slot: Slot


@pytest.fixture
def catalogue(session) -> Catalogue:
    hospital = make_hospital(session, code="LNH", name_en="Lok Nayak Hospital",
                             name_hi="लोक नायक अस्पताल", district="Central", district_hi="मध्य")
    other = make_hospital(session, code="GTB", name_en="Guru Teg Bahadur Hospital",
                          name_hi="गुरु तेग बहादुर अस्पताल", district="Shahdara",
                          district_hi="शाहदरा")
    dep = make_department(session, hospital, code="ortho")
    other_dep = make_department(session, other, code="eye", name_en="Ophthalmology",
                                name_hi="नेत्र रोग")
    slot = make_slot(session, dep, starts_in=dt.timedelta(days=2), capacity=3)
    later = make_slot(session, dep, starts_in=dt.timedelta(days=4), capacity=3)
    return Catalogue(hospital, other, dep, other_dep, slot, later)


def latest_code(session, e164: str) -> str:
    """The code in the newest OTP SMS queued for ``e164`` (what the citizen reads)."""
    row = session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.to_phone == e164, OutboxMessage.template == "otp_code")
        .order_by(OutboxMessage.id.desc())
    )
    assert row is not None, "no OTP SMS queued"
    code = str(row.params["code"])
    session.commit()
    return code


@contextmanager
def reading(session) -> Iterator[None]:
    """Read what the app committed, then end the read: on SQLite every transaction
    holds the write lock (BEGIN IMMEDIATE), so the app's next request would wait for
    it. Committing (unlike rolling back) keeps loaded objects usable."""
    session.expire_all()
    try:
        yield
    finally:
        session.commit()


@pytest.fixture
def verify(client, session):
    """Run the real OTP flow for a phone; return the verification token."""

    def run(phone: str, e164: str) -> str:
        sent = client.post(f"{API}/verifications", json={"phone": phone, "language": "en"})
        assert sent.status_code == 202, sent.json
        confirmed = client.post(f"{API}/verifications/confirm",
                                json={"phone": phone, "code": latest_code(session, e164)})
        assert confirmed.status_code == 200, confirmed.json
        return str(confirmed.json["verification_token"])

    return run


@pytest.fixture
def conforms(app):
    """``conforms(body, "Appointment")`` asserts ``body`` matches that schema in the
    served OpenAPI document (formats checked too)."""
    document = app.test_client().get(f"{API}/openapi.json").json

    def check(body: Any, schema_name: str) -> None:
        validator = Draft202012Validator(
            {"$ref": f"#/components/schemas/{schema_name}",
             "components": document["components"]},
            format_checker=FormatChecker(),
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert errors == [], errors

    return check
