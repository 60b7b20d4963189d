"""Sessions for read-only views, and what they may remember between requests.

On PostgreSQL a GET view reads through its own small pool of autocommit connections:
each statement sees committed data on its own, and a request saves the BEGIN, ROLLBACK
and pre-ping round trips (measured in docs/BENCHMARKS.md: round trips, not SQL, were
most of an availability request's time). Without pre-ping a connection the server
dropped is found on first use; ``retry_on_lost_connection`` then runs the view once
more on a fresh one. SQLite keeps the ordinary session: its engine issues BEGIN
IMMEDIATE itself, which must pair with a COMMIT or ROLLBACK.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from booking_core.hospitals import Department
from helpline.app import get_session
from helpline.db import DatabaseLimits, make_engine

_EXTENSION = "portal_api.read_sessions"


def init_read_sessions(app: Flask) -> None:
    helpline = app.extensions["helpline"]
    if helpline.settings.is_sqlite:
        app.extensions[_EXTENSION] = None
        return
    engine = make_engine(helpline.settings.database_url, pool_pre_ping=False,
                         limits=DatabaseLimits.from_settings(helpline.settings),
                         isolation_level="AUTOCOMMIT", pool_size=5, max_overflow=10)
    app.extensions[_EXTENSION] = sessionmaker(engine, expire_on_commit=False)
    app.extensions[_EXTENSION + ".engine"] = engine

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        _close_read_session()


def _close_read_session() -> None:
    session = g.pop("api_read_session", None)
    if session is not None:
        session.close()


def retry_on_lost_connection(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a read-only view once more if its pooled connection had been dropped (a
    database restart): the pool has discarded it by then."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            _close_read_session()
            return view(*args, **kwargs)

    return wrapped


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
