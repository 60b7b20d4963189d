"""Logs never hold a citizen's full phone number or a recording URL.

A whole day's work runs with logging at DEBUG: an IVR booking call, a voice grievance
(recording URL), a callback request that fails on the database (its traceback carries
the statement's parameters), a portal verification, booking and SMS-bearing grievance,
and console work (claim, reply, booking on a caller's behalf, a callback, the CSV, the
recording player, which fetches the recording through Twilio's client). Then:

- what any handler writes (after ``RedactingFilter``, attached as ``configure_logging``
  attaches it) holds no phone number stored anywhere in the database, in any common
  format, and no ``/Recordings/`` URL: messages, tracebacks and stacks alike;
- what our own code hands to the logger, before any filter, holds none either: the
  filter is the safety net, not the habit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from booking_core.citizens import Citizen
from booking_core.outbox import OutboxMessage
from contact_centre.models import CallbackRequest, StaffUser
from grievances.models import Grievance
from helpline.app import create_app
from helpline.logging_setup import RedactingFilter, configure_logging
from tests.conftest import make_settings
from tests.fixtures_api import latest_code
from tests.fixtures_ivr import Phone, agent_hours_excluding_now
from tests.fixtures_robustness import CITIZEN, build_world

OUR_CODE = ("booking_core", "grievances", "contact_centre", "helpline", "ivr",
            "agent_console", "portal_api", "messaging", "locales")
PORTAL_CITIZEN = "+919876543210"
IVR_CALLER = "+919811122233"


class RawRecords(logging.Handler):
    """First handler on the root logger: sees each record before any filter edits it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.name, record.getMessage()))


@pytest.fixture
def logged_app(database_url, fake_recording_host, caplog) -> Iterator[tuple]:
    settings = make_settings(database_url, agent_hours=agent_hours_excluding_now(),
                             twilio_api_base_url=fake_recording_host)
    app = create_app(settings)
    world = build_world(app)
    root = logging.getLogger()
    level = root.level
    configure_logging("DEBUG")  # as the app does: the filter on every root handler
    caplog.set_level(logging.DEBUG)
    raw = RawRecords()  # added after, so it has no filter of its own
    root.handlers.insert(0, raw)
    assert any(isinstance(f, RedactingFilter) for f in caplog.handler.filters)
    yield app, world, raw
    root.removeHandler(raw)
    root.setLevel(level)
    app.extensions["helpline"].engine.dispose()


