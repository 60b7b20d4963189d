"""The call log with Redis (production): a webhook that only moves through menus keeps
its menus and language in the call's live path in Redis and writes nothing to the
database; the call's start, its outcomes, the agent queue and its end write the whole
path. What the console reads from the database is what it read before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import event, select

from contact_centre.caller_history import ivr_areas
from contact_centre.models import Call, CallOutcome
from ivr.call_notes import LIVE_SECONDS
from tests.conftest import make_settings

pytestmark = [pytest.mark.redis, pytest.mark.usefixtures("agent_signed_in")]

BOOKED_PATH = ["language", "main", "book.hospital", "book.department", "book.day",
               "book.slot", "book.confirm", "book.done"]


@pytest.fixture
def ivr_settings(database_url: str, redis_url: str, redis_namespace: str):
    return make_settings(database_url, agent_hours="00:00-00:00", redis_url=redis_url,
                         redis_namespace=redis_namespace)


def the_call(session, sid: str) -> Call | None:
    session.expire_all()
    return session.scalar(select(Call).where(Call.call_sid == sid))


class Writes:
    """The call log's statements (INSERT or UPDATE of ``call``) the app sent."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement: str, *args: Any) -> None:
        first = statement.lstrip().split(None, 3)
        if first[:1] == ["UPDATE"] and first[1:2] == ["call"] or \
                first[:2] == ["INSERT", "INTO"] and first[2:3] == ["call"]:
            self.statements.append(statement)


@pytest.fixture
def call_writes(ivr_app) -> Iterator[Writes]:
    writes = Writes()
    engines = [ivr_app.extensions["helpline"].engine]
    if "ivr.engine" in ivr_app.extensions:
        engines.append(ivr_app.extensions["ivr.engine"])
    for engine in engines:
        event.listen(engine, "before_cursor_execute", writes)
    yield writes
    for engine in engines:
        event.remove(engine, "before_cursor_execute", writes)


def test_menus_write_nothing_until_the_outcome_then_the_whole_path(
        phone, ivr_world, ivr_session, call_writes):
    phone.call()
    assert len(call_writes.statements) == 1  # the call's row, made once
    row = the_call(ivr_session, phone.call_sid)
    assert row is not None and row.path == ["language"]
    for key in ("2", "1", "2", "1", "1", "1"):  # English, book, LNJP, ortho, day, time
        phone.press(key)
    # Six menu webhooks, no write: the row is as the call's start left it.
    assert len(call_writes.statements) == 1
    assert the_call(ivr_session, phone.call_sid).path == ["language"]
    phone.press("1")  # confirm: booked
    assert "Your appointment is booked" in phone.said
    row = the_call(ivr_session, phone.call_sid)
    assert row.path == BOOKED_PATH
    assert row.outcome == CallOutcome.BOOKED and row.language == "en"
    writes = len(call_writes.statements)
    phone.press("1")  # hear the booking number again: a menu, kept in Redis
    phone.press("1")
    assert len(call_writes.statements) == writes
    assert the_call(ivr_session, phone.call_sid).path == BOOKED_PATH
    phone.hang_up(duration=95)
    row = the_call(ivr_session, phone.call_sid)
    assert row.path == [*BOOKED_PATH, "book.number"]
    assert row.outcome == CallOutcome.BOOKED and row.language == "en"
    assert row.status == "completed" and row.duration_seconds == 95
    assert "ended_in" not in row.details


def test_a_caller_who_hangs_up_in_a_menu_is_logged_where_they_left(
        phone, ivr_world, ivr_session, call_writes):
    phone.call()
    phone.press("1")  # Hindi
    phone.press("1")  # book: the hospital menu
    phone.press("8")  # the next page
    phone.press("*")  # the same menu again
    phone.silence()
    assert len(call_writes.statements) == 1
    phone.hang_up()
    row = the_call(ivr_session, phone.call_sid)
    assert row.path == ["language", "main", "book.hospital"]
    assert row.language == "hi"
    assert row.outcome == CallOutcome.ABANDONED
    assert row.details["ended_in"] == "book.hospital"
    # Twilio repeats a status callback it thinks was lost: nothing changes.
    phone.hang_up()
    again = the_call(ivr_session, phone.call_sid)
    assert (again.path, again.outcome, again.details) == (row.path, row.outcome, row.details)


def test_the_agent_sees_the_path_while_the_caller_waits(phone, ivr_world, ivr_session):
    """The screen pop reads the path from the database while the call is live."""
    phone.call()
    phone.press("2")  # English
    phone.press("3")  # a complaint: its first menu
    phone.press("0")  # a person
    assert phone.root.find("Enqueue") is not None
    row = the_call(ivr_session, phone.call_sid)
    assert row.path[:2] == ["language", "main"] and row.path[-1] == "agent"
    assert row.language == "en"
    assert ivr_areas(row.path)[-1] == ivr_areas(["agent"])[-1]


