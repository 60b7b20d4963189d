"""A dependency that failed a moment ago is not asked again for a while.

Every call to a server already ends at its timeout; but when the server is frozen (a
stuck disk, a partition, SIGSTOP) each new request would wait out that timeout again,
and a handful of requests can then hold every web worker. Once a call has failed, a
``Pause`` makes the following calls fail at once for ``seconds``; after that, the next
call tries the server again (and, if it fails, starts a new pause). Used for Redis
(``helpline.jobs``) and PostgreSQL (``helpline.db``); the pause is per process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Pause:
    """``check()`` raises ``error(message)`` while paused; ``failed()`` starts a pause
    of ``seconds`` (logged once per pause, naming ``what``)."""

    def __init__(self, what: str, seconds: float, error: Callable[[str], Exception]) -> None:
        self.what = what
        self.seconds = seconds
        self.error = error
        self.until = 0.0

    @property
    def paused(self) -> bool:
        return time.monotonic() < self.until

    def check(self) -> None:
        if self.paused:
            raise self.error(f"{self.what} failed a moment ago; not asking it again yet")

    def failed(self) -> None:
        if self.seconds <= 0:
            return
        if not self.paused:
            log.warning("%s is not answering; treating it as missing for %.0f s",
                        self.what, self.seconds)
        self.until = time.monotonic() + self.seconds
