"""Work that runs on a clock, found from the database so a restart loses nothing.

The scheduler process (``flask scheduler``, in the Procfile) runs each entry every
``interval`` seconds; each entry is idempotent and safe to run from two schedulers.
Entries are "module:function" names taking no arguments, resolved at run time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    target: str  # "package.module:function"
    interval_seconds: int
    # False: every scheduler runs it, without the once-per-interval lock (work that
    # lives on each host, or that must run when Redis and the database lock cannot).
    locked: bool = True


PERIODIC_TASKS: list[PeriodicTask] = [
    PeriodicTask("generate-slots", "helpline.maintenance:generate_upcoming_slots", 6 * 3600),
    PeriodicTask("agent-routing", "helpline.routing_jobs:route_waiting_callers", 5),
    PeriodicTask("outbox-sweep", "messaging.queueing:sweep_due", 15),
    PeriodicTask("outbox-reconcile", "messaging.reconcile:reconcile_stuck", 60),
    PeriodicTask("grievance-escalations", "helpline.grievance_jobs:run_escalations", 300),
    PeriodicTask("opd-no-shows", "helpline.opd_jobs:run_no_shows", 300),
    PeriodicTask("waiting-list-lapses", "helpline.opd_jobs:run_offer_lapses", 30),
    PeriodicTask("spool-replay", "helpline.spool_jobs:replay_spool", 10, locked=False),
]