def test_a_placed_call_ends_with_the_menus_its_person_went_on_to(ivr_app, ivr_session):
    """A waiting-list offer call: its person asks for an agent (the row is written),
    leaves the queue for the main menu and hears it again (menus kept in Redis alone),
    then hangs up. Twilio's status callback to ``/calls/status`` writes the whole path,
    as ``/ivr/status`` does for a call to the helpline."""
    from tests.test_placed_call_person import HELPLINE_NUMBERS, _offer_row, placed_call

    row_id, person = _offer_row(ivr_session)
    phone = placed_call(ivr_app, ivr_session, HELPLINE_NUMBERS[0], person)
    phone.post(f"/calls/{row_id}/answer")
    phone.press("0")
    enqueue = phone.root.find("Enqueue")
    assert enqueue is not None
    waiting = phone.post(enqueue.get("waitUrl", ""), QueueTime="5")
    assert waiting.find("Gather") is not None
    phone.press("#")  # the main menu: the queue is left
    phone.post(enqueue.get("action", ""), QueueResult="leave", QueueTime="9")
    phone.press("*")
    assert the_call(ivr_session, phone.call_sid).path == ["offer", "agent"]
    phone.post(f"/calls/status?row={row_id}", CallStatus="completed", CallDuration="80")
    row = the_call(ivr_session, phone.call_sid)
    assert row.path == ["offer", "agent", "main"]
    assert (row.direction, row.from_phone, row.status) == ("outbound", person, "completed")
    assert row.ended_at is not None and row.duration_seconds == 80


def test_the_live_path_outlasts_the_longest_call(phone, ivr_world, ivr_app, redis_url,
                                                 redis_namespace):
    phone.call()
    phone.press("2")
    keys = [k.decode() for k in Redis.from_url(redis_url).scan_iter(f"{redis_namespace}-ivr-*")]
    assert len(keys) == 2 and all(phone.call_sid in k for k in keys)
    for key in keys:
        ttl = Redis.from_url(redis_url).ttl(key)
        assert 4 * 3600 < ttl <= LIVE_SECONDS


def test_without_redis_the_menus_go_to_the_database(phone, ivr_world, ivr_app, ivr_session,
                                                    call_writes):
    """Redis stops answering in the middle of a call: the caller hears the menus as
    always, and each webhook's menus go to the database as they did before Redis."""
    from helpline.jobs import guarded_redis
    from tests.fixtures_faults import free_port

    phone.call()
    jobs = ivr_app.extensions["helpline"].jobs
    jobs._redis = guarded_redis(f"redis://127.0.0.1:{free_port()}/0", 0.5, jobs.pause)
    phone.press("2")
    assert "sorry" not in phone.said.lower() and phone.root.find("Gather") is not None
    phone.press("1")
    assert "sorry" not in phone.said.lower() and phone.root.find("Gather") is not None
    assert len(call_writes.statements) >= 3  # the start and one line per menu webhook
    assert the_call(ivr_session, phone.call_sid).path == ["language", "main", "book.hospital"]
    phone.hang_up()
    row = the_call(ivr_session, phone.call_sid)
    assert row.path == ["language", "main", "book.hospital"]
    assert row.details["ended_in"] == "book.hospital" and row.language == "en"


def test_a_live_path_never_shortens_the_stored_one(phone, ivr_world, ivr_session, redis_url,
                                                   redis_namespace):
    """Redis lost the call's live path (a restart): the end keeps what the database has."""
    phone.call()
    for key in ("2", "1", "2", "1", "1", "1", "1"):
        phone.press(key)
    conn = Redis.from_url(redis_url)
    conn.delete(*conn.scan_iter(f"{redis_namespace}-ivr-*"))
    phone.press("1")
    phone.hang_up()
    row = the_call(ivr_session, phone.call_sid)
    assert row.path == BOOKED_PATH and row.outcome == CallOutcome.BOOKED


def test_two_callers_keep_their_own_paths(new_phone, ivr_world, ivr_session):
    first, second = new_phone("+919800000011"), new_phone("+919800000012")
    first.call()
    second.call()
    first.press("2")
    second.press("1")
    first.press("3")  # a complaint
    second.press("1")  # book
    for phone in (first, second):
        phone.hang_up()
    one, two = (the_call(ivr_session, p.call_sid) for p in (first, second))
    assert one.path == ["language", "main", "griev.category"]
    assert two.path == ["language", "main", "book.hospital"]
    assert (one.language, two.language) == ("en", "hi")

