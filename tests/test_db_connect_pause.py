"""Which failed connection attempts make a process stop asking PostgreSQL for a while
(``helpline.db``, ``helpline.pause``).

Only an attempt that waited out its connect timeout (a frozen server) starts the pause.
A server that answers with a refusal, "too many clients" for one, is there and
answering: however slowly a loaded machine delivers that answer, the next request
must try again rather than be told the database is down for the pause's seconds.
The servers here speak just enough of PostgreSQL's wire protocol to do that.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from helpline.db import DatabaseLimits, make_engine

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104
LIMITS = DatabaseLimits(connect_timeout_s=3, pause_s=60)


def _error_response(sqlstate: str, message: str) -> bytes:
    fields = b"".join(code + value.encode() + b"\0" for code, value in
                      ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message)))
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


class FakeServer:
    """Accepts connections on a local port; ``answer`` after ``delay_s`` seconds replies
    to the startup message with a FATAL error, else the server never answers it."""

    def __init__(self, *, answer: bool, delay_s: float) -> None:
        self.answer = answer
        self.delay_s = delay_s
        self.accepted = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            self.open.append(conn)
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        try:
            while True:
                head = conn.recv(8, socket.MSG_WAITALL)
                if len(head) < 8:
                    return
                length, code = struct.unpack("!II", head)
                if code in (SSL_REQUEST, GSS_REQUEST):
                    conn.sendall(b"N")
                    continue
                conn.recv(length - 8, socket.MSG_WAITALL)
                if not self.answer:
                    time.sleep(30)
                    return
                time.sleep(self.delay_s)
                conn.sendall(_error_response("53300", "sorry, too many clients already"))
                conn.close()
                return
        except OSError:
            return

    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/helpline?sslmode=disable"

    def close(self) -> None:
        self.listener.close()
        for conn in self.open:
            conn.close()


@pytest.fixture
def servers() -> Iterator[list[FakeServer]]:
    made: list[FakeServer] = []
    yield made
    for server in made:
        server.close()


def _try(engine) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(OperationalError) as caught:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    return str(caught.value.orig), time.monotonic() - started


@pytest.mark.parametrize("delay_s", [0.0, 1.5])
def test_a_refusal_however_slow_is_asked_again_at_once(servers, delay_s):
    server = FakeServer(answer=True, delay_s=delay_s)
    servers.append(server)
    engine = make_engine(server.url(), limits=LIMITS, pool_pre_ping=False)
    try:
        first, took = _try(engine)
        assert "too many clients" in first
        assert took >= delay_s
        second, _ = _try(engine)
        assert "too many clients" in second, "a refusal must not pause the database"
        assert server.accepted >= 2
    finally:
        engine.dispose()


def test_a_connection_that_waits_out_its_timeout_pauses_the_database(servers):
    server = FakeServer(answer=False, delay_s=0)
    servers.append(server)
    engine = make_engine(server.url(), limits=LIMITS, pool_pre_ping=False)
    try:
        first, took = _try(engine)
        assert took >= LIMITS.connect_timeout_s - 0.5
        accepted = server.accepted
        second, quick = _try(engine)
        assert "failed a moment ago" in second
        assert quick < 1.0
        assert server.accepted == accepted
    finally:
        engine.dispose()
