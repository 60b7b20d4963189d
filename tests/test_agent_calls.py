"""An agent's calls as the desk, the screen pop and wrap-up read them every second or
two: a call whose status callback was lost does not keep the agent "on a call" for
ever, and on PostgreSQL the reads use the index on an agent's calls, not a scan of the
whole call log."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import event, insert

from booking_core.base import unit_of_work
from contact_centre.agents import agent_desk
from contact_centre.caller_history import call_on_screen
from contact_centre.models import AgentState, Call, CallOutcome, StaffUser
from contact_centre.routing import current_call, last_call
from helpline.db import make_engine, make_session_factory
from tests.fixtures_console import make_staff

_sids = itertools.count(1)


def _answered(session, agent_id: int, *, started: dt.datetime,
              ended: dt.datetime | None = None) -> Call:
    with unit_of_work(session):
        call = Call(call_sid=f"CAagent{next(_sids):08d}", path=["main", "agent"],
                    outcome=CallOutcome.AGENT, started_at=started, queued_at=started,
                    answered_at=started + dt.timedelta(seconds=20), ended_at=ended,
                    agent_id=agent_id)
        session.add(call)
    return call


def test_a_call_whose_end_was_never_reported_stops_holding_the_agent(session, now):
    agent = make_staff(session, "agent.lost")
    with unit_of_work(session):
        session.get(StaffUser, agent.id).state = AgentState.ON_CALL
    lost = _answered(session, agent.id, started=now - dt.timedelta(hours=5))
    assert current_call(session, agent.id, now) is None  # Twilio ended it long ago
    assert agent_desk(session, agent.id, now=now).current is None
    assert call_on_screen(session, agent.id, now) is None
    # Within Twilio's longest call it is still the agent's call.
    assert current_call(session, agent.id, now - dt.timedelta(hours=2)).id == lost.id
    fresh = _answered(session, agent.id, started=now - dt.timedelta(minutes=3))
    assert current_call(session, agent.id, now).id == fresh.id
    assert agent_desk(session, agent.id, now=now).current.id == fresh.id


def _plan(session, read) -> str:
    """PostgreSQL's plan for the one statement ``read`` sends."""
    connection = session.connection()
    sent: list[tuple[str, object]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", grab)
    try:
        read()
    finally:
        event.remove(connection, "before_cursor_execute", grab)
    statement, parameters = sent[-1]
    rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)  # type: ignore[arg-type]
    return "\n".join(row[0] for row in rows)


def test_the_desks_reads_use_the_index_on_an_agents_calls(pg_database_url, now):
    engine = make_engine(pg_database_url)
    try:
        with make_session_factory(engine)() as session:
            agents = [make_staff(session, f"agent.idx{n}").id for n in range(40)]
            # A month of a busy floor: 40,000 answered calls, a thousand per agent.
            rows = [{"call_sid": f"CAidx{n:08d}", "path": ["main", "agent"], "direction": "inbound",
                     "status": "completed", "outcome": "agent", "details": {},
                     "started_at": now - dt.timedelta(minutes=n),
                     "answered_at": now - dt.timedelta(minutes=n) + dt.timedelta(seconds=20),
                     "ended_at": now - dt.timedelta(minutes=n) + dt.timedelta(minutes=4),
                     "agent_id": agents[n % len(agents)]} for n in range(40_000)]
            with unit_of_work(session):
                session.execute(insert(Call), rows)
            session.connection().exec_driver_sql("ANALYZE call")
            agent = agents[7]
            for read in (lambda: current_call(session, agent, now),
                         lambda: last_call(session, agent),
                         lambda: call_on_screen(session, agent, now)):
                plan = _plan(session, read)
                assert "ix_call_agent_ended" in plan, plan
                assert "Seq Scan on call" not in plan, plan
            assert last_call(session, agent).agent_id == agent
    finally:
        engine.dispose()
