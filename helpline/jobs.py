"""Background jobs on RQ, or inline when no Redis is configured (embedded default).

Jobs are enqueued only after the transaction that made them necessary has committed,
and receive ids, never ORM objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from rq import Queue
from rq.exceptions import DuplicateJobError

from helpline.pause import Pause
from helpline.settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAMES = ("messages", "default")


class RedisPause(Pause):
    """A slow or unreachable Redis is treated as a missing one for a while.

    Every Redis call already gives up after ``REDIS_TIMEOUT_SECONDS``; once one has
    failed, calls fail at once for ``REDIS_PAUSE_SECONDS`` instead of each waiting out
    its own timeout (a frozen Redis made every booking and API call 2 s slower). When
    the pause is over the next call tries the server again. Everything that uses Redis
    already copes with it failing: outbox rows are found in the database by the workers'
    poll and the scheduler's sweep, rate limits let requests through, locks fall back
    to the database."""

    def __init__(self, seconds: float) -> None:
        super().__init__("Redis", seconds, RedisConnectionError)


_FAILURES = (RedisConnectionError, RedisTimeoutError)


class _PausedWhenFailing:
    """Mixed into the connection class of the app's Redis pool (see ``RedisPause``)."""

    pause: RedisPause

    def connect_check_health(self, *args: Any, **kwargs: Any) -> Any:
        self.pause.check()
        try:
            return super().connect_check_health(*args, **kwargs)  # type: ignore[misc]
        except _FAILURES:
            self.pause.failed()
            raise

    def send_packed_command(self, *args: Any, **kwargs: Any) -> Any:
        self.pause.check()
        try:
            return super().send_packed_command(*args, **kwargs)  # type: ignore[misc]
        except _FAILURES:
            self.pause.failed()
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)  # type: ignore[misc]
        except _FAILURES:
            self.pause.failed()
            raise


def guarded_redis(url: str, timeout: float, pause: RedisPause) -> Redis:
    """A client whose every call ends within ``timeout`` seconds, without retries
    (redis-py retries three times by default), and that ``pause`` stops asking after a
    failure."""
    client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                            retry=Retry(NoBackoff(), 0))
    pool = client.connection_pool
    base = pool.connection_class
    pool.connection_class = type(f"Paused{base.__name__}", (_PausedWhenFailing, base),
                                 {"pause": pause})
    return client


class Jobs:
    """The app's handle on its job queues."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._redis: Redis | None = None
        self.pause = RedisPause(settings.redis_pause_seconds)

    @property
    def enabled(self) -> bool:
        return bool(self.settings.redis_url)

    @property
    def redis(self) -> Redis:
        if not self.settings.redis_url:
            raise RuntimeError("REDIS_URL is not set")
        if self._redis is None:
            self._redis = guarded_redis(self.settings.redis_url,
                                        self.settings.redis_timeout_seconds, self.pause)
        return self._redis

    def queue_name(self, name: str) -> str:
        return f"{self.settings.redis_namespace}-{name}"

    def queue(self, name: str = "default") -> Queue:
        return Queue(self.queue_name(name), connection=self.redis)

    def enqueue(
        self,
        func: Callable[..., Any] | str,
        *args: Any,
        queue: str = "default",
        job_id: str | None = None,
        **kwargs: Any,
    ) -> bool:
        """Run ``func(*args)`` in a worker; inline when Redis is not configured.

        With ``job_id`` a job already waiting under that id is not queued again. Returns
        False when the job could not be queued (Redis down): callers rely on the
        database (the messages workers' poll, the scheduler's sweep) to pick the work up
        later, so nothing is lost.
        """
        if not self.enabled:
            if isinstance(func, str):
                module, _, name = func.rpartition(".")
                func = getattr(__import__(module, fromlist=[name]), name)
            func(*args, **kwargs)
            return True
        if self.pause.paused:
            return False
        try:
            self.queue(queue).enqueue(
                func, *args, job_id=job_id, unique=job_id is not None, **kwargs
            )
        except DuplicateJobError:
            return True
        except _FAILURES as exc:  # Redis down or timing out: late, never lost
            log.warning("could not queue job %s: %s", job_id or func, exc)
            return False
        except Exception:
            log.exception("could not queue job %s", job_id or func)
            return False
        return True

    def ping(self) -> bool:
        if not self.enabled:
            return True
        try:
            return bool(self.redis.ping())
        except Exception:
            return False


# The helpline a job runs against. Web requests run inline jobs inside their app
# context; a worker process builds its app once at start and calls ``activate``.
_worker_helpline: Any = None


def activate(helpline: Any) -> None:
    """Make ``helpline`` the one jobs in this process use (worker start-up)."""
    global _worker_helpline
    _worker_helpline = helpline


def current() -> Any:
    """The ``Helpline`` (settings, sessions, jobs) for the code running now."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.extensions["helpline"]
    if _worker_helpline is None:
        raise RuntimeError("no helpline: start workers with `flask worker`")
    return _worker_helpline
