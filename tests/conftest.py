"""Fixtures: real SQLite and PostgreSQL databases, real Redis, an app per test.

Every test run makes its own PostgreSQL database and Redis key namespace, so several
runs can share one server. Set ``CI=true`` to make a missing server an error instead of
a skip.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from helpline.app import create_app
from helpline.migrate import upgrade
from helpline.settings import Settings

# Each feature's fixtures live in its own module.
pytest_plugins = [
    "tests.fixtures_api",
    "tests.fixtures_ivr",
    "tests.fixtures_console",
    "tests.fixtures_messaging",
    "tests.fixtures_routing",
    "tests.fixtures_robustness",
    "tests.fixtures_faults",
    "tests.fixtures_browser",
]

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"
RUN_ID = uuid.uuid4().hex[:8]
TWILIO_TOKEN = "test-auth-token-0123456789abcdef"
TWILIO_SID = "AC" + "0" * 32
PUBLIC_BASE_URL = "https://helpline.test"
# Each app's spool (what arrives while the database is down) lives under this run's own
# temporary directory, never under instance/.
SPOOL_ROOT = Path(tempfile.gettempdir()) / f"helpline-test-spool-{RUN_ID}-{os.getpid()}"


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable: {exc}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL server."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # pragma: no cover - depends on the machine
        _unavailable("PostgreSQL", exc)
    return PG_ADMIN_URL


def _create_pg_database(admin_url: str, name: str) -> str:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_pg(postgres_server: str) -> Iterator[str]:
    """A PostgreSQL database for this test run, migrated once."""
    name = f"helpline_test_{RUN_ID}_{os.getpid()}"
    url = _create_pg_database(postgres_server, name)
    upgrade(url)
    yield url
    _drop_pg_database(postgres_server, name)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def _truncate_pg(url: str) -> None:
    from helpline.models import metadata

    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A freshly migrated, empty database: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_database_url")
    url = request.getfixturevalue("migrated_pg")
    _truncate_pg(url)
    return url


@pytest.fixture
def sqlite_database_url(migrated_sqlite_template: Path, tmp_path: Path) -> str:
    """A freshly migrated SQLite file of this test's own (other processes can open it)."""
    path = tmp_path / "helpline.sqlite3"
    path.write_bytes(migrated_sqlite_template.read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture
def pg_database_url(migrated_pg: str) -> str:
    """PostgreSQL only, for concurrency tests."""
    _truncate_pg(migrated_pg)
    return migrated_pg


@pytest.fixture(scope="session")
def redis_url() -> str:
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # pragma: no cover - depends on the machine
        _unavailable("Redis", exc)
    return REDIS_URL


@pytest.fixture
def redis_namespace(request: pytest.FixtureRequest) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    namespace = f"test-{RUN_ID}-{uuid.uuid4().hex[:6]}"
    yield namespace
    if "redis_url" in request.fixturenames:
        from redis import Redis

        conn = Redis.from_url(REDIS_URL)
        for pattern in (f"{namespace}*", f"rq:*{namespace}*"):
            keys = list(conn.scan_iter(pattern, count=1000))
            if keys:
                conn.delete(*keys)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def rate_limit_storage(request: pytest.FixtureRequest) -> dict[str, object]:
    """Settings that keep rate limits in the process's memory, or in Redis under this
    test's own namespace: limit tests run on both."""
    if request.param == "memory":
        return {}
    return {"redis_url": request.getfixturevalue("redis_url"),
            "redis_namespace": request.getfixturevalue("redis_namespace")}


# How long a request of an ordinary test may wait on the database in all. The tests run
# one after another on a shared machine that is sometimes loaded for seconds at a time;
# the production deadline (PRODUCTION_REQUEST_DEADLINE_S, Settings' default) would then
# turn a slow answer into the outage apology. Tests of a hung or stopped server pass
# the production deadline and check the answer comes in time.
TEST_REQUEST_DEADLINE_S = 30.0
PRODUCTION_REQUEST_DEADLINE_S = Settings.request_deadline_seconds
# The same for one statement, and so for a wait outside any request (a job, the demo
# loader, a CLI command: ``helpline.db`` caps those at the statement timeout plus a
# margin). Tests of a hung or stopped server pass the production value.
TEST_STATEMENT_TIMEOUT_MS = 30_000
# What a fault test passes to make_settings: the production waits on the database.
PRODUCTION_LIMITS: dict[str, object] = {
    "request_deadline_seconds": PRODUCTION_REQUEST_DEADLINE_S,
    "db_statement_timeout_ms": Settings.db_statement_timeout_ms,
}


def make_settings(database_url: str, **overrides: object) -> Settings:
    base = Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        public_base_url=PUBLIC_BASE_URL,
        twilio_account_sid=TWILIO_SID,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_phone_number="+911140000000",
        spool_dir=str(SPOOL_ROOT / uuid.uuid4().hex[:8]),
        request_deadline_seconds=TEST_REQUEST_DEADLINE_S,
        db_statement_timeout_ms=TEST_STATEMENT_TIMEOUT_MS,
        # Agents on duty at every hour, so a test's outcome does not depend on the time
        # of day it runs; after-hours tests say so (fixtures_ivr.agent_hours_excluding_now).
        agent_hours="00:00-00:00",
        # No SMS quiet hours either (reminders and follow-up calls would wait for 08:00
        # when the suite runs at night); the delivery tests set the production hours.
        sms_quiet_hours="off",
        testing=True,
    )
    return base.with_overrides(**overrides)


@pytest.fixture(scope="session", autouse=True)
def _remove_test_spools() -> Iterator[None]:
    yield
    shutil.rmtree(SPOOL_ROOT, ignore_errors=True)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings: Settings):
    app = create_app(settings)
    yield app
    app.extensions["helpline"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def helpline(app):
    return app.extensions["helpline"]


@pytest.fixture
def session(helpline) -> Iterator[Session]:
    with helpline.session() as s:
        yield s


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
