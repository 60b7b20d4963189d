"""Engine and sessions, made per app from its settings (never at import time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

# Execution options for a session that only reads. On SQLite its transaction starts
# DEFERRED, so it never waits for (or holds) the write lock: a read of reference data in a
# second session while the request's own transaction holds that lock would otherwise wait
# on its own process until the busy timeout (30 s). PostgreSQL ignores it.
READ_ONLY: dict[str, Any] = {"helpline_read_only": True}


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the helpline.

    SQLite (the embedded default) gets WAL, a busy timeout and ``BEGIN IMMEDIATE``, so
    concurrent bookings from several processes queue for the write lock instead of
    failing; PostgreSQL gets pre-ping so a restarted server costs one retry, not a 500.
    On both, statement parameters lose NUL characters (``without_nul``).
    """
    engine = _make_engine(database_url, **kwargs)
    event.listen(engine, "before_cursor_execute", _drop_nul_characters, retval=True)
    return engine


def _make_engine(database_url: str, **kwargs: Any) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            read_only = conn.get_execution_options().get("helpline_read_only")
            conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 3})
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_timeout", 5)
    return create_engine(normalise_database_url(database_url), **kwargs)


def without_nul(value: Any) -> Any:
    """``value`` (a text, or statement parameters holding texts) without NUL characters.

    PostgreSQL cannot store NUL in text and fails the whole statement; a NUL typed, pasted
    or forged into any form field, JSON string or webhook parameter would otherwise be a
    500. It never carries meaning, so it is dropped on both databases alike."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {key: without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(without_nul(item) for item in value)
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


def _drop_nul_characters(conn: Any, cursor: Any, statement: str, parameters: Any,
                         context: Any, executemany: bool) -> tuple[str, Any]:
    return statement, without_nul(parameters) if _has_nul(parameters) else parameters


def normalise_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (as hosting platforms write them) use
    psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Every model must be known before the first query, whichever package the process
    # imported first (a worker may only import the booking core).
    import helpline.models  # noqa: F401

    # Objects stay readable after the service's transaction commits.
    return sessionmaker(engine, expire_on_commit=False)
