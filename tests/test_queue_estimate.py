"""The expected wait in the agent queue: measured from the last hour's answered calls
and the agents staffed, the same figure on the wallboard and in the caller's ear."""

from __future__ import annotations

import datetime as dt
import itertools

from booking_core.base import unit_of_work
from contact_centre.call_queue import estimate_queue
from contact_centre.models import AgentState, Call, CallOutcome
from contact_centre.wallboard import wallboard
from tests.fixtures_console import make_staff

_sids = itertools.count(1)


def answered_call(session, now, *, ago: int, wait: int, handling: int | None) -> None:
    queued = now - dt.timedelta(seconds=ago)
    answered = queued + dt.timedelta(seconds=wait)
    with unit_of_work(session):
        session.add(Call(call_sid=f"CAest{next(_sids):06d}", path=["main", "agent"],
                         outcome=CallOutcome.AGENT, started_at=queued, queued_at=queued,
                         answered_at=answered,
                         ended_at=answered + dt.timedelta(seconds=handling) if handling else None,
                         details={"queue_result": "bridged"}))


def staffed(session, n: int, state: AgentState = AgentState.AVAILABLE) -> None:
    for _ in range(n):
        user = make_staff(session, f"agent.est{next(_sids)}")
        with unit_of_work(session):
            session.get(type(user), user.id).state = state


def test_without_recent_answers_the_default_per_caller_is_used(session, now):
    answered_call(session, now, ago=3 * 3600, wait=10, handling=100)  # too old to count
    estimate = estimate_queue(session, now=now, position=3, default_wait_seconds=120)
    assert (estimate.wait_seconds, estimate.measured) == (360, False)


def test_handling_time_over_staffed_agents(session, now):
    for ago in (600, 900, 1200):
        answered_call(session, now, ago=ago, wait=50, handling=240)
    answered_call(session, now, ago=2 * 3600, wait=50, handling=10_000)  # outside the hour
    staffed(session, 1)
    staffed(session, 1, AgentState.ON_CALL)
    staffed(session, 1, AgentState.BREAK)  # not taking calls
    estimate = estimate_queue(session, now=now, position=3)
    assert (estimate.agents, estimate.handling_seconds) == (2, 240)
    assert (estimate.wait_seconds, estimate.measured) == (360, True)  # 3 x 240 s / 2
    # Nobody waiting now: a new caller is next, and the wallboard shows the same figure.
    assert estimate_queue(session, now=now).wait_seconds == 120
    assert wallboard(session, now=now).expected_wait_seconds == 120


def test_answered_waits_when_no_call_has_ended_yet(session, now):
    answered_call(session, now, ago=300, wait=40, handling=None)
    answered_call(session, now, ago=200, wait=80, handling=None)
    estimate = estimate_queue(session, now=now, position=2)
    assert (estimate.wait_seconds, estimate.measured) == (120, True)  # 2 x 60 s


def test_the_caller_in_the_queue_hears_the_measured_estimate(phone, ivr_world, ivr_session):
    now = dt.datetime.now(dt.UTC)
    for ago in (600, 900):
        answered_call(ivr_session, now, ago=ago, wait=30, handling=100)
    staffed(ivr_session, 1)
    phone.call()
    phone.press("2")
    phone.press("0")
    wait_url = phone.root.find("Enqueue").get("waitUrl")
    phone.post(wait_url, QueuePosition="3", QueueTime="10", AvgQueueTime="50")
    # 3 callers x 100 s / 1 agent = 5 minutes (the old fixed rule said 6).
    assert "You are number 3 in the queue" in phone.said
    assert "about 5 minutes" in phone.said
