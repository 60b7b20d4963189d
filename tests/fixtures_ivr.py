"""Fixtures for the ivr tests: a small Delhi, and a phone that talks to the app the way
Twilio does (signed form posts, TwiML parsed with ElementTree)."""

from __future__ import annotations

import datetime as dt
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from twilio.request_validator import RequestValidator

from booking_core.resources import update_resources
from ivr.devphone import heard_text
from tests.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN, make_settings
from tests.factories import IST, make_department, make_hospital, make_schedule, make_slot

CALLER = "+919812345678"


def signed_post(client: Any, url: str, params: dict[str, str], token: str = TWILIO_TOKEN):
    """POST like Twilio: the signature covers the public URL and the form."""
    signature = RequestValidator(token).compute_signature(url, params)
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


class Phone:
    """One caller's call: each method answers the TwiML the app last returned."""

    def __init__(self, client: Any, caller: str = CALLER, call_sid: str | None = None,
                 session: Any = None):
        self.client = client
        # The test's own session: its read transaction is ended before each webhook, so
        # SQLite's write lock is free for the app (as it would be between two requests).
        self.session = session
        self.caller = caller
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.root: ET.Element | None = None
        self.last_url = ""
        self.keys_pressed = 0

    def post(self, url: str, **params: str) -> ET.Element:
        if not url.startswith("http"):
            url = PUBLIC_BASE_URL + url
        form = {"CallSid": self.call_sid, "From": self.caller, "To": "+911140000000",
                "AccountSid": "AC" + "0" * 32, "CallStatus": "in-progress", **params}
        if self.session is not None:
            self.session.rollback()
        response = signed_post(self.client, url, form)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        self.last_url = url
        self.root = ET.fromstring(response.get_data(as_text=True))
        return self.root

    def call(self) -> ET.Element:
        return self.post("/ivr/voice")

    # What the caller hears and can do now ------------------------------------
    @property
    def gather(self) -> ET.Element:
        assert self.root is not None
        found = self.root.find("Gather")
        assert found is not None, ET.tostring(self.root, encoding="unicode")
        return found

    @property
    def said(self) -> str:
        assert self.root is not None
        return " ".join(heard_text(s) for s in self.root.iter("Say"))

    def says(self) -> list[ET.Element]:
        assert self.root is not None
        return list(self.root.iter("Say"))

    def verbs(self) -> list[str]:
        assert self.root is not None
        return [child.tag for child in self.root]

    def press(self, digits: str) -> ET.Element:
        """Keys pressed as Twilio posts them: the gather's finish key (``#`` unless
        ``finishOnKey`` says otherwise, none when it is empty) ends the input and is not
        sent, so a lone ``#`` where it finishes arrives as no key at all."""
        self.keys_pressed += len(digits)
        finish = self.gather.get("finishOnKey", "#")
        if finish and finish in digits:
            digits = digits.split(finish, 1)[0]
        return self.post(self.gather.get("action", ""), Digits=digits)

    def speak(self, words: str, confidence: str = "0.92") -> ET.Element:
        assert "speech" in self.gather.get("input", "")
        return self.post(self.gather.get("action", ""), SpeechResult=words,
                         Confidence=confidence)

    def silence(self) -> ET.Element:
        """Say nothing: Twilio falls through the Gather to our explicit Redirect."""
        assert self.root is not None
        assert self.verbs()[-1] == "Redirect"
        redirect = self.root.find("Redirect")
        assert redirect is not None and redirect.get("method") == "POST"
        return self.post(redirect.text or "")

    def record(self, seconds: int = 7, sid: str | None = None) -> ET.Element:
        assert self.root is not None
        rec = self.root.find("Record")
        assert rec is not None
        sid = sid or "RE" + secrets.token_hex(16)
        return self.post(rec.get("action", ""), RecordingSid=sid, RecordingDuration=str(seconds),
                         RecordingUrl=f"https://api.twilio.com/Recordings/{sid}", Digits="#")

    def hang_up(self, duration: int = 42) -> None:
        self.post("/ivr/status", CallStatus="completed", CallDuration=str(duration))


@dataclass
class IvrWorld:
    lok_nayak: Any
    gtb: Any
    ortho: Any
    medicine: Any
    slots: list[Any]


