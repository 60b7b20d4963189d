"""The RQ worker process.

``SimpleWorker`` runs jobs in the worker process itself. RQ's default ``Worker`` forks
a child per job to isolate it; with our small batch jobs the fork, the child's new
database and Twilio connections and the parent's bookkeeping cost more than the job
(measured in docs/BENCHMARKS.md). Our jobs hold no state between runs and each one
opens and closes its own session, so isolation buys nothing here.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from rq import SimpleWorker, Worker

log = logging.getLogger(__name__)


def run_worker(helpline: Any, queues: list[str], *, burst: bool = False,
               forking: bool = False) -> bool:
    names = [helpline.jobs.queue_name(q) for q in queues]
    worker_class = Worker if forking else SimpleWorker
    worker = worker_class(
        [helpline.jobs.queue(q) for q in queues],
        connection=helpline.jobs.redis,
        name=f"{helpline.settings.redis_namespace}-{socket.gethostname()}-{os.getpid()}",
    )
    log.info("worker %s on %s (%s)", worker.name, ", ".join(names), worker_class.__name__)
    return bool(worker.work(burst=burst, logging_level=helpline.settings.log_level,
                            with_scheduler=False))
