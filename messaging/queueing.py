"""Waking workers: right after a commit, and from the database on a clock.

Jobs carry row ids or nothing at all; every job claims its rows in the database, so a
job queued twice, run twice, or lost with a Redis restart changes nothing: the
messages workers poll the database for due rows every second (``messaging.worker``),
and the sweep finds them too and queues work for them again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from booking_core.base import utcnow
from helpline import jobs
from messaging.delivery import deliver, deliver_due, due_count

log = logging.getLogger(__name__)

QUEUE = "messages"
SWEEP_INTERVAL_SECONDS = 15
# At most this many batch jobs waiting at once: more would only claim nothing.
MAX_QUEUED_BATCHES = 100


def job_id(helpline: Any, *parts: object) -> str:
    """RQ keeps jobs under ``rq:job:<id>`` whatever the queue: the namespace goes into
    the id so two deployments sharing a Redis server never collide."""
    return "-".join(str(p) for p in (helpline.settings.redis_namespace, *parts))


def outbox_listener(helpline: Any) -> Callable[[list[int]], None]:
    """Called after a commit that wrote outbox rows: queue their delivery. The job id
    is made from the ids, so the same rows are never queued twice; rows not yet due
    (reminders) are left for the workers' poll and the sweep. Without Redis see below."""

    def on_commit(ids: list[int]) -> None:
        ordered = sorted(ids)
        if not helpline.jobs.enabled:
            # No Redis. The demo inbox costs nothing: fill it now. Real sends are left to
            # ``flask scheduler``'s database sweep (within 15 s): a web request, an IVR
            # webhook above all, must not wait on Twilio's REST API.
            if not helpline.settings.twilio_configured:
                deliver(helpline, ids=ordered, limit=len(ordered))
            return
        helpline.jobs.enqueue(
            "messaging.delivery.deliver_rows", ordered, queue=QUEUE,
            job_id=job_id(helpline, "outbox", ordered[0], ordered[-1], len(ordered)),
        )

    return on_commit


def sweep_due() -> int:
    """Periodic task: queue one batch job per ``OUTBOX_BATCH_SIZE`` due rows. Two
    schedulers in the same interval make the same job ids, so they queue each once.
    Without Redis the batches run here, one after another."""
    helpline = jobs.current()
    settings = helpline.settings
    with helpline.session() as session:
        due = due_count(session, utcnow())
    if not due:
        return 0
    if not helpline.jobs.enabled:
        delivered = 0
        while (batch := deliver_due()) > 0:
            delivered += batch
        return delivered
    wanted = min(MAX_QUEUED_BATCHES, math.ceil(due / settings.outbox_batch_size))
    prefix = job_id(helpline, "outbox-due", "")
    try:
        # Only batch jobs count: a job queued for named rows sends only those rows, so a
        # row whose own job died with its worker before claiming it would otherwise wait
        # for a tick when the queue happens to be empty.
        waiting = sum(1 for queued in helpline.jobs.queue(QUEUE).get_job_ids()
                      if queued.startswith(prefix))
    except Exception:
        log.warning("sweep: Redis unreachable, %s due messages wait", due)
        return 0
    tick = int(time.time() // SWEEP_INTERVAL_SECONDS)
    queued = 0
    for i in range(max(0, wanted - waiting)):
        batch_id = job_id(helpline, "outbox-due", tick, i)
        if helpline.jobs.enqueue(deliver_due, queue=QUEUE, job_id=batch_id):
            queued += 1
    return queued