def build_world(session) -> IvrWorld:
    """Seven hospitals (two pages of choices): GTB first, Lok Nayak second (with no
    bookings before today, the order they were added)."""
    gtb = make_hospital(
        session, code="GTB", name_en="Guru Teg Bahadur Hospital",
        name_hi="गुरु तेग बहादुर अस्पताल", short_en="GTB Hospital", short_hi="जीटीबी अस्पताल",
        district="Shahdara", district_hi="शाहदरा", aliases=["GTB", "जीटीबी"])
    lok_nayak = make_hospital(
        session, code="LNH", name_en="Lok Nayak Hospital", name_hi="लोक नायक अस्पताल",
        short_en="Lok Nayak Hospital", short_hi="लोक नायक अस्पताल", district="Central",
        district_hi="मध्य", aliases=["LNJP", "Lok Nayak Jai Prakash", "एलएनजेपी", "इरविन"])
    for n in range(5):
        make_hospital(session, name_en=f"Test Hospital {n}", name_hi=f"परीक्षण अस्पताल {n}",
                      district="West", district_hi="पश्चिमी")
    ortho = make_department(session, lok_nayak, code="ortho", name_en="Orthopaedics",
                            name_hi="हड्डी रोग", aliases=["bone", "हड्डी", "ortho"])
    medicine = make_department(session, lok_nayak, code="medicine",
                               name_en="General Medicine", name_hi="सामान्य चिकित्सा",
                               aliases=["medicine", "fever", "बुखार"])
    gtb_ortho = make_department(session, gtb, code="ortho", name_en="Orthopaedics",
                                name_hi="हड्डी रोग")
    # Both sit a weekly OPD whose days are not made yet: offered, with nothing to book.
    for department in (medicine, gtb_ortho):
        make_schedule(session, department, weekday=0)
    day = (dt.datetime.now(IST) + dt.timedelta(days=2)).date()
    slots = [
        make_slot(session, ortho, at=dt.datetime.combine(day, dt.time(9, 0), IST), capacity=5),
        make_slot(session, ortho, at=dt.datetime.combine(day, dt.time(10, 0), IST), capacity=5),
        make_slot(session, ortho, at=dt.datetime.combine(day + dt.timedelta(days=1),
                                                         dt.time(9, 0), IST), capacity=5),
    ]
    update_resources(session, gtb.id, {"beds": {"general": {"total": 400, "occupied": 400}}},
                     source="test")
    update_resources(session, lok_nayak.id, {"beds": {
        "general": {"total": 100, "occupied": 60}, "oxygen": {"total": 30, "occupied": 6},
        "icu": {"total": 10, "occupied": 7}, "ventilator": {"total": 5, "occupied": 3}}},
        source="test")
    return IvrWorld(lok_nayak, gtb, ortho, medicine, slots)


def agent_hours_excluding_now() -> str:
    """Service hours that do not include the present moment (for after-hours tests)."""
    hour = dt.datetime.now(IST).hour
    return f"{(hour + 2) % 24:02d}:00-{(hour + 4) % 24:02d}:00"


@pytest.fixture
def ivr_settings(database_url: str):
    # Agents always on duty unless a test says otherwise.
    return make_settings(database_url, agent_hours="00:00-00:00")


@pytest.fixture
def ivr_app(ivr_settings) -> Iterator[Any]:
    from helpline.app import create_app

    app = create_app(ivr_settings)
    yield app
    app.extensions["helpline"].engine.dispose()
    if "ivr.engine" in app.extensions:
        app.extensions["ivr.engine"].dispose()


@pytest.fixture
def ivr_session(ivr_app):
    with ivr_app.extensions["helpline"].session() as s:
        yield s


@pytest.fixture
def ivr_world(ivr_session) -> IvrWorld:
    return build_world(ivr_session)


@pytest.fixture
def agent_signed_in(ivr_session) -> Any:
    """Someone to wait for: one agent signed in and busy on a call, so a caller who asks
    for a person is queued (with nobody signed in, a callback is offered instead) and
    routing rings nobody; with no answered call in the hour the wait is the default."""
    from booking_core.base import unit_of_work
    from contact_centre.models import AgentState, StaffUser
    from tests.fixtures_console import make_staff

    agent = make_staff(ivr_session, "agent.on.duty")
    with unit_of_work(ivr_session):
        ivr_session.get(StaffUser, agent.id).state = AgentState.ON_CALL
    return agent


@pytest.fixture
def phone(ivr_app, ivr_session) -> Phone:
    return Phone(ivr_app.test_client(), session=ivr_session)


@pytest.fixture
def new_phone(ivr_app, ivr_session):
    """Another caller (or the same number calling again)."""
    def make(caller: str = CALLER) -> Phone:
        return Phone(ivr_app.test_client(), caller=caller, session=ivr_session)
    return make
