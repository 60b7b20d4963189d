"""Engine and sessions, made per app from its settings (never at import time)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.errors import _WaitTimeout
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from helpline import deadline
from helpline.pause import Pause

# Execution options for a session that only reads. On SQLite its transaction starts
# DEFERRED, so it never waits for (or holds) the write lock: a read of reference data in a
# second session while the request's own transaction holds that lock would otherwise wait
# on its own process until the busy timeout (30 s). PostgreSQL ignores it.
READ_ONLY: dict[str, Any] = {"helpline_read_only": True}

# What a database that is down, frozen or unreachable raises (a refused or timed-out
# connection, a statement cut short, no connection free in the pool): the request
# could not be served now, but nothing was wrong with it.
# A failed connection attempt that ran to within this many seconds of its connect
# timeout waited the timeout out: the server is there but does not answer. One that
# ended sooner was answered: refused (a stopped server) or turned away ("too many
# clients", a starting or shutting-down server), which costs the next request nothing.
TIMED_OUT_SLACK_S = 0.5

DATABASE_DOWN: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)


@dataclass(frozen=True)
class DatabaseLimits:
    """How long a PostgreSQL connection may wait, and on what (README, "Settings").

    A stopped server refuses at once, but a frozen one (a stuck disk, a partition,
    SIGSTOP) never answers: only timeouts end the wait. ``statement_timeout_ms`` makes
    the server give up on a slow statement; keepalives and ``tcp_user_timeout_ms`` make
    the kernel drop a connection whose peer stopped answering; and every wait for the
    server is also cut on our side, to what is left of the request's deadline
    (``helpline.deadline``) or else to the statement timeout plus ``client_margin_s``,
    because a frozen server on a reachable host still acknowledges every packet.
    Once a wait or a connection has timed out that way, the process does not ask the server
    again for ``pause_s`` seconds (``helpline.pause``): otherwise each new request
    would wait out its own deadline, and a few callers would hold every web worker
    while the ones queued behind them heard Twilio's error. Values given in
    ``DATABASE_URL``'s query string win over these.
    """

    connect_timeout_s: int = 3
    statement_timeout_ms: int = 10_000
    tcp_user_timeout_ms: int = 10_000
    keepalives_idle_s: int = 10
    keepalives_interval_s: int = 3
    keepalives_count: int = 3
    client_margin_s: float = 5.0
    pause_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: Any) -> DatabaseLimits:
        return cls(connect_timeout_s=settings.db_connect_timeout_seconds,
                   statement_timeout_ms=settings.db_statement_timeout_ms,
                   tcp_user_timeout_ms=settings.db_tcp_user_timeout_ms,
                   pause_s=settings.db_pause_seconds)

    def connection_parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "connect_timeout": self.connect_timeout_s,
            "keepalives": 1,
            "keepalives_idle": self.keepalives_idle_s,
            "keepalives_interval": self.keepalives_interval_s,
            "keepalives_count": self.keepalives_count,
            "tcp_user_timeout": self.tcp_user_timeout_ms,
        }
        if self.statement_timeout_ms:
            params["options"] = f"-c statement_timeout={self.statement_timeout_ms}"
        return params

    @property
    def wait_cap_s(self) -> float:
        """The longest one wait for the server may take outside a request."""
        if not self.statement_timeout_ms:
            return math.inf
        return self.statement_timeout_ms / 1000 + self.client_margin_s


def make_engine(database_url: str, *, limits: DatabaseLimits | None = None,
                **kwargs: Any) -> Engine:
    """An engine tuned for the helpline.

    SQLite (the embedded default) gets WAL, a busy timeout and ``BEGIN IMMEDIATE``, so
    concurrent bookings from several processes queue for the write lock instead of
    failing; PostgreSQL gets pre-ping so a restarted server costs one retry, not a 500,
    and the timeouts of ``limits`` (defaults: ``DatabaseLimits()``), so a hung server
    costs a request its deadline, never a hung worker.
    On both, statement parameters lose NUL characters (``without_nul``).
    """
    engine = _make_engine(database_url, limits or DatabaseLimits(), **kwargs)
    event.listen(engine, "before_cursor_execute", _drop_nul_characters, retval=True)
    return engine


def _make_engine(database_url: str, limits: DatabaseLimits, **kwargs: Any) -> Engine:
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
    url = normalise_database_url(database_url)
    in_url = set(make_url(url).query)
    connect_args = {key: value for key, value in limits.connection_parameters().items()
                    if key not in in_url}
    connect_args.update(kwargs.pop("connect_args", {}))
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_timeout", 5)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    pause = Pause("the database", limits.pause_s, psycopg.OperationalError)
    bounded = type("BoundedConnection", (BoundedConnection,),
                   {"wait_cap_s": limits.wait_cap_s, "pause": pause})

    @event.listens_for(engine, "do_connect")
    def _connect_within_deadline(dialect: Any, _record: Any, cargs: Any,
                                 cparams: dict[str, Any]) -> Any:
        pause.check()
        configured = float(cparams.get("connect_timeout") or limits.connect_timeout_s)
        left = deadline.remaining(configured)
        if left <= 0:
            raise psycopg.OperationalError("no time left to connect to the database")
        # libpq counts whole seconds and takes nothing under 2.
        cparams["connect_timeout"] = max(2, math.ceil(left))
        started = time.monotonic()
        try:
            return bounded.connect(*cargs, **cparams)
        except psycopg.OperationalError:
            # A connection the server answered with a refusal costs nothing, so it is
            # tried again at once, even when a loaded machine made the answer slow; one
            # that waited out its timeout (a frozen server) starts the pause.
            if time.monotonic() - started >= cparams["connect_timeout"] - TIMED_OUT_SLACK_S:
                pause.failed()
            raise

    return engine


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server ends in time: at the
    request's deadline, else after ``wait_cap_s``. A wait cut short leaves the
    connection mid-conversation, so it is closed; SQLAlchemy then sees a closed
    connection, counts the error as a disconnect and drops it from the pool."""

    wait_cap_s: float = math.inf
    pause: Pause | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if self.pause is not None and self.pause.paused:
            self.close()
            self.pause.check()
        budget = deadline.remaining(self.wait_cap_s)
        if timeout is not None and timeout <= budget:
            return super().wait(gen, interval, timeout)  # the caller's own, shorter limit
        if budget <= 0:
            self.close()
            raise psycopg.OperationalError("no time left to wait for the database")
        try:
            return super().wait(gen, interval, None if math.isinf(budget) else budget)
        except _WaitTimeout:
            self.close()
            if self.pause is not None:
                self.pause.failed()
            raise psycopg.OperationalError(
                f"the database did not answer within {budget:.1f} s") from None


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
    """Whether a text in ``value`` (a text, or parameters holding texts) has a NUL.
    Runs before every statement, so the usual case, a flat dict or tuple of scalars,
    is one loop without recursion."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list | tuple):
        return False
    for item in value:
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict | list | tuple) and _has_nul(item):
            return True
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
