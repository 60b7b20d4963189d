"""Private PostgreSQL and Redis servers that a fault test may freeze, stop and restart.

The shared servers other tests use are never touched: each server here is started by
the tests themselves on a free port in a temporary directory (PostgreSQL as the
``postgres`` user when the tests run as root, since it refuses to run as root), and
stopped afterwards. ``freeze`` sends SIGSTOP to every process of the server, as a stuck
disk or a network partition looks from outside: connections stay open and nothing
answers; ``thaw`` sends SIGCONT.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is needed for the fault tests", pytrace=False)
    pytest.skip(f"{what} is not installed")


class Frozen(ABC):
    """Signals for a server's processes."""

    @abstractmethod
    def main_pid(self) -> int:
        """The server's main process id."""

    def freeze(self) -> None:
        for pid in descendants(self.main_pid()):
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in descendants(self.main_pid()):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


class PrivatePostgres(Frozen):
    def __init__(self, directory: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            _missing("PostgreSQL (initdb, pg_ctl)")
        self.bin = Path(found[-1]).parent
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(directory, "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def initialise(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", options, "-w", "start")

    def stop(self) -> None:
        self.thaw()
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                  "-w", "stop")

    def main_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def server_log(self) -> str:
        return self.log.read_text(errors="replace")


class PrivateRedis(Frozen):
    def __init__(self, directory: Path) -> None:
        self.exe = shutil.which("redis-server")
        if self.exe is None:
            _missing("redis-server")
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.exe is not None
        self.process = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.thaw()
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def main_pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this test module's own, holding a migrated ``helpline``."""
    from sqlalchemy import create_engine, text

    from helpline.migrate import upgrade

    directory = Path(tempfile.mkdtemp(prefix="helpline-pg-"))
    server = PrivatePostgres(directory)
    try:
        server.initialise()
        server.start()
        engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE helpline"))
        engine.dispose()
        upgrade(server.url("helpline"))
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    directory = Path(tempfile.mkdtemp(prefix="helpline-redis-"))
    server = PrivateRedis(directory)
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def empty_private_database(server: PrivatePostgres) -> str:
    """The private ``helpline`` database with every table emptied."""
    from sqlalchemy import create_engine, text

    from helpline.models import metadata

    url = server.url("helpline")
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url
