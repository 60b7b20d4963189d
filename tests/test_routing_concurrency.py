"""Routing under concurrency on PostgreSQL: callers and agents arriving at once never
give one caller to two agents or two callers to one agent, and nobody waits while an
agent is free.

Two layers: processes racing ``connect_waiting_callers`` itself (each with its own
engine, as web and worker processes have), and a shift through the app's webhooks and
console in threads against the fake Twilio: 3 agents, 10 callers queueing at once,
served round after round through answer, hang-up and wrap-up.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from contact_centre.models import AgentState, Call, StaffUser
from contact_centre.routing import connect_waiting_callers
from helpline.db import make_engine, make_session_factory
from tests.conftest import TWILIO_SID, TWILIO_TOKEN
from tests.fake_twilio import FakeTwilio
from tests.fixtures_console import ConsoleClient, make_staff
from tests.fixtures_messaging import messaging_app
from tests.fixtures_routing import Ringing, Switchboard

pytestmark = [pytest.mark.postgres]

PROCESSES = 6


def _route(database_url: str, start: Any, out: Any) -> None:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    start.wait(10)
    with sessions() as session:
        routes = connect_waiting_callers(session)
    engine.dispose()
    out.put([(r.call_id, r.agent_id) for r in routes])


def _race(database_url: str) -> list[tuple[int, int]]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_route, args=(database_url, start, out))
             for _ in range(PROCESSES)]
    for proc in procs:
        proc.start()
    start.set()
    pairs = []
    for _ in procs:
        pairs.extend(out.get(timeout=120))
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    return pairs


def _seed(session, agents: int, callers: int) -> tuple[list[int], list[int]]:
    base = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    agent_ids, call_ids = [], []
    for n in range(agents):
        agent = make_staff(session, f"agent.{n}")
        with session.begin():
            agent.state = AgentState.AVAILABLE
            agent.state_changed_at = base + dt.timedelta(seconds=n)
        agent_ids.append(agent.id)
    with session.begin():
        for n in range(callers):
            moment = base + dt.timedelta(seconds=30 + n)
            call = Call(call_sid=f"CA{n:032d}", from_phone=f"+9198123{n:05d}", path=[],
                        details={}, queued_at=moment, waiting_since=moment, language="hi")
            session.add(call)
            session.flush()
            call_ids.append(call.id)
    return agent_ids, call_ids


@pytest.mark.parametrize(("agents", "callers"), [(3, 10), (10, 3)])
def test_processes_routing_at_once_pair_each_caller_and_agent_once(
    pg_database_url, agents, callers
):
    engine = make_engine(pg_database_url)
    with make_session_factory(engine)() as session:
        agent_ids, call_ids = _seed(session, agents, callers)
    pairs = _race(pg_database_url)
    pairs_made = min(agents, callers)
    assert len(pairs) == pairs_made
    assert len({call for call, _ in pairs}) == len({agent for _, agent in pairs}) == pairs_made
    # Longest-waiting callers first, always. Agents are taken available-longest first, but
    # a router skips an agent another router holds (SKIP LOCKED), and that router may let
    # it go when every waiting caller is taken: with several routers at once an agent can
    # be passed over for one further down the list, never by more than the routers.
    assert {call for call, _ in pairs} == set(call_ids[:pairs_made])
    chosen = {agent for _, agent in pairs}
    assert chosen <= set(agent_ids[:pairs_made + PROCESSES - 1])
    if agents <= callers:
        assert chosen == set(agent_ids)
    with make_session_factory(engine)() as session:
        ringing = session.scalars(select(StaffUser.connecting_call_id)
                                  .where(StaffUser.connecting_call_id.is_not(None))).all()
        assert sorted(ringing) == sorted(call for call, _ in pairs)
    engine.dispose()


def _at_once(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run ``tasks`` in threads released together; re-raise the first failure."""
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)
    errors: list[BaseException] = []

    def run(i: int, task: Callable[[], Any]) -> None:
        barrier.wait(10)
        try:
            results[i] = task()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise errors[0]
    return results


def _check_invariants(helpline: Any) -> None:
    """No agent has two calls; no caller waits while an agent is free to ring."""
    with helpline.session() as s:
        live = Counter(s.scalars(select(Call.agent_id).where(
            Call.agent_id.is_not(None), Call.ended_at.is_(None))).all())
        assert all(n == 1 for n in live.values()), live
        waiting = s.scalar(select(Call.id).where(Call.waiting_since.is_not(None)).limit(1))
        free = s.scalar(select(StaffUser.id).where(
            StaffUser.state == AgentState.AVAILABLE,
            StaffUser.connecting_call_id.is_(None)).limit(1))
        assert waiting is None or free is None, (waiting, free)


def test_a_shift_three_agents_ten_callers_queueing_at_once(pg_database_url):
    with FakeTwilio(TWILIO_SID, TWILIO_TOKEN) as fake:
        # Ten callers at once: nobody is offered a callback for a long expected wait.
        app = messaging_app(pg_database_url, fake, agent_hours="00:00-00:00",
                            ivr_long_wait_seconds=36_000)
        helpline = app.extensions["helpline"]
        board = Switchboard(app, fake, helpline)
        phones = {}
        consoles = {}
        for n in range(3):
            phones[n] = f"+91981000020{n}"
            with helpline.session() as s:
                make_staff(s, f"agent.{n}", phone=phones[n])
            consoles[n] = ConsoleClient(app.test_client())
            consoles[n].login(f"agent.{n}")
        agent_of_phone = {p: n for n, p in phones.items()}
        callers = [board.caller(f"+9198123{n:05d}") for n in range(10)]

        # Everybody at once: three agents go available while ten callers press 0.
        agents_on = [lambda c=c: c.post("/console/me/state", {"state": "available"})
                     for c in consoles.values()]
        callers_in = [lambda p=p: board.queue(p) for p in callers]
        _at_once([*agents_on, *callers_in])
        served: Counter[str] = Counter()
        rounds = 0
        while sum(served.values()) < len(callers):
            rounds += 1
            assert rounds <= 10, served
            board.deliver()
            _check_invariants(helpline)
            rings: list[Ringing] = board.follow_redirects()
            assert rings, "callers wait, agents are free, nobody rings"
            assert len({r.caller_sid for r in rings}) == len(rings)
            assert len({r.to for r in rings}) == len(rings)  # one caller per agent
            served.update(r.caller_sid for r in rings)
            _at_once([lambda r=r: board.agent_answers(r) for r in rings])
            with helpline.session() as s:
                on_call = s.scalars(select(StaffUser.username).where(
                    StaffUser.state == AgentState.ON_CALL)).all()
            assert sorted(on_call) == sorted(f"agent.{agent_of_phone[r.to]}" for r in rings)
            _check_invariants(helpline)
            # The calls end together, and each agent sums up at once.
            _at_once([lambda r=r: board.dial_ends(r, "completed") for r in rings])
            _at_once([lambda r=r: consoles[agent_of_phone[r.to]].post(
                "/console/me/wrap-up", {"disposition": "resolved"}) for r in rings])
        assert set(served) == {p.call_sid for p in callers}
        assert max(served.values()) == 1  # each caller reached exactly one agent
        assert rounds == 4  # 3 + 3 + 3 + 1
        with helpline.session() as s:
            calls = s.scalars(select(Call).where(Call.answered_at.is_not(None))).all()
            assert len(calls) == 10 and all(c.disposition is not None for c in calls)
            assert Counter(c.agent_id for c in calls).most_common(1)[0][1] <= 4
        helpline.engine.dispose()
