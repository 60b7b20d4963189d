"""A callback's saved result, as the agent's callbacks page shows and changes it.

After the agent saves what happened, the card reads as finished (the outcome in words,
who saved it and when, the note) with no result form; a copy of the form drawn before
the save (the same page sent again, a second tab) is refused with a message and leaves
the saved result alone; **Change result** is its own step, a form filled in with the
saved result, and the change is kept in the audit trail; a correction to reached or
wrong number never puts the callback back in the waiting list. Forms are sent as the
browser sends them: every field the page's form carries, plus what the agent chose.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking_core.audit import AuditAction, AuditEntry
from contact_centre.callbacks import (
    CallbackTaken,
    claim_callback,
    my_callbacks,
    record_callback_outcome,
    waiting_callbacks,
)
from contact_centre.models import CallbackRequest, CallbackStatus
from tests.fixtures_console import ConsoleClient, make_staff, next_mobile

WORDS = {
    "en": {"reached": "Spoke to the caller", "wrong_number": "Wrong number",
           "saved": "Outcome saved.", "changed": "The result is changed.",
           "refused": "Not saved: this callback's result was saved meanwhile",
           "by": "Saved by Asha Verma at", "change": "Change result"},
    "hi": {"reached": "कॉलर से बात हुई", "wrong_number": "ग़लत नंबर",
           "saved": "नतीजा सेव हो गया।", "changed": "नतीजा बदल दिया गया।",
           "refused": "सेव नहीं हुआ: इस बीच इस कॉल-बैक का नतीजा",
           "by": "आशा वर्मा ने", "change": "नतीजा बदलें"},
}


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def card(page: str, callback_id: int) -> str:
    """The HTML of one card on the callbacks page."""
    start = page.index(f'id="callback-{callback_id}"')
    end = page.find('data-callback-id="', start + 40)
    return page[start:end if end != -1 else len(page)]


def form_on(page: str, callback_id: int, action: str) -> dict[str, str] | None:
    """The hidden fields of the card's form posting to ``action`` (None: no such form)."""
    found = re.search(rf'<form[^>]*action="/console/callbacks/{callback_id}/{action}"[^>]*>'
                      r"(.*?)</form>", page, re.S)
    if found is None:
        return None
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                           found.group(1)))


def send(console: ConsoleClient, form: dict[str, str], callback_id: int, action: str,
         **chosen: str) -> str:
    """Post ``form`` as the browser would, with the agent's choices; the page after."""
    answer = console.post(f"/console/callbacks/{callback_id}/{action}",
                          {**{k: v for k, v in form.items() if k != "csrf_token"}, **chosen})
    assert answer.status_code == 302
    return page_text(console.get("/console/callbacks"))


@pytest.fixture
def asha(session, request):
    language = getattr(request, "param", "en")
    return make_staff(session, "agent.asha", display_name="आशा वर्मा" if language == "hi"
                      else "Asha Verma", language=language)


@pytest.fixture
def claimed(session, asha) -> int:
    with session.begin():
        callback = CallbackRequest(phone=next_mobile(), language="hi", reason="queue_wait")
        session.add(callback)
    claim_callback(session, callback.id, agent_id=asha.id)
    session.commit()
    return callback.id


def stored(session, callback_id: int) -> SimpleNamespace:
    """The callback as stored now, read in a transaction ended at once (SQLite's
    writers, the console's requests, wait for a reader)."""
    session.rollback()
    row = session.get(CallbackRequest, callback_id, populate_existing=True)
    copy = SimpleNamespace(**{c.key: getattr(row, c.key)
                              for c in CallbackRequest.__table__.columns})
    session.rollback()
    return copy


def waiting(session) -> list[int]:
    ids = [cb.id for cb in waiting_callbacks(session)]
    session.rollback()
    return ids


def mine(session, agent_id: int, **kw) -> list[int]:
    ids = [cb.id for cb in my_callbacks(session, agent_id, **kw)]
    session.rollback()
    return ids


def signed_in(client) -> ConsoleClient:
    console = ConsoleClient(client)
    assert console.login("agent.asha").status_code == 302
    return console


def save_first_result(console: ConsoleClient, callback_id: int, note: str) -> str:
    page = page_text(console.get("/console/callbacks"))
    form = form_on(page, callback_id, "outcome")
    assert form is not None
    return send(console, form, callback_id, "outcome", outcome="reached", notes=note)


