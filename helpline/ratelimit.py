"""Fixed-window rate limits: in Redis when it is configured (shared by every web
process), else in this process's memory (the embedded single-process default)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from helpline.jobs import Jobs


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    limit: int
    retry_after: int


class RateLimiter:
    def __init__(self, jobs: Jobs) -> None:
        self._jobs = jobs
        self._lock = threading.Lock()
        self._memory: dict[str, tuple[int, float]] = {}

    def hit(self, bucket: str, key: str, limit: int, window_seconds: int) -> Verdict:
        """Count one attempt of ``key`` in ``bucket``; allowed while within ``limit``
        per ``window_seconds``. Redis failing open is deliberate: a citizen should not
        be locked out because Redis restarted."""
        now = time.time()
        window = int(now // window_seconds)
        retry_after = int((window + 1) * window_seconds - now) + 1
        name = f"{self._jobs.settings.redis_namespace}:rl:{bucket}:{key}:{window}"
        if self._jobs.enabled:
            try:
                pipe = self._jobs.redis.pipeline()
                pipe.incr(name)
                pipe.expire(name, window_seconds + 5)
                count = int(pipe.execute()[0])
                return Verdict(count <= limit, count, limit, retry_after)
            except Exception:
                return Verdict(True, 0, limit, 0)
        with self._lock:
            count, expires = self._memory.get(name, (0, now + window_seconds))
            count += 1
            self._memory[name] = (count, expires)
            if len(self._memory) > 10_000:
                self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
        return Verdict(count <= limit, count, limit, retry_after)

    def reset(self, bucket: str, key: str, window_seconds: int) -> None:
        window = int(time.time() // window_seconds)
        name = f"{self._jobs.settings.redis_namespace}:rl:{bucket}:{key}:{window}"
        if self._jobs.enabled:
            try:
                self._jobs.redis.delete(name)
            except Exception:
                return
        with self._lock:
            self._memory.pop(name, None)
