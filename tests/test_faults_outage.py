"""Issue 11, section 2: nothing a citizen sends during a database outage is lost.

A private PostgreSQL (``tests.fixtures_faults``) is stopped mid-test: an SMS
"CANCEL <reference>" and callback requests made by day and by night are kept in the
spool, the API says 503 in JSON, and once the server is back the scheduler's replay
cancels the appointment (and queues its SMS) and creates the callbacks, once.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from booking_core.appointments import Appointment, AppointmentStatus, Channel, book_appointment
from booking_core.outbox import OutboxMessage
from contact_centre.models import CallbackRequest
from helpline.app import create_app
from helpline.spool import INBOUND_SMS, Entry, Spool
from helpline.spool_jobs import replay_spool
from messaging.models import InboundSms
from tests.conftest import PRODUCTION_LIMITS, make_settings
from tests.fixtures_faults import PrivatePostgres, empty_private_database
from tests.fixtures_ivr import Phone, agent_hours_excluding_now, build_world, signed_post

pytestmark = [pytest.mark.slow]

BASE = "https://helpline.test"
CALLER = "+919812345678"
ENGLISH_CALLER = "+919000000001"
NIGHT_CALLER = "+919000000002"
NEWCOMER = "+919000000007"


class Apps:
    def __init__(self, server: PrivatePostgres, spool_dir: str) -> None:
        url = empty_private_database(server)
        self.day = create_app(make_settings(url, agent_hours="00:00-00:00",
                                            spool_dir=spool_dir, **PRODUCTION_LIMITS))
        self.night = create_app(make_settings(url, agent_hours=agent_hours_excluding_now(),
                                              spool_dir=spool_dir, **PRODUCTION_LIMITS))

    def dispose(self) -> None:
        for app in (self.day, self.night):
            app.extensions["helpline"].engine.dispose()
            reads = app.extensions.get("portal_api.read_sessions.engine")
            if reads is not None:
                reads.dispose()


@pytest.fixture
def apps(private_postgres: PrivatePostgres, tmp_path) -> Any:
    made = Apps(private_postgres, str(tmp_path / "spool"))
    try:
        yield made
    finally:
        made.dispose()


def _replay(app) -> str:
    with app.app_context():
        return replay_spool()


def test_sms_and_callbacks_during_an_outage_are_kept_and_acted_on_when_it_ends(
        apps, private_postgres):
    day = apps.day
    helpline = day.extensions["helpline"]
    with helpline.session() as session:
        world = build_world(session)
        appointment = book_appointment(session, slot_id=world.slots[0].id, phone=CALLER,
                                       channel=Channel.IVR, language="en")
        reference = appointment.reference
    # A new caller's language menu, handed out while all was well.
    english = Phone(day.test_client(), caller=ENGLISH_CALLER)
    english.call()

    private_postgres.stop()
    try:
        sms = {"MessageSid": "SM" + uuid.uuid4().hex, "From": CALLER, "To": "+911140000000",
               "Body": f"CANCEL {reference}"}
        response = signed_post(day.test_client(), BASE + "/sms/inbound", sms)
        assert response.status_code == 200 and response.mimetype == "text/xml"
        # Twilio delivering the same webhook twice keeps two entries, acted on once.
        signed_post(day.test_client(), BASE + "/sms/inbound", sms)

        # By day: the apology, 1 for a callback.
        known = Phone(day.test_client(), caller=CALLER)
        known.call()
        assert "technical problem" in known.said
        known.press("1")  # the language is not known yet: the confirmation is in Hindi
        assert "5 6 7 8" in known.said and "वापस कॉल" in known.said
        assert known.verbs()[-1] == "Hangup"

        # A new caller who speaks English, the language not known yet: the apology in
        # both languages offers 1 in Hindi and 2 in English; another key repeats it in
        # both; 2 then confirms the callback in English only.
        newcomer = Phone(day.test_client(), caller=NEWCOMER)
        newcomer.call()
        assert {s.get("language") for s in newcomer.says()} == {"hi-IN", "en-IN"}
        assert "in English, press 2" in newcomer.said
        newcomer.press("5")
        assert {s.get("language") for s in newcomer.says()} == {"hi-IN", "en-IN"}
        newcomer.press("2")
        assert {s.get("language") for s in newcomer.says()} == {"en-IN"}, newcomer.said
        assert "call you back" in newcomer.said and "0 0 0 7" in newcomer.said

        # Pressing 2 for English: the apology in English only, then a callback.
        english.press("2")
        assert {s.get("language") for s in english.says()} == {"en-IN"}
        english.press("1")
        assert "call you back" in english.said

        # By night, staying on the line: the after-hours offer, then 1.
        night = Phone(apps.night.test_client(), caller=NIGHT_CALLER)
        night.call()
        night.silence()
        assert "To be called back then, press 1" in night.said or "दबाएँ" in night.said
        night.press("1")
        assert night.verbs()[-1] == "Hangup" and night.root.find("Enqueue") is None
        assert "apology" not in night.said

        # The API: 503 with a JSON error, not a 500.
        api = day.test_client().get("/api/v1/hospitals")
        assert api.status_code == 503, api.get_data(as_text=True)
        assert api.get_json()["error"]["code"] == "service_unavailable"
        assert api.headers["Retry-After"]

        spooled = helpline.spool.pending()
        assert len(spooled) == 6
        assert "waiting" in _replay(day) and len(helpline.spool.pending()) == 6
    finally:
        private_postgres.start()

    assert _replay(day).startswith("6 replayed, 0 failed")
    assert helpline.spool.pending() == []
    with helpline.session() as session:
        status = session.scalar(select(Appointment.status).where(
            Appointment.reference == reference))
        assert status == AppointmentStatus.CANCELLED
        assert session.scalar(select(InboundSms.command).where(
            InboundSms.message_sid == sms["MessageSid"])) == "cancel"
        cancellations = session.scalars(select(OutboxMessage.template).where(
            OutboxMessage.to_phone == CALLER)).all()
        assert cancellations.count("appointment_cancelled") == 1, cancellations
        callbacks = {c.phone: c for c in session.scalars(select(CallbackRequest))}
    assert set(callbacks) == {CALLER, ENGLISH_CALLER, NIGHT_CALLER, NEWCOMER}
    assert callbacks[ENGLISH_CALLER].language == "en" == callbacks[NEWCOMER].language
    assert callbacks[CALLER].reason == "fault"
    assert _replay(day) == "nothing spooled"


def test_a_spool_entry_is_on_disk_whole_or_not_at_all(tmp_path):
    spool = Spool(tmp_path / "spool")
    path = spool.put(INBOUND_SMS, {"message_sid": "SM1", "body": "रद्द 1234"})
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text())["payload"]["body"] == "रद्द 1234"
    # A write cut short leaves only a temporary file, which is never replayed.
    (spool.directory / ".half-written.json.tmp").write_text("{")
    assert spool.pending() == [path]


def test_replay_keeps_order_sets_aside_failures_and_shares_work(tmp_path):
    spool = Spool(tmp_path / "spool")
    for n in range(6):
        spool.put(INBOUND_SMS, {"n": n})
    seen: list[int] = []
    lock = threading.Lock()

    def handle(entry: Entry) -> None:
        if entry.payload["n"] == 3:
            raise ValueError("a bad entry")
        with lock:
            seen.append(entry.payload["n"])

    threads = [threading.Thread(target=spool.replay, args=({INBOUND_SMS: handle},))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == [0, 1, 2, 4, 5]  # each once, though three replays ran
    assert spool.pending() == []
    assert len(os.listdir(spool.directory / "failed")) == 1


@pytest.mark.parametrize("other_replay", ["set it aside", "finished it"])
def test_an_entry_another_replay_took_after_this_one_opened_it_is_left_alone(
        tmp_path, monkeypatch, other_replay):
    """A replay opens an entry, then another replay (on the lock first) acts on it and
    moves it to ``failed/`` or deletes it before this one gets the lock. This replay
    must see that the file it holds is no longer the entry: acting on it again would
    act twice, and moving it would fail on a name that is gone."""
    import fcntl

    from helpline import spool as spool_module

    spool = Spool(tmp_path / "spool")
    path = spool.put(INBOUND_SMS, {"n": 1})
    real_flock = fcntl.flock

    def flock_after_the_other_replay(fd: int, operation: int) -> None:
        if other_replay == "set it aside":
            spool._set_aside(path)
        else:
            path.unlink()
        real_flock(fd, operation)

    monkeypatch.setattr(spool_module.fcntl, "flock", flock_after_the_other_replay)
    handled: list[Entry] = []
    result = spool.replay({INBOUND_SMS: handled.append})
    assert handled == []
    assert (result.done, result.failed) == (0, 0)
    failed = spool.directory / "failed"
    assert len(list(failed.glob("*.json"))) == (other_replay == "set it aside")
    assert spool.pending() == []


def test_each_database_has_its_own_spool_by_default():
    """``make run`` (SQLite) and a gunicorn on PostgreSQL started from one checkout must
    not replay each other's spooled SMS and callbacks into the wrong database."""
    from helpline.settings import DEFAULT_SQLITE_URL, INSTANCE_DIR, Settings

    embedded = Settings(database_url=DEFAULT_SQLITE_URL).spool_path
    postgres = Settings(database_url="postgresql://127.0.0.1/helpline").spool_path
    other = Settings(database_url="postgresql://127.0.0.1/helpline_staging").spool_path
    assert embedded == INSTANCE_DIR / "spool"
    assert len({embedded, postgres, other}) == 3
    assert all(path.parent == INSTANCE_DIR for path in (postgres, other))
    assert Settings(database_url="postgresql://x/y", spool_dir="/srv/spool").spool_path \
        == Path("/srv/spool")
