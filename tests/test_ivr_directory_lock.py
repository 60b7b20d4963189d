"""The IVR's hospital list is refreshed in a session of its own; on SQLite that read
must not wait for the write lock the request's own transaction already holds."""

from __future__ import annotations

import time

from sqlalchemy import text

from helpline.db import make_engine, make_session_factory
from helpline.migrate import upgrade
from ivr.directory import Directory
from tests.fixtures_ivr import build_world


def test_a_refresh_inside_a_writing_request_does_not_wait_for_itself(tmp_path):
    url = f"sqlite:///{tmp_path / 'helpline.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        build_world(session)
    directory = Directory(sessions, ttl_seconds=60)
    with sessions() as request_session:
        request_session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: holds the write lock
        started = time.monotonic()
        snapshot = directory.snapshot(request_session)
        waited = time.monotonic() - started
    assert waited < 5, f"the refresh waited {waited:.1f} s for its own request's lock"
    assert [h.code for h in snapshot.hospitals]
    engine.dispose()
