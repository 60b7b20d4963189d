"""Fixtures for the robustness tests: a helpline full of demo data and real rows (so
routes have something to hit), staff of every role, a local stand-in for Twilio's
recording host, and a watcher that notices a crash even where the app hides it from the
client (the IVR answers any failure with a spoken apology, never a 500)."""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from booking_core.appointments import BookingRules, Channel, book_appointment
from booking_core.feed_tokens import issue_feed_token
from booking_core.hospitals import Department, Hospital
from booking_core.slots import Slot
from contact_centre.accounts import set_password, update_staff_user
from contact_centre.call_log import start_call
from contact_centre.callbacks import request_callback
from helpline.app import create_app
from helpline.demo_data import load_demo_data
from portal_api.auth import issue_verification_token
from tests.conftest import make_settings
from tests.fixtures_console import CONSOLE_PASSWORD, ConsoleClient, make_grievance, make_staff

# Citizens of the robustness world: every format of these must stay out of the logs.
CITIZEN = "+919812345678"
OTHER_CITIZEN = "+917011223344"
ROLES = ("agent", "supervisor", "admin")


class ErrorWatch(logging.Handler):
    """Keeps every ERROR record: a view that crashed (or hit a database error it could
    only apologise for) logs one, whatever its response looks like."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        found = [f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info
                 else f"{r.name}: {r.getMessage()}" for r in self.records]
        self.records.clear()
        return found


@pytest.fixture
def error_watch() -> Iterator[ErrorWatch]:
    watch = ErrorWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    yield watch
    root.removeHandler(watch)


class FakeRecordingHost(BaseHTTPRequestHandler):
    """Answers any recording with a few bytes of "audio", as Twilio's API would."""

    def do_GET(self) -> None:  # noqa: N802
        status = 200 if "/Recordings/" in self.path else 404
        self.send_response(status)
        self.send_header("Content-Type", "audio/mpeg")
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"ID3\x00")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_recording_host() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRecordingHost)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@dataclass
class World:
    """Real rows of every kind a route takes an id or reference of."""

    app: Flask
    ids: dict[str, list[int]] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    staff: dict[str, str] = field(default_factory=dict)  # role -> username
    accounts: dict[str, tuple[int, str, int | None]] = field(default_factory=dict)
    verification_token: str = ""
    feed_token: str = ""
    feed_hospital_id: int = 0

    @property
    def helpline(self) -> Any:
        return self.app.extensions["helpline"]

    def console(self, role: str) -> ConsoleClient:
        """A fresh browser signed in as ``role`` through the real login form."""
        console = ConsoleClient(self.app.test_client())
        answer = console.login(self.staff[role])
        assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
        return console

    def revive(self, who: str) -> None:
        """Undo what a walk did to ``who``'s own account (an admin may demote, disable
        or re-password anyone, itself included) so the walk can sign in again."""
        user_id, role, hospital_id = self.accounts[who]
        with self.helpline.session() as s:
            update_staff_user(s, user_id, role=role, display_name=who, language="en",
                              phone=None, hospital_id=hospital_id, active=True)
            set_password(s, user_id, CONSOLE_PASSWORD)


