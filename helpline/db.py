"""Engine and sessions, made per app from its settings (never at import time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the helpline.

    SQLite (the embedded default) gets WAL, a busy timeout and ``BEGIN IMMEDIATE``, so
    concurrent bookings from several processes queue for the write lock instead of
    failing; PostgreSQL gets pre-ping so a restarted server costs one retry, not a 500.
    """
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
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 3})
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_timeout", 5)
    return create_engine(normalise_database_url(database_url), **kwargs)


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
