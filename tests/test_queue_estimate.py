"""The expected wait in the agent queue: measured from the last hour's answered calls
and the agents staffed, the same figure on the wallboard and in the caller's ear."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from booking_core.base import unit_of_work
from contact_centre.call_queue import estimate_queue
from contact_centre.models import AgentState, Call, CallOutcome, StaffUser
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
    # Nobody waiting and an agent available: a new caller is put through at once, and
    # the wallboard shows the same figure.
    assert estimate_queue(session, now=now).wait_seconds == 0
    assert wallboard(session, now=now).expected_wait_seconds == 0
    # Once that agent is on a call too, a new caller waits for one of the two.
    staffed_agent = session.scalars(select(StaffUser).where(
        StaffUser.state == AgentState.AVAILABLE)).one()
    with unit_of_work(session):
        session.get(StaffUser, staffed_agent.id).state = AgentState.ON_CALL
    assert estimate_queue(session, now=now).wait_seconds == 120  # 1 x 240 s / 2
    assert wallboard(session, now=now).expected_wait_seconds == 120


def test_as_many_available_agents_as_callers_ahead_means_no_wait(session, now):
    for ago in (600, 900):
        answered_call(session, now, ago=ago, wait=30, handling=300)
    staffed(session, 2)  # available: free, or their phone ringing for a caller
    staffed(session, 3, AgentState.ON_CALL)
    for position, seconds in ((1, 0), (2, 0), (3, 180), (5, 300)):  # p x 300 s / 5 agents
        estimate = estimate_queue(session, now=now, position=position)
        assert (estimate.wait_seconds, estimate.available, estimate.agents) == (seconds, 2, 5)


def test_answered_waits_when_no_call_has_ended_yet(session, now):
    answered_call(session, now, ago=300, wait=40, handling=None)
    answered_call(session, now, ago=200, wait=80, handling=None)
    estimate = estimate_queue(session, now=now, position=2)
    assert (estimate.wait_seconds, estimate.measured) == (120, True)  # 2 x 60 s


def test_the_caller_in_the_queue_hears_the_measured_estimate(phone, ivr_world, ivr_session):
    now = dt.datetime.now(dt.UTC)
    for ago in (600, 900):
        answered_call(ivr_session, now, ago=ago, wait=30, handling=100)
    staffed(ivr_session, 1, AgentState.ON_CALL)  # nobody free: the caller waits
    phone.call()
    phone.press("2")
    phone.press("0")
    wait_url = phone.root.find("Enqueue").get("waitUrl")
    phone.post(wait_url, QueuePosition="3", QueueTime="10", AvgQueueTime="50")
    # 3 callers x 100 s / 1 agent = 5 minutes (the old fixed rule said 6).
    assert "You are number 3 in the queue" in phone.said
    assert "about 5 minutes" in phone.said


def test_a_caller_an_agent_is_free_for_hears_no_queue_number_or_wait(new_phone, ivr_world,
                                                                     ivr_session):
    now = dt.datetime.now(dt.UTC)
    for ago in (600, 900):
        answered_call(ivr_session, now, ago=ago, wait=30, handling=100)
    staffed(ivr_session, 2)  # routing rings one for each caller
    for caller, key, free, queued in (
            ("+919812300071", "2", "An agent is free and will be with you in a moment",
             "in the queue"),
            ("+919812300072", "1", "एक सहायक अभी खाली हैं", "कतार में")):
        phone = new_phone(caller)
        phone.call()
        phone.press(key)
        phone.press("0")
        wait_url = phone.root.find("Enqueue").get("waitUrl")
        phone.post(wait_url, QueuePosition="1", QueueTime="0", AvgQueueTime="50")
        assert free in phone.said and queued not in phone.said
        assert "1" not in "".join(ch for ch in phone.said if ch.isdigit())  # no callback key


def test_an_agent_ringing_for_one_caller_is_not_free_for_the_next(new_phone, ivr_world,
                                                                  ivr_session):
    """The only agent is being rung for caller A: A hears that an agent is free, B (even
    when Twilio says B is first in the queue, A having been moved out of it) hears a
    queue number and a wait, and so does the wallboard's new caller."""
    now = dt.datetime.now(dt.UTC)
    for ago in (600, 900):
        answered_call(ivr_session, now, ago=ago, wait=30, handling=100)
    staffed(ivr_session, 1)
    agent = ivr_session.scalars(select(StaffUser).where(
        StaffUser.state == AgentState.AVAILABLE)).one()
    first, second = new_phone("+919812300081"), new_phone("+919812300082")
    waits = {}
    for phone in (first, second):
        phone.call()
        phone.press("2")
        phone.press("0")
        waits[phone] = phone.root.find("Enqueue").get("waitUrl")
    ivr_session.rollback()
    first_call = ivr_session.scalars(select(Call).where(Call.call_sid == first.call_sid)).one()
    with unit_of_work(ivr_session):  # routing rang the agent for the first caller
        ivr_session.get(StaffUser, agent.id).connecting_call_id = first_call.id
    first.post(waits[first], QueuePosition="1", QueueTime="5", AvgQueueTime="50")
    assert "An agent is free" in first.said
    second.post(waits[second], QueuePosition="1", QueueTime="3", AvgQueueTime="50")
    assert "You are number 1 in the queue" in second.said
    assert "An agent is free" not in second.said
    estimate = estimate_queue(ivr_session, now=now)
    assert estimate.wait_seconds > 0 and estimate.available == 0
