"""A local fake of Twilio's REST API, for the real ``twilio`` client to talk to.

A threaded HTTP server on 127.0.0.1 (random port) that answers like Twilio's 2010-04-01
API for Messages.json and Calls.json: create (form-encoded POST, HTTP basic auth), fetch
by SID and list with ``To``/``From`` filters, update a call in progress (``POST
Calls/<sid>.json`` with ``Url``: a redirect, listed in ``redirects``; refused with 21220
for a call ``hang_up`` ended), with Twilio's JSON bodies, SIDs and error documents.
Point an app at it with ``TWILIO_API_BASE_URL=fake.base_url``.

Scripting: ``reject(phone, 21211)`` makes every create to a number fail with that
Twilio error; ``fail_next(status, times)`` answers the next creates with 429/5xx;
``latency`` delays each create; ``concurrency_limit`` answers 429 (Twilio error 20429)
to a request that arrives while that many are in flight, as Twilio does per account.
Every request is recorded in ``requests``; ``most_in_flight`` is the peak concurrency.
Used by the tests and by ``bench/``.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ERROR_MESSAGES = {
    21211: "The 'To' number {to} is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21220: "Call is not in-progress. Cannot redirect.",
    20003: "Authenticate",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    at: float


@dataclass
class Resource:
    sid: str
    kind: str  # "Messages" or "Calls"
    params: dict[str, str]
    created: dt.datetime
    status: str = "queued"

    def as_json(self, account_sid: str) -> dict[str, Any]:
        stamp = email.utils.format_datetime(self.created, usegmt=True)
        common = {
            "sid": self.sid, "account_sid": account_sid, "api_version": "2010-04-01",
            "to": self.params.get("To"), "from": self.params.get("From"),
            "status": self.status, "date_created": stamp, "date_updated": stamp,
            "uri": f"/2010-04-01/Accounts/{account_sid}/{self.kind}/{self.sid}.json",
            "subresource_uris": {},
        }
        if self.kind == "Messages":
            return common | {
                "body": self.params.get("Body", ""), "num_segments": "1", "num_media": "0",
                "direction": "outbound-api", "date_sent": None, "price": None,
                "price_unit": "USD", "error_code": None, "error_message": None,
                "messaging_service_sid": self.params.get("MessagingServiceSid"),
            }
        return common | {
            "direction": "outbound-api", "start_time": None, "end_time": None,
            "duration": None, "parent_call_sid": None, "price": None, "price_unit": "USD",
            "answered_by": None, "caller_name": None, "forwarded_from": None,
            "phone_number_sid": None, "queue_time": "0", "trunk_sid": None, "group_sid": None,
        }


@dataclass
class _Scripted:
    status: int
    code: int


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    latency: float = 0.0
    concurrency_limit: int | None = None
    most_in_flight: int = 0
    throttled: int = 0
    requests: list[RecordedRequest] = field(default_factory=list)
    resources: dict[str, Resource] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    # (call SID, the URL it was sent to), in order: calls moved by a call update.
    redirects: list[tuple[str, str]] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: deque[_Scripted] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._in_flight = 0

    # --- scripting -------------------------------------------------------------------
    def reject(self, phone: str, code: int) -> None:
        """Every create to ``phone`` fails with Twilio error ``code`` (HTTP 400)."""
        self.rejected[phone] = code

    def fail_next(self, status: int, times: int = 1, code: int | None = None) -> None:
        """The next ``times`` creates get HTTP ``status`` (429, 500, 503...)."""
        with self._lock:
            for _ in range(times):
                self._scripted.append(_Scripted(status, code or (20429 if status == 429
                                                                 else 20500)))

    def hang_up(self, call_sid: str) -> None:
        """The call ended: updating it is refused from now on, as Twilio does."""
        with self._lock:
            self.ended.add(call_sid)

    # --- what happened ---------------------------------------------------------------
    def created(self, kind: str = "Messages") -> list[Resource]:
        with self._lock:
            return [r for r in self.resources.values() if r.kind == kind]

    def create_attempts(self, kind: str = "Messages") -> int:
        with self._lock:
            return sum(1 for r in self.requests
                       if r.method == "POST" and r.path.endswith(f"/{kind}.json"))

    def sent_bodies(self, to: str | None = None) -> list[str]:
        return [r.params.get("Body", "") for r in self.created("Messages")
                if to is None or r.params.get("To") == to]

    # --- server ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(_Handler):
            twilio = fake

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-twilio",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- behaviour -------------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict[str, str],
               authorization: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, params, time.time()))
            if self.concurrency_limit is not None and self._in_flight >= self.concurrency_limit:
                self.throttled += 1
                return _error(429, 20429)
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            return self._answer(method, path, params, authorization)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, method: str, path: str, params: dict[str, str],
                authorization: str) -> tuple[int, dict[str, Any]]:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if authorization != f"Basic {expected}":
            return _error(401, 20003)
        prefix = f"/2010-04-01/Accounts/{self.account_sid}/"
        if not path.startswith(prefix) or not path.endswith(".json"):
            return _error(404, 20404)
        rest = path[len(prefix):-len(".json")]
        kind, _, sid = rest.partition("/")
        if kind not in ("Messages", "Calls"):
            return _error(404, 20404)
        if method == "POST" and not sid:
            return self._create(kind, params)
        if method == "POST" and kind == "Calls":
            return self._update_call(sid, params)
        if method == "GET" and sid:
            with self._lock:
                resource = self.resources.get(sid)
            return (200, resource.as_json(self.account_sid)) if resource else _error(404, 20404)
        if method == "GET":
            return 200, self._list(kind, params, path)
        return _error(405, 20004)

    def _create(self, kind: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.latency:
            time.sleep(self.latency)
        to = params.get("To", "")
        with self._lock:
            scripted = self._scripted.popleft() if self._scripted else None
        if scripted is not None:
            return _error(scripted.status, scripted.code)
        if to in self.rejected:
            return _error(400, self.rejected[to], to=to)
        if not to.startswith("+") or not to[1:].isdigit():
            return _error(400, 21211, to=to)
        required = "Body" if kind == "Messages" else "Url"
        if not params.get(required) or not params.get("From"):
            return _error(400, 21602 if kind == "Messages" else 21205)
        prefix = "SM" if kind == "Messages" else "CA"
        resource = Resource(prefix + secrets.token_hex(16), kind, dict(params),
                            dt.datetime.now(dt.UTC).replace(microsecond=0))
        with self._lock:
            self.resources[resource.sid] = resource
        return 201, resource.as_json(self.account_sid)

    def _update_call(self, sid: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            scripted = self._scripted.popleft() if self._scripted else None
            if scripted is not None:
                return _error(scripted.status, scripted.code)
            if sid in self.ended:
                return _error(400, 21220)
            if not params.get("Url") and not params.get("Twiml"):
                return _error(400, 21205)
            self.redirects.append((sid, params.get("Url", "")))
            resource = self.resources.get(sid) or Resource(
                sid, "Calls", {"To": "", "From": ""},
                dt.datetime.now(dt.UTC).replace(microsecond=0), status="in-progress")
        return 200, resource.as_json(self.account_sid)

    def _list(self, kind: str, params: dict[str, str], path: str) -> dict[str, Any]:
        size = int(params.get("PageSize", "50"))
        with self._lock:
            found = [r for r in self.resources.values() if r.kind == kind
                     and params.get("To") in (None, r.params.get("To"))
                     and params.get("From") in (None, r.params.get("From"))]
        found.sort(key=lambda r: r.created, reverse=True)  # newest first, like Twilio
        key = "messages" if kind == "Messages" else "calls"
        return {
            key: [r.as_json(self.account_sid) for r in found[:size]],
            "page": 0, "page_size": size, "start": 0, "end": min(size, len(found)) - 1,
            "uri": path, "first_page_uri": path, "next_page_uri": None,
            "previous_page_uri": None,
        }


def _error(status: int, code: int, **fmt: str) -> tuple[int, dict[str, Any]]:
    message = ERROR_MESSAGES.get(code, "error").format(**fmt) if fmt else ERROR_MESSAGES.get(
        code, "error").replace(" {to}", "")
    return status, {"code": code, "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class _Server(ThreadingHTTPServer):
    # Dozens of clients connect at once (requests in flight per worker x workers): the
    # default listen backlog of 5 would reset some of their connections.
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client killed mid-request (the SIGKILL tests) resets its connection:
        expected here, not worth a traceback."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's API does
    # Headers and body go out in two writes: without this, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every request on loopback.
    disable_nagle_algorithm = True
    twilio: FakeTwilio

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else parts.query
        params = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        status, body = self.twilio.handle(self.command, parts.path, params,
                                          self.headers.get("Authorization", ""))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return