def _refuse_callback_rows(session: Session, on: bool) -> None:
    """A database that fails the callback insert, as a full disk or a lost primary would."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if on and postgres:
        session.execute(text("CREATE OR REPLACE FUNCTION robust_refuse() RETURNS trigger AS "
                             "$$ BEGIN RAISE EXCEPTION 'simulated disk failure'; END $$ "
                             "LANGUAGE plpgsql"))
        session.execute(text("CREATE TRIGGER robust_refuse BEFORE INSERT ON callback_request "
                             "FOR EACH ROW EXECUTE FUNCTION robust_refuse()"))
    elif on:
        session.execute(text("CREATE TRIGGER robust_refuse BEFORE INSERT ON callback_request "
                             "BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS robust_refuse"
                             + (" ON callback_request" if postgres else "")))
        if postgres:
            session.execute(text("DROP FUNCTION IF EXISTS robust_refuse()"))
    session.commit()


def _phone_calls(app) -> None:
    client = app.test_client()
    caller = Phone(client, caller=IVR_CALLER)
    caller.call()
    for key in ("2", "1", "1", "1", "1", "1", "1"):  # English, book, first of everything
        caller.press(key)
    assert "booking number" in caller.said.lower(), caller.said
    caller.hang_up()
    grieving = Phone(client, caller=IVR_CALLER)
    grieving.call()
    grieving.press("3")
    grieving.press("1")
    grieving.press("1")
    grieving.record(seconds=14)
    assert grieving.root is not None and grieving.root.find("Gather") is not None
    with app.extensions["helpline"].session() as s:
        _refuse_callback_rows(s, True)
    try:
        late = Phone(client, caller=CITIZEN)
        late.call()  # a known caller: the main menu in Hindi
        late.press("0")  # an agent: after hours, so a callback is offered
        late.press("1")  # yes, call me back: the insert fails
        assert late.verbs()[-1] == "Hangup"
    finally:
        with app.extensions["helpline"].session() as s:
            _refuse_callback_rows(s, False)


def _portal(app, world) -> None:
    client = app.test_client()
    sent = client.post("/api/v1/verifications", json={"phone": "98765 43210"})
    assert sent.status_code == 202
    with app.extensions["helpline"].session() as s:
        code = latest_code(s, PORTAL_CITIZEN)
    token = client.post("/api/v1/verifications/confirm", json={
        "phone": "098765-43210", "code": code}).get_json()["verification_token"]
    booked = client.post("/api/v1/appointments", json={"slot_id": world.ids["slot"][1]},
                         headers={"X-Verification-Token": token})
    assert booked.status_code == 201, booked.get_data(as_text=True)
    reference = booked.get_json()["reference"]
    assert client.post("/api/v1/appointments/lookup", json={
        "reference": reference, "phone": "+91 98765 43210"}).status_code == 200
    assert client.post(f"/api/v1/appointments/{reference}/cancel",
                       headers={"X-Verification-Token": token}).status_code == 200
    filed = client.post("/api/v1/grievances", json={
        "phone": "+91-98765-43210", "category": "staff_behaviour",
        "description": "Call me on 98765 43210, the guard shouted at my mother."},
        headers={"X-Verification-Token": token})
    assert filed.status_code == 201, filed.get_data(as_text=True)


def _console(app, world) -> None:
    agent = world.console("agent")
    grievance_id = world.ids["grievance"][0]
    for action, data in (("claim", {}), ("note", {"note": "Caller's son: 70112 23344"}),
                         ("reply", {"reply": "called"})):
        assert agent.post(f"/console/grievances/{grievance_id}/{action}",
                          data=data).status_code == 302
    slot = world.ids["slot"][2]
    assert agent.post("/console/booking/book", data={
        "slot": slot, "phone": "09811122233", "language": "en"}).status_code == 302
    callback = world.ids["callback"][0]
    for action in ("claim", "call"):
        assert agent.post(f"/console/callbacks/{callback}/{action}").status_code == 302
    supervisor = world.console("supervisor")
    assert supervisor.get("/console/grievances.csv").status_code == 200
    audio = supervisor.get(f"/console/grievances/{world.ids['grievance'][1]}/recording")
    assert (audio.status_code, audio.mimetype) == (200, "audio/mpeg")


def _numbers_on_file(app) -> set[str]:
    """Every phone number the helpline holds: citizens, staff, callbacks, messages."""
    with app.extensions["helpline"].session() as s:
        found = {*s.scalars(select(Citizen.phone)), *s.scalars(select(StaffUser.phone)),
                 *s.scalars(select(CallbackRequest.phone)),
                 *s.scalars(select(OutboxMessage.to_phone))}
    return {n[-10:] for n in found if n and n.startswith("+91")}


def _leaks(text_: str, numbers: set[str]) -> list[str]:
    """Numbers (however spaced, dashed, prefixed or URL-encoded) and recording URLs."""
    joined = re.sub(r"(?<=\d)[\s\-.()]+(?=\d)", "", text_)
    found = [n for n in numbers if n in joined]
    if "/recordings/" in text_.lower():
        found.append("a /Recordings/ URL")
    return found


def test_a_days_work_logs_no_number_and_no_recording_url(logged_app, caplog):
    app, world, raw = logged_app
    _phone_calls(app)
    _portal(app, world)
    _console(app, world)
    numbers = _numbers_on_file(app)
    assert {CITIZEN[-10:], PORTAL_CITIZEN[-10:], IVR_CALLER[-10:]} <= numbers
    with app.extensions["helpline"].session() as s:
        assert s.scalar(select(Grievance).where(Grievance.recording_url.is_not(None)))

    # The failed callback logged its traceback, with the statement's parameters in it.
    failures = [r for r in caplog.records if r.exc_info and "callback" in r.getMessage()]
    assert failures, "the simulated database failure was not logged"
    problems = []
    for record in caplog.records:
        written = caplog.handler.format(record)
        for leak in _leaks(written, numbers):
            problems.append(f"{record.name}: {leak} in {written[:300]!r}")
    assert "[recording-url]" in caplog.text  # Twilio's client logged the fetch, redacted
    for name, message in raw.seen:
        if name.split(".")[0] in OUR_CODE:
            problems += [f"{name} logged {leak} unmasked: {message[:200]!r}"
                         for leak in _leaks(message, numbers)]
    assert not problems, "\n".join(problems[:20])