@pytest.mark.parametrize("asha", ["en", "hi"], indirect=True)
def test_the_card_after_saving_shows_the_result_and_no_form(client, session, asha, claimed):
    words = WORDS[asha.language]
    console = signed_in(client)
    page = save_first_result(console, claimed, "Booked ortho for Monday")
    assert words["saved"] in page
    assert form_on(page, claimed, "outcome") is None  # no Save form on a finished card
    shown = card(page, claimed)
    assert words["reached"] in shown and "Booked ortho for Monday" in shown
    assert words["by"] in shown and "agent.asha" not in shown  # a name, never a username
    assert f'href="/console/callbacks?change={claimed}#callback-{claimed}"' in shown
    assert words["change"] in shown
    done = stored(session, claimed)
    assert (done.status, done.notes, done.result_by_id) == (
        CallbackStatus.DONE, "Booked ortho for Monday", asha.id)


@pytest.mark.parametrize("asha", ["en", "hi"], indirect=True)
def test_the_old_form_sent_again_is_refused_and_the_saved_result_stands(
        client, session, asha, claimed):
    words = WORDS[asha.language]
    console = signed_in(client)
    before = page_text(console.get("/console/callbacks"))
    old_form = form_on(before, claimed, "outcome")
    send(console, old_form, claimed, "outcome", outcome="reached", notes="Spoke, all fine")
    # The page from before the save, sent again: "no answer" would reopen it.
    page = send(console, old_form, claimed, "outcome", outcome="no_answer", notes="typo")
    assert words["refused"] in page and words["saved"] not in page
    shown = card(page, claimed)
    assert words["reached"] in shown and "Spoke, all fine" in shown
    kept = stored(session, claimed)
    assert (kept.status, kept.outcome, kept.notes, kept.claimed_by_id) == (
        CallbackStatus.DONE, "reached", "Spoke, all fine", asha.id)
    assert waiting(session) == []


@pytest.mark.parametrize("asha", ["en", "hi"], indirect=True)
def test_change_result_opens_a_filled_in_form_and_the_change_is_recorded(
        client, session, asha, claimed):
    words = WORDS[asha.language]
    console = signed_in(client)
    save_first_result(console, claimed, "Will come on Monday")
    changing = page_text(console.get(f"/console/callbacks?change={claimed}"))
    shown = card(changing, claimed)
    assert form_on(changing, claimed, "outcome") is None
    form = form_on(changing, claimed, "correct")
    assert form is not None and form["version"] == "1"
    assert '<option value="reached" selected>' in shown
    assert ">Will come on Monday</textarea>" in shown
    # The page's refreshes fetch the same address: the form stays open.
    assert f'data-poll="/console/callbacks?change={claimed}"' in changing
    page = send(console, form, claimed, "correct", outcome="wrong_number",
                notes="Number belongs to a shop")
    assert words["changed"] in page
    shown = card(page, claimed)
    assert words["wrong_number"] in shown and "Number belongs to a shop" in shown
    assert form_on(page, claimed, "correct") is None
    changed = stored(session, claimed)
    assert (changed.status, changed.outcome, changed.notes, changed.result_version) == (
        CallbackStatus.FAILED, "wrong_number", "Number belongs to a shop", 2)
    entries = [(e.action, e.actor, e.entity_key, e.before, e.after) for e in session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "callback").order_by(AuditEntry.id))]
    session.rollback()
    assert entries == [
        (AuditAction.CREATED, "agent.asha", str(claimed), None,
         {"outcome": "reached", "notes": "Will come on Monday", "status": "done"}),
        (AuditAction.UPDATED, "agent.asha", str(claimed),
         {"outcome": "reached", "notes": "Will come on Monday", "status": "done"},
         {"outcome": "wrong_number", "notes": "Number belongs to a shop", "status": "failed"}),
    ]
    # The change form drawn before this correction is now stale too.
    again = send(console, form, claimed, "correct", outcome="reached", notes="x")
    assert words["refused"] in again
    assert stored(session, claimed).outcome == "wrong_number"


def test_a_correction_keeps_a_finished_callback_out_of_the_waiting_list(
        client, session, asha, claimed):
    console = signed_in(client)
    save_first_result(console, claimed, "Spoke to her son")
    finished_at = stored(session, claimed).completed_at
    for outcome, status in (("wrong_number", CallbackStatus.FAILED),
                            ("reached", CallbackStatus.DONE)):
        page = page_text(console.get(f"/console/callbacks?change={claimed}"))
        send(console, form_on(page, claimed, "correct"), claimed, "correct",
             outcome=outcome, notes=f"corrected to {outcome}")
        corrected = stored(session, claimed)
        assert (corrected.status, corrected.claimed_by_id) == (status, asha.id)
        assert corrected.completed_at == finished_at  # finished when it first finished
        assert waiting(session) == []
        assert mine(session, asha.id) == [claimed]


