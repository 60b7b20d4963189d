"""The periodic side of agent routing, as the scheduler runs it: wrap-ups that ran out
make their agents available, agents left ringing by a lost webhook are freed, and any
caller still waiting while an agent is free is connected (``contact_centre.routing``)."""

from __future__ import annotations

from contact_centre.routing import connect_waiting_callers, free_stuck_agents
from helpline import jobs


def route_waiting_callers() -> dict[str, int]:
    helpline = jobs.current()
    with helpline.session() as session:
        freed = free_stuck_agents(session)
        routes = connect_waiting_callers(session,
                                         wrap_up_seconds=helpline.settings.wrap_up_seconds)
    return {"freed": freed, "routed": len(routes)}
