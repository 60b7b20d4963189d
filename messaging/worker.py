"""The RQ worker process.

``SimpleWorker`` runs jobs in the worker process itself. RQ's default ``Worker`` forks
a child per job to isolate it; with our small batch jobs the fork, the child's new
database and Twilio connections and the parent's bookkeeping cost more than the job
(measured in docs/BENCHMARKS.md). Our jobs hold no state between runs and each one
opens and closes its own session, so isolation buys nothing here.

A worker that serves the messages queue also looks for due outbox rows in the database
itself, every ``OUTBOX_POLL_SECONDS`` (``OutboxPoller``). The job queued after a commit
is only the fast way to wake a worker, and it is lost in ordinary ways: the web process
skips it while its Redis client pauses after one slow answer, a job taken while this
process's database pause lasts fails at once and RQ does not run it again, and RQ's own
loop sleeps up to 60 s between tries after a Redis error. The scheduler's sweep finds
such rows too, but only every 15 s and only when its own Redis calls succeed, so under
load a row waited minutes (docs/BENCHMARKS.md, "The OPD day"). The poller needs only
the database: the claim (``FOR UPDATE SKIP LOCKED``, conditional ``UPDATE``) makes it,
the row's own job, a sweep batch and other workers take each row once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from rq import SimpleWorker, Worker

from messaging.delivery import deliver
from messaging.queueing import QUEUE

log = logging.getLogger(__name__)


class OutboxPoller:
    """A thread that delivers due outbox rows found in the database, batch after batch
    while there are any, then waits ``interval`` seconds. Errors (a database pause) are
    logged and the next round tries again."""

    def __init__(self, helpline: Any, interval: float) -> None:
        self.helpline = helpline
        self.interval = interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="outbox-poller", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Finish the batch in hand (its sends are bounded by half the lease)."""
        self.stopping.set()
        self.thread.join(self.helpline.settings.outbox_lease_seconds / 2 + 15)

    def poll_once(self) -> int:
        """Deliver every due row now; returns how many were claimed to send."""
        batch = self.helpline.settings.outbox_batch_size
        total = 0
        while not self.stopping.is_set():
            claimed = deliver(self.helpline, ids=None, limit=batch)
            total += claimed
            if claimed < batch:
                break
        return total

    def _run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.poll_once()
            except Exception:  # a database pause: the next round tries again
                log.warning("outbox poller: this round failed", exc_info=True)


def run_worker(helpline: Any, queues: list[str], *, burst: bool = False,
               forking: bool = False) -> bool:
    names = [helpline.jobs.queue_name(q) for q in queues]
    worker_class = Worker if forking else SimpleWorker
    worker = worker_class(
        [helpline.jobs.queue(q) for q in queues],
        connection=helpline.jobs.redis,
        name=f"{helpline.settings.redis_namespace}-{socket.gethostname()}-{os.getpid()}",
    )
    interval = helpline.settings.outbox_poll_seconds
    # Not beside RQ's forking worker: a fork taken while the poller's thread holds a
    # lock (the connection pool's, logging's) leaves the job's child holding it for ever.
    poller = (OutboxPoller(helpline, interval)
              if QUEUE in queues and interval > 0 and not forking else None)
    log.info("worker %s on %s (%s)%s", worker.name, ", ".join(names), worker_class.__name__,
             f", outbox poll every {interval:g} s" if poller else "")
    if poller is not None and not burst:
        poller.start()
    try:
        return bool(worker.work(burst=burst, logging_level=helpline.settings.log_level,
                                with_scheduler=False))
    finally:
        if poller is not None and poller.thread.is_alive():
            poller.stop()
