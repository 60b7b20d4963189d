"""One open callback request per number (waiting, claimed or being called), whoever
asks for it: ``contact_centre.callbacks.request_callback`` is the only way a request is
made (the phone line, its spool, an agent phoning a complainant), and the database's
partial unique index holds it when requests race."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from booking_core.base import AUTOCOMMIT_READS, unit_of_work
from contact_centre.call_log import start_call
from contact_centre.callbacks import (
    CallbackTaken,
    call_complainant,
    claim_callback,
    record_callback_outcome,
    request_callback,
)
from contact_centre.models import CallbackRequest, CallbackStatus, StaffUser
from helpline.app import create_app
from tests.conftest import make_settings
from tests.fixtures_console import make_grievance, make_staff

NUMBER = "+919811100002"
OPEN = (CallbackStatus.WAITING, CallbackStatus.CLAIMED, CallbackStatus.CALLING)


def open_requests(session, phone: str = NUMBER) -> list[CallbackRequest]:
    session.rollback()
    return list(session.scalars(select(CallbackRequest).where(
        CallbackRequest.phone == phone, CallbackRequest.status.in_(OPEN))))


def all_requests(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(CallbackRequest)) or 0


def test_a_second_request_returns_the_open_one(session):
    first = request_callback(session, phone=NUMBER, language="hi", call_sid=None,
                             reason="after_hours")
    second = request_callback(session, phone=NUMBER, language="en", call_sid=None,
                              reason="long_wait")
    assert not first.already_booked and second.already_booked
    assert second.callback.id == first.callback.id
    [request] = open_requests(session)
    # The latest language (the agent speaks it); the first reason (why it was booked).
    assert (request.language, request.reason) == ("en", "after_hours")
    assert all_requests(session) == 1


def test_the_same_call_asking_twice_is_told_it_is_booked_not_already(session):
    """Twilio retrying a webhook, or the key pressed twice: the call's own request, whose
    words the caller has not heard yet."""
    start_call(session, "CA" + "7" * 32, NUMBER)
    first = request_callback(session, phone=NUMBER, language="en", call_sid="CA" + "7" * 32,
                             reason="no_agent")
    again = request_callback(session, phone=NUMBER, language="en", call_sid="CA" + "7" * 32,
                             reason="no_agent")
    assert again.callback.id == first.callback.id and not again.already_booked
    assert all_requests(session) == 1


@pytest.mark.parametrize("settled", [CallbackStatus.DONE, CallbackStatus.FAILED])
def test_a_settled_request_does_not_block_a_new_one(session, settled):
    first = request_callback(session, phone=NUMBER, language="hi", call_sid=None,
                             reason="after_hours")
    with unit_of_work(session):
        session.execute(update(CallbackRequest).values(status=settled))
    second = request_callback(session, phone=NUMBER, language="hi", call_sid=None,
                              reason="after_hours")
    assert not second.already_booked and second.callback.id != first.callback.id
    assert len(open_requests(session)) == 1 and all_requests(session) == 2


def test_phoning_a_complainant_with_a_callback_waiting_takes_that_callback(session):
    agent = make_staff(session, "agent.complaints", language="en")
    grievance = make_grievance(session, phone=NUMBER, language="hi")
    asked = request_callback(session, phone=NUMBER, language="hi", call_sid=None,
                             reason="after_hours")
    called = call_complainant(session, grievance.id, agent=agent)
    assert called.id == asked.callback.id
    [request] = open_requests(session)
    assert (request.status, request.claimed_by_id) == (CallbackStatus.CALLING, agent.id)
    assert all_requests(session) == 1
    # And the phone line, meanwhile, books nothing more for the number.
    again = request_callback(session, phone=NUMBER, language="hi", call_sid=None,
                             reason="no_agent")
    assert again.already_booked and all_requests(session) == 1


def test_phoning_a_complainant_another_agent_is_calling_back_is_refused(session):
    other = make_staff(session, "agent.other")
    agent = make_staff(session, "agent.complaints")
    grievance = make_grievance(session, phone=NUMBER)
    asked = request_callback(session, phone=NUMBER, language="hi", call_sid=None,
                             reason="after_hours")
    claim_callback(session, asked.callback.id, agent_id=other.id)
    with pytest.raises(CallbackTaken):
        call_complainant(session, grievance.id, agent=agent)
    [request] = open_requests(session)
    assert request.claimed_by_id == other.id and all_requests(session) == 1


def test_phoning_a_complainant_again_after_the_first_call_settled(session):
    agent = make_staff(session, "agent.complaints")
    grievance = make_grievance(session, phone=NUMBER)
    call_complainant(session, grievance.id, agent=agent)
    assert all_requests(session) == 1
    record_callback_outcome(session, open_requests(session)[0].id, agent_id=agent.id,
                            outcome="reached")
    call_complainant(session, grievance.id, agent=make_staff(session, "agent.later"))
    assert len(open_requests(session)) == 1 and all_requests(session) == 2


def test_a_settled_callback_amended_to_no_answer_leaves_the_newer_request_alone(session):
    """An agent correcting a settled call to "no answer" would put it back in the list;
    if the number asked again meanwhile, its newer request is the one in the list."""
    agent = make_staff(session, "agent.amends")
    first = request_callback(session, phone=NUMBER, language="hi", call_sid=None,
                             reason="after_hours").callback
    claim_callback(session, first.id, agent_id=agent.id)
    record_callback_outcome(session, first.id, agent_id=agent.id, outcome="reached")
    newer = request_callback(session, phone=NUMBER, language="hi", call_sid=None,
                             reason="no_agent")
    assert not newer.already_booked
    record_callback_outcome(session, first.id, agent_id=agent.id, outcome="no_answer")
    [request] = open_requests(session)
    assert request.id == newer.callback.id
    session.expire_all()
    amended = session.get(CallbackRequest, first.id)
    assert amended.status == CallbackStatus.FAILED and amended.outcome == "no_answer"


def test_the_spool_replay_books_nothing_more_for_a_number_already_booked(app, session):
    """A request kept while the database was down, made when it is back."""
    from helpline.spool import CALLBACK_REQUEST
    from helpline.spool_jobs import replay_spool

    request_callback(session, phone=NUMBER, language="hi", call_sid=None,
                     reason="after_hours")
    helpline = app.extensions["helpline"]
    helpline.spool.put(CALLBACK_REQUEST, {"phone": NUMBER, "language": "en",
                                          "call_sid": None, "reason": "fault"})
    with app.app_context():
        replay_spool()
    assert len(open_requests(session)) == 1 and all_requests(session) == 1


# On PostgreSQL, with racing sessions ----------------------------------------------------

RACERS = 8


@pytest.fixture
def pg_helpline(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    yield app.extensions["helpline"]
    app.extensions["helpline"].engine.dispose()


@pytest.mark.parametrize("round_", range(3))
def test_simultaneous_requests_for_one_number_leave_one_open_request(pg_helpline, round_):
    """The tester's eight calls, at the same instant, each from its own session (half of
    them reading in autocommit, as the phone line's webhooks do)."""
    start = threading.Barrier(RACERS + 1)
    results: list[object] = [None] * (RACERS + 1)

    def caller(n: int) -> None:
        with pg_helpline.session() as session:
            if n % 2:
                session.info[AUTOCOMMIT_READS] = "READ COMMITTED"
            start.wait(10)
            try:
                results[n] = request_callback(
                    session, phone=NUMBER, language="hi", call_sid=f"CA{round_}{n:031d}",
                    reason="no_agent")
            except Exception as exc:  # noqa: BLE001 - reported below
                results[n] = exc

    with pg_helpline.session() as session:
        agent_id = make_staff(session, "agent.racing").id
        grievance_id = make_grievance(session, phone=NUMBER).id

    def complaint_desk() -> None:
        with pg_helpline.session() as session:
            agent = session.get(StaffUser, agent_id)
            session.rollback()
            start.wait(10)
            try:
                results[RACERS] = call_complainant(session, grievance_id, agent=agent)
            except Exception as exc:  # noqa: BLE001 - reported below
                results[RACERS] = exc

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(RACERS)]
    threads.append(threading.Thread(target=complaint_desk))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with pg_helpline.session() as session:
        assert len(open_requests(session)) == 1, results
        assert all_requests(session) == 1, results
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == [], errors
    bookings = results[:RACERS]
    assert sum(not b.already_booked for b in bookings) <= 1  # type: ignore[union-attr]
    assert len({b.callback.id for b in bookings}) == 1  # type: ignore[union-attr]
