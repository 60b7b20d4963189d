"""One open callback per number, as the caller hears it: asking again, by any of the
phone line's ways to ask (after hours, nobody signed in, a long wait, the queue's
callback key, the offer after the queue failed), books nothing new and says, in the
caller's language, that a callback is already booked for the number's last digits."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from booking_core.base import unit_of_work
from contact_centre.models import AgentState, CallbackRequest, CallbackStatus
from helpline.app import create_app
from locales import render
from tests.conftest import make_settings
from tests.fixtures_ivr import CALLER, Phone, agent_hours_excluding_now
from tests.test_ivr_services import into_menu
from tests.test_queue_estimate import staffed

LAST = "5 6 7 8"  # CALLER's last digits, one by one
PATHS = ["no_agent", "after_hours", "long_wait", "queue", "queue_full"]


@pytest.fixture
def path_app(request, database_url, ivr_session, ivr_world):
    """An app whose "0" leads to the callback the test's path asks for."""
    path = request.param
    overrides: dict[str, object] = {"agent_hours": "00:00-00:00"}
    if path == "after_hours":
        overrides["agent_hours"] = agent_hours_excluding_now()
    if path == "long_wait":
        overrides["ivr_long_wait_seconds"] = 60  # one caller ahead is two minutes
    if path in ("long_wait", "queue", "queue_full"):
        staffed(ivr_session, 1, AgentState.ON_CALL)  # someone to wait for
    app = create_app(make_settings(database_url, **overrides))
    app.config["callback_path"] = path
    yield app
    app.extensions["helpline"].engine.dispose()


def ask_for_a_callback(app, ivr_session, lang: str, caller: str = CALLER) -> Phone:
    """One call: "0", then whatever that path's way of asking for a callback is; the
    phone holds the last words of the call."""
    path = app.config["callback_path"]
    phone = Phone(app.test_client(), caller=caller, session=ivr_session)
    into_menu(phone, lang, "0")
    if path in ("queue", "queue_full"):
        enqueue = phone.root.find("Enqueue")
        assert enqueue is not None, phone.said
        if path == "queue":
            phone.post(enqueue.get("waitUrl"), QueuePosition="2")
            phone.press("1")  # the wait's callback key (the language is known)
            assert phone.verbs() == ["Leave"]
            phone.post(enqueue.get("action"), QueueResult="leave", QueueTime="30")
            return phone
        phone.post(enqueue.get("action"), QueueResult="queue-full", QueueTime="0")
    assert phone.root.find("Enqueue") is None, phone.said
    phone.press("1")  # to be called back
    return phone


def open_requests(ivr_session, phone: str = CALLER) -> list[CallbackRequest]:
    ivr_session.rollback()
    return list(ivr_session.scalars(select(CallbackRequest).where(
        CallbackRequest.phone == phone,
        CallbackRequest.status.in_([CallbackStatus.WAITING, CallbackStatus.CLAIMED,
                                    CallbackStatus.CALLING]))))


def first_confirmation(app, lang: str) -> str:
    later = "_later" if app.config["callback_path"] == "after_hours" else ""
    return render(lang, f"ivr.callback.confirmed{later}", last=LAST)


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("path_app", PATHS, indirect=True)
def test_asking_again_books_nothing_new_and_says_a_callback_is_already_booked(
        path_app, ivr_session, lang):
    first = ask_for_a_callback(path_app, ivr_session, lang)
    assert first_confirmation(path_app, lang) in first.said
    assert first.verbs()[-1] == "Hangup"
    for _ in range(3):  # the tester's eight calls, in short
        again = ask_for_a_callback(path_app, ivr_session, lang)
        assert len(open_requests(ivr_session)) == 1
        said = again.said
        assert render(lang, "ivr.callback.already_booked", last=LAST) in said, said
        assert first_confirmation(path_app, lang) not in said
        assert [s.get("language") for s in again.says()] == [f"{lang}-IN"]
        assert again.verbs()[-1] == "Hangup"
    assert len(list(ivr_session.scalars(select(CallbackRequest)))) == 1


@pytest.mark.parametrize("path_app", ["no_agent"], indirect=True)
def test_a_request_in_an_agents_hands_still_counts_as_booked(path_app, ivr_session):
    ask_for_a_callback(path_app, ivr_session, "en")
    for status in (CallbackStatus.CLAIMED, CallbackStatus.CALLING):
        with unit_of_work(ivr_session):
            ivr_session.execute(update(CallbackRequest).values(status=status))
        again = ask_for_a_callback(path_app, ivr_session, "en")
        assert render("en", "ivr.callback.already_booked", last=LAST) in again.said
        [request] = open_requests(ivr_session)
        assert request.status == status


@pytest.mark.parametrize("settled", [CallbackStatus.DONE, CallbackStatus.FAILED])
@pytest.mark.parametrize("path_app", ["no_agent"], indirect=True)
def test_a_settled_request_does_not_stop_a_new_one(path_app, ivr_session, settled):
    ask_for_a_callback(path_app, ivr_session, "hi")
    with unit_of_work(ivr_session):
        ivr_session.execute(update(CallbackRequest).values(status=settled))
    again = ask_for_a_callback(path_app, ivr_session, "hi")
    assert first_confirmation(path_app, "hi") in again.said
    assert len(open_requests(ivr_session)) == 1
    assert len(list(ivr_session.scalars(select(CallbackRequest)))) == 2


@pytest.mark.parametrize("path_app", ["no_agent"], indirect=True)
def test_another_number_books_its_own_callback(path_app, ivr_session):
    ask_for_a_callback(path_app, ivr_session, "en")
    other = ask_for_a_callback(path_app, ivr_session, "en", caller="+919811100002")
    assert render("en", "ivr.callback.confirmed", last="0 0 0 2") in other.said
    assert len(open_requests(ivr_session)) == 1
    assert len(open_requests(ivr_session, "+919811100002")) == 1


@pytest.mark.parametrize("path_app", ["no_agent"], indirect=True)
def test_asking_again_in_the_other_language_keeps_one_request_in_the_latest(
        path_app, ivr_session):
    """The agent who calls back speaks the language the caller last chose."""
    ask_for_a_callback(path_app, ivr_session, "hi")
    phone = Phone(path_app.test_client(), session=ivr_session)
    phone.call()  # a known caller: the main menu in Hindi, "2" is not English here
    phone.press("8")  # the other language
    phone.press("0")
    phone.press("1")
    assert render("en", "ivr.callback.already_booked", last=LAST) in phone.said
    [request] = open_requests(ivr_session)
    assert request.language == "en"


@pytest.mark.parametrize("path_app", ["after_hours"], indirect=True)
def test_a_typed_number_already_booked_is_read_back_whole(path_app, ivr_session):
    for attempt in range(2):
        phone = Phone(path_app.test_client(), caller="anonymous", session=ivr_session)
        phone.call()
        phone.press("2")
        phone.press("0")
        phone.press("1")
        phone.press("9812300041")
        said = phone.said
        if attempt == 0:
            assert "call you back on 9 8 1 2 3, 0 0 0 4 1" in said
        else:
            assert "A callback is already booked for 9 8 1 2 3, 0 0 0 4 1." in said, said
    assert len(open_requests(ivr_session, "+919812300041")) == 1
