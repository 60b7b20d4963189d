"""How long the code running now may still wait on the database.

A web request gets a deadline when it starts (``REQUEST_DEADLINE_SECONDS``); every wait
on a PostgreSQL connection is cut to what is left of it (``helpline.db``), so a frozen
server (a stuck disk, a network partition, SIGSTOP) costs a webhook at most its
deadline and the caller hears the apology well inside Twilio's 15 seconds. Outside a
request (workers, the scheduler, the CLI) each wait is bounded by the statement timeout
plus a margin instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_deadline: ContextVar[float | None] = ContextVar("helpline_deadline", default=None)


def start(seconds: float) -> Token[float | None]:
    """Give the code running from now on ``seconds`` in all; returns what ``end`` takes."""
    return _deadline.set(time.monotonic() + seconds)


def end(token: Token[float | None]) -> None:
    _deadline.reset(token)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    token = start(seconds)
    try:
        yield
    finally:
        end(token)


def remaining(cap: float) -> float:
    """Seconds the next wait may take: ``cap``, or less when the deadline is nearer
    (zero or below once it has passed)."""
    deadline = _deadline.get()
    if deadline is None:
        return cap
    return min(cap, deadline - time.monotonic())
