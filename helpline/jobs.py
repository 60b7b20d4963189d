"""Background jobs on RQ, or inline when no Redis is configured (embedded default).

Jobs are enqueued only after the transaction that made them necessary has committed,
and receive ids, never ORM objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError

from helpline.settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAMES = ("messages", "default")


class Jobs:
    """The app's handle on its job queues."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._redis: Redis | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.settings.redis_url)

    @property
    def redis(self) -> Redis:
        if not self.settings.redis_url:
            raise RuntimeError("REDIS_URL is not set")
        if self._redis is None:
            self._redis = Redis.from_url(
                self.settings.redis_url, socket_timeout=2, socket_connect_timeout=2
            )
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
        database-driven sweep to pick the work up later, so nothing is lost.
        """
        if not self.enabled:
            if isinstance(func, str):
                module, _, name = func.rpartition(".")
                func = getattr(__import__(module, fromlist=[name]), name)
            func(*args, **kwargs)
            return True
        try:
            self.queue(queue).enqueue(
                func, *args, job_id=job_id, unique=job_id is not None, **kwargs
            )
        except DuplicateJobError:
            return True
        except Exception:  # Redis down or timing out: late, never lost
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
