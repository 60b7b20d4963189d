"""Periodic jobs of the grievance workflow, as the scheduler runs them: no arguments,
the helpline (settings, sessions) from ``helpline.jobs.current()``."""

from __future__ import annotations

from grievances.escalation import close_long_resolved, escalate_overdue
from helpline import jobs


def run_escalations() -> dict[str, int]:
    """Escalate grievances past their SLA and close long-resolved ones (idempotent)."""
    helpline = jobs.current()
    with helpline.session() as session:
        escalated = escalate_overdue(session, tz=helpline.settings.helpline_timezone)
        closed = close_long_resolved(session)
    return {"escalated": escalated, "closed": closed}
