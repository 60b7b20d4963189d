"""Fixtures for the messaging tests: a fake Twilio REST API and apps wired to it."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from booking_core.base import unit_of_work
from booking_core.citizens import get_or_create_citizen
from booking_core.outbox import OutboxMessage, add_call, add_sms
from helpline.app import create_app
from helpline.settings import PROJECT_ROOT
from tests.conftest import TWILIO_SID, TWILIO_TOKEN, make_settings
from tests.fake_twilio import FakeTwilio

CITIZEN_PHONE = "+919812345678"
AGENT_PHONE = "+919811111111"
# 12:00 and 22:30 in Asia/Kolkata: outside and inside the quiet hours.
NOON_IST = dt.datetime(2030, 3, 4, 6, 30, tzinfo=dt.UTC)
NIGHT_IST = dt.datetime(2030, 3, 4, 17, 0, tzinfo=dt.UTC)


# Runs of ``count_run``: a periodic task target the scheduler tests resolve by name.
RUNS: Counter[str] = Counter()


def count_run() -> str:
    RUNS["count"] += 1
    return "counted"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(TWILIO_SID, TWILIO_TOKEN) as fake:
        yield fake


def messaging_app(database_url: str, fake: FakeTwilio | None, **overrides: Any):
    """An app whose Twilio client talks to ``fake`` (or, with None, no Twilio at all)."""
    if fake is not None:
        overrides.setdefault("twilio_api_base_url", fake.base_url)
    else:
        overrides.update(twilio_account_sid="", twilio_auth_token="")
    return create_app(make_settings(database_url, **overrides))


@pytest.fixture
def msg_app(database_url: str, fake_twilio: FakeTwilio):
    # Delivery runs at fixed moments here (noon, 22:30): the production quiet hours apply.
    app = messaging_app(database_url, fake_twilio, sms_quiet_hours="21:00-08:00")
    yield app
    app.extensions["helpline"].engine.dispose()


@pytest.fixture
def msg_helpline(msg_app):
    return msg_app.extensions["helpline"]


@pytest.fixture
def msg_session(msg_helpline) -> Iterator[Session]:
    with msg_helpline.session() as s:
        yield s


def queue_sms(session: Session, *, phone: str = CITIZEN_PHONE,
              template: str = "otp_code", params: dict[str, Any] | None = None,
              language: str = "en", not_before: dt.datetime | None = None,
              **kw: Any) -> OutboxMessage:
    """One outbox SMS, committed (so the outbox listener sees it). With Twilio
    configured and no Redis it waits for a worker: call ``deliver_now``."""
    params = params if params is not None else _default_params(template)
    with unit_of_work(session):
        row = add_sms(session, phone, template, language, params, not_before=not_before, **kw)
    assert row is not None
    return row


def deliver_now(helpline, when: dt.datetime = NOON_IST) -> int:
    """Run delivery as a worker would, at ``when`` (noon in Delhi: no quiet hours)."""
    from messaging.delivery import deliver

    return deliver(helpline, ids=None, limit=1000, clock=lambda: when)


def queue_call(session: Session, *, phone: str, purpose: str, params: dict[str, Any],
               language: str = "en", **kw: Any) -> OutboxMessage:
    with unit_of_work(session):
        row = add_call(session, phone, purpose, language, params, **kw)
    assert row is not None
    return row


def make_citizen(session: Session, phone: str = CITIZEN_PHONE, *, language: str = "en",
                 opted_out: bool = False):
    with unit_of_work(session):
        citizen = get_or_create_citizen(session, phone, language=language)
        citizen.sms_opted_out = opted_out
    return citizen


def _default_params(template: str) -> dict[str, Any]:
    if template == "otp_code":
        return {"code": "482913"}
    return {"reference": "12345674", "hospital": "LNJP", "department": "Orthopaedics",
            "date": "05 Mar 2030", "time": "9:00 am", "token": 7}


def signed_post(client, path: str, params: dict[str, str], *, token: str = TWILIO_TOKEN):
    """POST like Twilio: form params, signed over PUBLIC_BASE_URL + path (+ query)."""
    from twilio.request_validator import RequestValidator

    from tests.conftest import PUBLIC_BASE_URL

    signature = RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def parse_twiml(response) -> Any:
    import xml.etree.ElementTree as ET

    assert response.mimetype == "text/xml", response.data
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def worker_env(settings, **overrides: str) -> dict[str, str]:
    """The environment of a `flask worker` subprocess on ``settings``' database and Redis."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(PROJECT_ROOT), DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url, REDIS_NAMESPACE=settings.redis_namespace,
        SECRET_KEY="test", PUBLIC_BASE_URL=settings.public_base_url,
        TWILIO_ACCOUNT_SID=settings.twilio_account_sid,
        TWILIO_AUTH_TOKEN=settings.twilio_auth_token,
        TWILIO_PHONE_NUMBER=settings.twilio_phone_number,
        TWILIO_API_BASE_URL=settings.twilio_api_base_url, SMS_QUIET_HOURS="off",
        OUTBOX_BATCH_SIZE="20", OUTBOX_SEND_CONCURRENCY="2", LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env
