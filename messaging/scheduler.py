"""The clock: runs each ``helpline.periodic.PERIODIC_TASKS`` entry on its interval.

Two schedulers may run (a deploy overlapping the old one, or two for availability):
each run of a task takes a lock for its interval slot first, in Redis (``SET NX`` on
``<namespace>:periodic:<task>:<slot>``) or, without Redis, a PostgreSQL advisory lock.
Every task is idempotent anyway, so the lock saves work rather than guarding
correctness. Work is found from the database, so a restarted scheduler (or Redis)
loses nothing.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from helpline.periodic import PERIODIC_TASKS, PeriodicTask

log = logging.getLogger(__name__)


def resolve(target: str) -> Callable[[], Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


class Scheduler:
    def __init__(self, helpline: Any, tasks: list[PeriodicTask] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.helpline = helpline
        self.tasks = list(PERIODIC_TASKS if tasks is None else tasks)
        self.clock = clock
        self.next_run = {task.name: 0.0 for task in self.tasks}
        self.stopping = threading.Event()

    def run(self, once: bool = False) -> None:
        log.info("scheduler: %s", ", ".join(t.name for t in self.tasks))
        while not self.stopping.is_set():
            self.tick()
            if once:
                return
            wake = min(self.next_run.values(), default=self.clock() + 60)
            self.stopping.wait(max(0.5, min(5.0, wake - self.clock())))

    def tick(self) -> list[str]:
        """Run every task whose time has come; returns the names run here."""
        ran = []
        for task in self.tasks:
            now = self.clock()
            if now < self.next_run[task.name]:
                continue
            self.next_run[task.name] = now + task.interval_seconds
            if self._run_locked(task, int(now // task.interval_seconds)):
                ran.append(task.name)
        return ran

    def _run_locked(self, task: PeriodicTask, slot: int) -> bool:
        jobs = self.helpline.jobs
        try:
            if not task.locked:
                self._call(task)
                return True
            if jobs.enabled:
                key = f"{self.helpline.settings.redis_namespace}:periodic:{task.name}:{slot}"
                if not jobs.redis.set(key, "1", nx=True, ex=task.interval_seconds * 2):
                    return False
                self._call(task)
                return True
            if not self.helpline.settings.is_sqlite:
                with self.helpline.engine.connect() as conn, conn.begin():
                    lock_id = zlib.crc32(f"periodic:{task.name}".encode())
                    got = conn.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_id})
                    if not got:
                        return False
                    self._call(task)
                    return True
            self._call(task)
            return True
        except Exception:  # one failing task must not stop the clock
            log.exception("periodic task %s failed", task.name)
            return False

    @staticmethod
    def _call(task: PeriodicTask) -> None:
        started = time.perf_counter()
        result = resolve(task.target)()
        log.info("periodic %s: %s in %.2fs", task.name, result, time.perf_counter() - started)
