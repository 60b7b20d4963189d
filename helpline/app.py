"""The application factory: builds one helpline from explicit settings."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, jsonify, request
from flask_limiter import Limiter
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from booking_core.base import MAX_INTEGER
from booking_core.outbox import NEW_OUTBOX_KEY
from helpline import deadline, security_headers
from helpline.db import DATABASE_DOWN, DatabaseLimits, make_engine, make_session_factory
from helpline.jobs import Jobs
from helpline.logging_setup import configure_logging
from helpline.ratelimit import make_limiter
from helpline.settings import Settings, SettingsError, resolve_secrets
from helpline.spool import Spool

log = logging.getLogger(__name__)

EXIT_SETTINGS_ERROR = 3  # gunicorn's WORKER_BOOT_ERROR

ErrorRenderer = Callable[[int, str, str], Response]


@dataclass
class Helpline:
    """Everything a request or a job needs, built once per app."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    jobs: Jobs
    limiter: Limiter
    # Citizens' messages kept while the database is down (helpline/spool.py).
    spool: Spool
    # Called after a transaction that wrote outbox rows commits, with the row ids.
    outbox_listeners: list[Callable[[list[int]], None]] = field(default_factory=list)
    # Path prefix -> how errors look there (TwiML for webhooks, JSON for the API).
    error_renderers: dict[str, ErrorRenderer] = field(default_factory=dict)

    def session(self) -> Session:
        return self.sessions()


def build_helpline(settings: Settings) -> Helpline:
    engine = make_engine(settings.database_url, limits=DatabaseLimits.from_settings(settings))
    sessions = make_session_factory(engine)
    jobs = Jobs(settings)
    helpline = Helpline(
        settings=settings, engine=engine, sessions=sessions, jobs=jobs,
        limiter=make_limiter(settings), spool=Spool(settings.spool_path),
    )

    @event.listens_for(sessions, "after_commit")
    def _outbox_committed(session: Session) -> None:
        if session.in_nested_transaction():
            # A savepoint released (a unit of work inside another): nothing is
            # committed yet, and another connection would not see the rows (or, on
            # SQLite, would wait for the write lock): they wake with the outer commit.
            return
        ids = session.info.pop(NEW_OUTBOX_KEY, None)
        if ids:
            for listener in helpline.outbox_listeners:
                try:
                    listener(list(ids))
                except Exception:  # the sweep will deliver it; never fail the commit
                    log.exception("outbox listener failed")

    @event.listens_for(sessions, "after_soft_rollback")
    def _outbox_rolled_back(session: Session, previous: SessionTransaction) -> None:
        # A savepoint (a unit of work inside another) takes its own rows off the list
        # (``booking_core.base``); the outer transaction's rows still wake up.
        if not previous.nested:
            session.info.pop(NEW_OUTBOX_KEY, None)

    return helpline


def get_session() -> Session:
    """The request's session, closed when the request ends."""
    if "db_session" not in g:
        from flask import current_app

        g.db_session = current_app.extensions["helpline"].session()
    return g.db_session


def current_helpline() -> Helpline:
    from flask import current_app

    return current_app.extensions["helpline"]


