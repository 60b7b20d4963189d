"""Sessions for read-only views, and what they may remember between requests.

On PostgreSQL a GET view reads through an autocommit connection: each statement sees
committed data on its own, and the request saves the BEGIN and ROLLBACK round trips
(measured in docs/BENCHMARKS.md: round trips, not SQL, were most of an availability
request's time). SQLite keeps the ordinary session: its engine issues BEGIN IMMEDIATE
itself, which must pair with a COMMIT or ROLLBACK.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booking_core.hospitals import Department
from helpline.app import get_session

_EXTENSION = "portal_api.read_sessions"


def init_read_sessions(app: Flask) -> None:
    helpline = app.extensions["helpline"]
    if helpline.settings.is_sqlite:
        app.extensions[_EXTENSION] = None
        return
    engine = helpline.engine.execution_options(isolation_level="AUTOCOMMIT")
    app.extensions[_EXTENSION] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("api_read_session", None)
        if session is not None:
            session.close()


def read_session() -> Session:
    factory = current_app.extensions.get(_EXTENSION)
    if factory is None:
        return get_session()
    if "api_read_session" not in g:
        g.api_read_session = factory()
    session: Session = g.api_read_session
    return session


class DepartmentOwners:
    """department id -> hospital id, remembered per process: a department never
    moves to another hospital, so the answer cannot go stale."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._known: dict[int, int] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def hospital_of(self, session: Session, department_id: int) -> int | None:
        owner = self._known.get(department_id)
        if owner is not None:
            return owner
        owner = session.scalar(select(Department.hospital_id).where(
            Department.id == department_id))
        if owner is not None:
            with self._lock:
                if len(self._known) >= self._max:
                    self._known.clear()
                self._known[department_id] = owner
        return owner