def test_a_correction_to_no_answer_means_try_again(client, session, asha, claimed):
    """The one outcome that sends a callback back to the list, as it does the first
    time: the agent says nobody was reached after all."""
    console = signed_in(client)
    save_first_result(console, claimed, "")
    page = page_text(console.get(f"/console/callbacks?change={claimed}"))
    send(console, form_on(page, claimed, "correct"), claimed, "correct",
         outcome="no_answer", notes="Marked reached by mistake")
    again = stored(session, claimed)
    assert (again.status, again.claimed_by_id, again.result_at) == (
        CallbackStatus.WAITING, None, None)
    assert waiting(session) == [claimed]


def test_finished_callbacks_stay_the_agents_until_midnight(session, asha, claimed):
    """Local (Asia/Kolkata) midnight ends the day's list: 10:00 to 23:59 they are there
    and correctable, at 00:01 the next day neither."""
    morning = dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC)  # 10:00 in Delhi
    record_callback_outcome(session, claimed, agent_id=asha.id, outcome="reached",
                            now=morning)
    late = dt.datetime(2026, 12, 2, 18, 29, tzinfo=dt.UTC)  # 23:59 in Delhi
    assert mine(session, asha.id, now=late) == [claimed]
    record_callback_outcome(session, claimed, agent_id=asha.id, outcome="reached",
                            notes="added at night", seen_version=1, now=late)
    next_day = dt.datetime(2026, 12, 2, 18, 31, tzinfo=dt.UTC)  # 00:01
    assert mine(session, asha.id, now=next_day) == []
    with pytest.raises(CallbackTaken):
        record_callback_outcome(session, claimed, agent_id=asha.id, outcome="wrong_number",
                                seen_version=2, now=next_day)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_tabs_saving_at_once_exactly_one_wins(app, session, asha, claimed):
    """Two tabs of the agent's callbacks page, both drawn before any result, sent at
    the same moment: one result is saved, the other tab is told it was not."""
    tabs = [signed_in(app.test_client()) for _ in range(2)]
    forms = [form_on(page_text(tab.get("/console/callbacks")), claimed, "outcome")
             for tab in tabs]
    start = threading.Barrier(2)
    answers: list[int] = [0, 0]

    def save(n: int) -> None:
        start.wait(10)
        fields = {k: v for k, v in forms[n].items() if k != "csrf_token"}
        answers[n] = tabs[n].post(
            f"/console/callbacks/{claimed}/outcome",
            {**fields, "outcome": ("reached", "wrong_number")[n],
             "notes": f"tab {n}"}).status_code

    threads = [threading.Thread(target=save, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [302, 302]
    pages = [page_text(tab.get("/console/callbacks")) for tab in tabs]
    saved = [n for n in range(2) if WORDS["en"]["saved"] in pages[n]]
    refused = [n for n in range(2) if WORDS["en"]["refused"] in pages[n]]
    assert len(saved) == 1 and refused == [1 - saved[0]]
    winner = stored(session, claimed)
    assert (winner.notes, winner.outcome, winner.result_version) == (
        f"tab {saved[0]}", ("reached", "wrong_number")[saved[0]], 1)
    assert len(session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "callback")).all()) == 1
    session.rollback()


@pytest.mark.parametrize("asha", ["en", "hi"], indirect=True)
def test_no_result_is_chosen_for_the_agent(client, session, asha, claimed):
    """The result list starts at "Choose…", required: a Save pressed at once (the
    select as the browser sends it, empty) is refused and the callback stays the
    agent's, never closed as "reached" with no call made."""
    console = signed_in(client)
    page = page_text(console.get("/console/callbacks"))
    select_tag = re.search(rf'<select id="outcome-{claimed}"[^>]*>(.*?)</select>',
                           card(page, claimed), re.S)
    assert select_tag and "required" in select_tag.group(0)
    options = re.findall(r'<option value="([^"]*)"( selected)?', select_tag.group(1))
    assert options[0] == ("", " selected"), options
    assert [value for value, chosen in options if chosen] == [""]
    after = send(console, form_on(page, claimed, "outcome"), claimed, "outcome",
                 outcome="", notes="")
    from locales import render

    assert render(asha.language, "console.err.invalid_input.outcome") in after
    row = stored(session, claimed)
    assert row.status == CallbackStatus.CLAIMED and row.outcome is None