def at_most(limit: int) -> str:
    """A regular expression for the decimal numbers 0..``limit`` (leading zeros allowed).

    The bound must be in the pattern itself: a converter that refuses a number only after
    its pattern matched makes Werkzeug answer 405 rather than 404 when another method is
    routed at the same path (POST to ``/hospitals/99999999999/resources``, which has a
    GET)."""
    text = str(limit)
    parts = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, char in enumerate(text):
        low, high = ("1" if i == 0 else "0"), int(char) - 1
        if high >= int(low):
            parts.append(f"{text[:i]}[{low}-{high}][0-9]{{{len(text) - i - 1}}}")
    parts.append(text)
    return "(?:0*(?:" + "|".join(parts) + ")|0+)"


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` in every URL: a number too large for an INTEGER column matches no
    route (404) instead of reaching the database and failing there (a 500); so do
    digits other than ASCII ones ("１２")."""

    regex = at_most(MAX_INTEGER)

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


def refuse_oversized_body() -> None:
    """413 for a declared body over ``MAX_REQUEST_BYTES`` before any view runs, so no
    view answers something else first (401, 403) or does work for it; bodies without a
    length are cut off by werkzeug when read."""
    from flask import current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def create_app(settings: Settings | None = None) -> Flask:
    try:
        settings = resolve_secrets(settings or Settings.from_env())
    except SettingsError as exc:
        # One line naming the setting, then the exit status gunicorn reads as "worker
        # failed to boot", so its master stops instead of restarting workers forever.
        print(f"helpline cannot start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_SETTINGS_ERROR) from None
    configure_logging(settings.log_level)
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        TESTING=settings.testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.before_request(refuse_oversized_body)
    _bound_each_request(app, settings.request_deadline_seconds)
    helpline = build_helpline(settings)
    app.extensions["helpline"] = helpline

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    _trust_proxies(app, settings.trusted_proxies)
    _register_operations(app)
    helpline.limiter.init_app(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    security_headers.init_app(app)
    from helpline.cli import register_cli

    register_cli(app)
    return app


def _bound_each_request(app: Flask, seconds: float) -> None:
    """Every request gets ``REQUEST_DEADLINE_SECONDS`` of database waiting in all
    (``helpline.deadline``): a hung database then fails the request in time for the
    view to answer (a webhook's apology, the API's 503) before Twilio or gunicorn give
    up on it."""

    @app.before_request
    def _start_deadline() -> None:
        g.deadline_token = deadline.start(seconds)

    @app.teardown_request
    def _end_deadline(_exc: BaseException | None) -> None:
        token = g.pop("deadline_token", None)
        if token is not None:
            deadline.end(token)


def _trust_proxies(app: Flask, hops: int) -> None:
    """Behind ``hops`` proxies of ours, take the client's address and scheme from the
    ``X-Forwarded-For`` / ``X-Forwarded-Proto`` entries those proxies appended (entries
    further left are whatever the client sent). ``X-Forwarded-Host`` is not trusted: every
    public URL, webhook signatures included, is built from ``PUBLIC_BASE_URL``. With no
    proxies the headers are ignored, so a client cannot choose the address it is
    counted under."""
    if hops:
        proxied = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
        app.wsgi_app = proxied  # type: ignore[method-assign]


def _register_blueprints(app: Flask) -> None:
    from helpline.blueprints import register_all

    register_all(app)


def _register_operations(app: Flask) -> None:
    from helpline.metrics import RequestMetrics

    request_metrics = RequestMetrics(app.extensions["helpline"])

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Any:
        helpline = current_helpline()
        checks = {"database": False, "redis": helpline.jobs.ping()}
        try:
            with helpline.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception:
            log.warning("readiness: database unreachable")
        ok = all(checks.values())
        return jsonify(status="ok" if ok else "unavailable", checks=checks), (200 if ok else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        return request_metrics.response()

    app.before_request(request_metrics.start_timer)
    app.after_request(request_metrics.record)


def _register_error_handlers(app: Flask) -> None:
    def render(status: int, code: str, message: str) -> Response:
        for prefix, renderer in current_helpline().error_renderers.items():
            if request.path.startswith(prefix):
                return renderer(status, code, message)
        response = jsonify(error={"code": code, "message": message})
        response.status_code = status
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        return render(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        if isinstance(exc, DATABASE_DOWN):
            # Not a bug in the request: the database is down or not answering in time.
            log.error("database unavailable on %s: %s", request.path,
                      str(exc).splitlines()[0][:200])
            response = render(503, "service_unavailable",
                              "The service is briefly unavailable. Please retry shortly.")
            response.headers["Retry-After"] = "30"
            return response
        log.exception("unhandled error on %s", request.path)
        return render(500, "internal_error", "Something went wrong on our side. Please retry.")