def build_world(app: Flask) -> World:
    helpline = app.extensions["helpline"]
    world = World(app)
    with helpline.session() as s:
        load_demo_data(s, weeks=1)
        hospitals = list(s.scalars(select(Hospital.id).order_by(Hospital.id)))
        first = hospitals[0]
        departments = list(s.scalars(select(Department.id).where(
            Department.hospital_id == first).order_by(Department.id)))
        tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        slots = list(s.scalars(select(Slot.id).where(
            Slot.department_id == departments[0], Slot.starts_at > tomorrow)
            .order_by(Slot.starts_at).limit(3)))
        rules = BookingRules(window_days=helpline.settings.booking_window_days,
                             tz=helpline.settings.helpline_timezone)
        appointment = book_appointment(s, slot_id=slots[0], phone=CITIZEN,
                                       channel=Channel.PORTAL, language="hi", actor="test",
                                       rules=rules)
        written = make_grievance(s, phone=CITIZEN, hospital_id=first)
        sid = "RE" + "0" * 32
        spoken = make_grievance(
            s, phone=OTHER_CITIZEN, description="", recording_sid=sid, recording_seconds=12,
            recording_url=f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/{sid}")
        start_call(s, "CA" + "1" * 32, OTHER_CITIZEN)
        callback = request_callback(s, phone=OTHER_CITIZEN, language="en",
                                    call_sid="CA" + "1" * 32, reason="after_hours").callback
        users = {role: make_staff(s, f"robust.{role}", role=role) for role in ROLES}
        keeper = make_staff(s, "robust.keeper", role="agent", hospital_id=first)
        _, world.feed_token = issue_feed_token(s, first, "robustness")
        world.ids = {
            "hospital": hospitals[:2], "department": departments[:2], "slot": slots,
            "grievance": [written.id, spoken.id], "callback": [callback.id],
            "user": [u.id for u in users.values()] + [keeper.id],
        }
        world.references = [appointment.reference, written.reference]
        world.staff = {role: u.username for role, u in users.items()}
        world.staff["keeper"] = keeper.username
        world.accounts = {role: (u.id, role, None) for role, u in users.items()}
        world.accounts["keeper"] = (keeper.id, "agent", first)
        world.feed_hospital_id = first
    world.verification_token = issue_verification_token(helpline.settings.secret_key, CITIZEN)
    return world


@pytest.fixture
def robust_world(database_url: str, fake_recording_host: str) -> Iterator[World]:
    """The helpline with a week of demo data, a booking, grievances (one spoken), a call,
    a callback request, staff of each role and a feed token. Agents are always on duty
    and the API's rate limit is out of the way, so every request reaches its view."""
    settings = make_settings(database_url, agent_hours="00:00-00:00",
                             api_rate_limit_per_minute=1_000_000,
                             twilio_api_base_url=fake_recording_host)
    app = create_app(settings)
    yield build_world(app)
    app.extensions["helpline"].engine.dispose()
    reads = app.extensions.get("portal_api.read_sessions.engine")
    if reads is not None:
        reads.dispose()


def database_fingerprint(app: Flask) -> dict[str, int]:
    """A hash of every row of every table: equal fingerprints mean nothing changed."""
    from helpline.models import metadata

    helpline = app.extensions["helpline"]
    found = {}
    with helpline.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[table.name] = hash(tuple(tuple(map(repr, row)) for row in rows))
    return found


# --- What the walks send -----------------------------------------------------------------

# Values a path parameter, a form field or a query argument may be given.
IMPLAUSIBLE = ["0", "-1", str(2**31), str(2**63), "9" * 30, "abc", "अस्पताल", "x" * 3000,
               "\x00", "1.5", " 1", "１２", "²", "..", "%", "<b>&amp;"]
# The first few are the likeliest to break something: every form field gets those.
FORM_JUNK = ["9" * 30, "x" * 5000, "999999", "²", "", "-1", "a\x00b", "0", " ", "abc",
             str(2**31), "अस्पताल " * 50, "1.5", "2024-02-30", "99999-01-01",
             "<script>alert(1)</script>", "' OR 1=1 --", "\r\n", "\ufeff", "\u202e1"]
FIRST_JUNK = 7
JSON_JUNK: list[Any] = [None, True, -1, 0, 2**31, 2**63, 10**30, 1.5, "", "x" * 5000,
                        "अस्पताल", "a\x00b", "\ud800", [], {}, [[[[]]]], {"a": {"b": None}},
                        "9812345678", "2024-02-30"]
WRONG_JSON = ["[]", "5", '"text"', "null", "true", '{"a":1,', "{'a': 1}", "[1, 2", "NaN",
              '{"a": 1e999}', "\ufeff{}"]
DEEP_JSON = ["[" * 20000 + "]" * 20000, '{"a":' * 5000 + "1" + "}" * 5000]
BAD_UTF8 = b'{"phone": "\xff\xfe", "x": "\xc3\x28"}'
# Twilio's webhook parameters, with values Twilio never sends.
TWILIO_JUNK: dict[str, list[str]] = {
    "Digits": ["abc", "9" * 500, "", "*", "#", "0", "²", "١", "１", "1 2", "-1", "\x00",
               "1" * 33],
    "SpeechResult": ["x" * 5000, "अस्पताल " * 600, "", "<Say>hi</Say>&amp;", "\u202e"],
    "Confidence": ["abc", "nan", "inf", "-1", "1e999", ""],
    "CallSid": ["", "CA" + "x" * 500, "' OR 1=1 --", "\x00"],
    "From": ["", "anonymous", "+266696687", "abc", "+91" + "9" * 40, "9812345678",
             "+919812345678", "\x00"],
    "CallStatus": ["", "x" * 300, "completed"],
    "CallDuration": ["abc", "-5", "9" * 40, "1.5"],
    "RecordingUrl": ["javascript:alert(1)", "https://evil.example/Recordings/x", "x" * 600],
    "RecordingSid": ["RE" + "x" * 100, "", "\x00"],
    "RecordingDuration": ["abc", "-1", "9" * 40, "1e9", "7"],
    "QueuePosition": ["abc", "-3", "9" * 40],
    "QueueTime": ["abc", "-1", "9" * 40],
    "QueueResult": ["x" * 100, "", "error"],
    "Body": ["x" * 2000, "STATUS 123", "CANCEL", "\x00", "😀" * 100, ""],
    "MessageSid": ["", "SM" + "x" * 300],
    "MessageStatus": ["", "junk", "x" * 300],
    "ErrorCode": ["abc", "-1", "9" * 40],
}


def junk_twilio_params(rng: random.Random, count: int = 6) -> dict[str, str]:
    """Some Twilio parameters with junk values; sometimes without CallSid or From."""
    names = rng.sample(sorted(TWILIO_JUNK), count)
    params = {name: rng.choice(TWILIO_JUNK[name]) for name in names}
    if rng.random() < 0.5:
        params.setdefault("CallSid", "CA" + "2" * 32)
        params.setdefault("From", CITIZEN)
    return params


def random_fields(rng: random.Random, count: int = 3) -> dict[str, str]:
    names = ["x", "\x00", "a" * 300, "csrf", "id", "phone", "language", "next", "हिन्दी"]
    return {rng.choice(names): rng.choice(FORM_JUNK) for _ in range(count)}


_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def rule_arguments(rule: Rule) -> list[tuple[str, str]]:
    """(converter, name) of each variable part of a URL rule."""
    return [(conv or "default", name) for conv, name in _ARGUMENT.findall(rule.rule)]


def fill_rule(rule: Rule, values: dict[str, str]) -> str:
    """The rule's path with ``values`` put in as they are (quoted), valid or not."""

    def put(match: re.Match[str]) -> str:
        safe = "/" if match.group(1) == "path" else ""
        return quote(values[match.group(2)], safe=safe)

    return _ARGUMENT.sub(put, rule.rule)


def sample_paths(rule: Rule, plausible: dict[str, list[str]], rng: random.Random,
                 count: int) -> list[str]:
    """The rule filled with plausible values first, then ``count`` random mixes of
    plausible and implausible ones."""
    args = rule_arguments(rule)
    if not args:
        return [rule.rule]
    good = {name: plausible.get(name) or ["1"] for _, name in args}
    paths = [fill_rule(rule, {name: vals[0] for name, vals in good.items()})]
    for _ in range(count):
        paths.append(fill_rule(rule, {
            name: rng.choice(vals if rng.random() < 0.4 else IMPLAUSIBLE)
            for name, vals in good.items()}))
    return list(dict.fromkeys(paths))


def routes(app: Flask, prefix: str) -> list[tuple[Rule, str]]:
    """Every (rule, method) the app serves under ``prefix`` (OPTIONS is Flask's own)."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(prefix):
            found.extend((rule, m) for m in sorted((rule.methods or set()) - {"OPTIONS"}))
    return found
