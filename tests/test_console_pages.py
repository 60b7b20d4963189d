"""Console pages through HTTP: queue, grievance page and its actions, callbacks, booking,
resources, wallboard, CSV, outbox, demo inbox."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from sqlalchemy import select

from booking_core.appointments import Appointment, AppointmentStatus
from booking_core.outbox import OutboxKind, OutboxMessage, OutboxStatus
from booking_core.resources import BedCount, update_resources
from contact_centre.models import Call, CallbackRequest, CallbackStatus, CallOutcome
from grievances.models import Grievance, GrievanceEvent, GrievanceStatus
from tests.factories import make_slot
from tests.fixtures_console import make_grievance, next_mobile, result_version


def text(response) -> str:
    return response.get_data(as_text=True)


def test_queue_lists_grievances_with_sla_and_masks_phones(session, console, agent, hospital):
    late = make_grievance(session, hospital_id=hospital.id,
                          now=dt.datetime.now(dt.UTC) - dt.timedelta(days=20))
    fresh = make_grievance(session, hospital_id=hospital.id)
    console.login("agent.one")
    page = text(console.get("/console/?scope=team"))
    assert late.reference in page and fresh.reference in page
    row = re.search(rf'<tr class="overdue" data-grievance-id="{late.id}">', page)
    assert row, "the late grievance is not marked overdue"
    assert f'<tr class="" data-grievance-id="{fresh.id}">' in page
    assert fresh.citizen.phone not in page and fresh.citizen.phone[-4:] in page
    overdue_only = text(console.get("/console/?scope=team&overdue=1"))
    assert late.reference in overdue_only and fresh.reference not in overdue_only
    by_ref = text(console.get(f"/console/?scope=team&q={fresh.reference}"))
    assert fresh.reference in by_ref and late.reference not in by_ref
    by_phone = text(console.get(f"/console/?scope=team&q={late.citizen.phone[3:]}"))
    assert late.reference in by_phone and fresh.reference not in by_phone
    fragment = console.get("/console/?scope=team", headers={"X-Fragment": "1"})
    assert "<html" not in text(fragment) and late.reference in text(fragment)


def test_working_a_grievance_through_the_console(session, console, agent, hospital):
    g = make_grievance(session, hospital_id=hospital.id, language="en")
    console.login("agent.one")
    url = f"/console/grievances/{g.id}"
    assert console.post(f"{url}/claim").status_code == 302
    console.post(f"{url}/note", {"note": "Spoke to the ward in-charge"})
    console.post(f"{url}/reply", {"reply": "action"})
    console.post(f"{url}/resolve", {"resolution": "Toilets cleaned twice daily now"})
    console.post(f"{url}/close")
    page = text(console.get(url))
    assert "Spoke to the ward in-charge" in page and "Closed" in page
    session.expire_all()
    kinds = [e.kind for e in session.scalars(select(GrievanceEvent).where(
        GrievanceEvent.grievance_id == g.id).order_by(GrievanceEvent.id))]
    assert kinds == ["registered", "claimed", "acknowledged", "note", "replied", "resolved",
                     "closed"]
    assert session.get(Grievance, g.id).status == GrievanceStatus.CLOSED
    follow_up = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == OutboxKind.CALL)).one()
    assert follow_up.template == "grievance_followup"


def test_another_agent_cannot_act_on_a_claimed_grievance(session, console, agent, other_agent):
    g = make_grievance(session)
    from grievances.workflow import claim_grievance

    claim_grievance(session, g.id, agent_id=other_agent.id, actor="agent.two")
    console.login("agent.one")
    assert console.post(f"/console/grievances/{g.id}/resolve",
                        {"resolution": "x"}).status_code == 403
    answer = console.post(f"/console/grievances/{g.id}/claim", follow_redirects=True)
    assert "Another agent has already claimed" in text(answer)


def test_agent_registers_a_grievance_during_a_call(session, console, agent):
    console.login("agent.one")
    phone = next_mobile()
    answer = console.post("/console/grievances/new", {
        "phone": phone[3:], "category": "medicines_unavailable", "language": "hi",
        "description": "Insulin not available for two weeks"})
    assert answer.status_code == 302
    g = session.scalars(select(Grievance)).one()
    assert (g.channel, g.citizen.phone, g.priority) == ("agent", phone, 1)
    assert g.events[0].actor == "agent.one"


def test_callback_claim_call_and_outcome(session, console, agent):
    with session.begin():
        cb = CallbackRequest(phone=next_mobile(), language="hi", reason="after_hours")
        session.add(cb)
    console.login("agent.one")
    page = text(console.get("/console/callbacks"))
    assert cb.phone not in page and cb.phone[-4:] in page
    console.post(f"/console/callbacks/{cb.id}/claim")
    page = text(console.get("/console/callbacks"))
    assert cb.phone in page  # the agent who claimed it may need the full number
    console.post(f"/console/callbacks/{cb.id}/call")
    call = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.CALL)).one()
    assert (call.to_phone, call.template, call.params) == (
        agent.phone, "agent_callback", {"callback_id": cb.id, "agent_id": agent.id})
    session.commit()  # end the read: SQLite writers wait for it
    version = result_version(text(console.get("/console/callbacks")), cb.id)
    session.commit()
    console.post(f"/console/callbacks/{cb.id}/outcome",
                 {"outcome": "reached", "notes": "ok", "version": version})
    session.expire_all()
    done = session.get(CallbackRequest, cb.id)
    assert (done.status, done.outcome, done.claimed_by_id) == (
        CallbackStatus.DONE, "reached", agent.id)


def test_booking_cancel_and_reschedule_on_behalf(session, console, agent, department):
    first = make_slot(session, department, starts_in=dt.timedelta(days=2))
    second = make_slot(session, department, starts_in=dt.timedelta(days=3))
    phone = next_mobile()
    console.login("agent.one")
    page = text(console.get(
        f"/console/booking?phone={phone}&hospital={department.hospital_id}"
        f"&department={department.id}&day={first.local_day.isoformat()}",
        follow_redirects=True))  # the number leaves the address (?who=)
    assert f'value="{first.id}"' in page
    console.post("/console/booking/book", {"slot": first.id, "phone": phone,
                                           "language": "en", "patient_name": "Ravi"})
    appointment = session.scalars(select(Appointment)).one()
    assert appointment.channel.value == "agent" and appointment.events[0].actor == "agent.one"
    session.commit()
    console.post("/console/booking/reschedule", {"reference": appointment.reference,
                                                 "slot": second.id})
    session.expire_all()
    assert session.get(Appointment, appointment.id).slot_id == second.id
    session.commit()
    console.post("/console/booking/cancel", {"reference": appointment.reference})
    session.expire_all()
    assert session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED


def test_resources_for_all_and_the_staff_form_for_ones_own(session, console, hospital):
    from tests.fixtures_console import make_staff

    make_staff(session, "staff.lnh", hospital_id=hospital.id)
    update_resources(session, hospital.id, {"beds": {"icu": {"total": 10, "occupied": 9}},
                     "medicines": [{"item": "Insulin", "unit": "vials", "quantity": 0,
                                    "reorder_level": 20}]},
                     source="test", now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=8))
    console.login("staff.lnh")
    page = text(console.get("/console/hospitals"))
    assert "1 of 10 vacant" in page and "not updated since" in page and "out of stock" in page
    console.post("/console/hospitals/mine", {"icu_total": "12", "icu_occupied": "4"})
    session.expire_all()
    icu = session.scalars(select(BedCount).where(BedCount.bed_type == "icu")).one()
    assert (icu.total, icu.occupied, icu.source) == (12, 4, "console:staff.lnh")
    session.rollback()  # SQLite: the test's read must not hold the lock the app needs
    # A figure that is not a count says so, not "occupied cannot exceed the total".
    for total in ("-5", "99999999999", "ten", "1.5"):
        page = text(console.post("/console/hospitals/mine",
                                 {"icu_total": total, "icu_occupied": "1"},
                                 follow_redirects=True))
        assert "Counts are whole numbers from 0 to 1,00,000." in page, total
        assert "cannot be more than the total" not in page
    page = text(console.post("/console/hospitals/mine", {"icu_total": "3", "icu_occupied": "4"},
                             follow_redirects=True))
    assert "occupied beds cannot be more than the total" in page


def test_wallboard_figures(session, console, supervisor):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    calls = [
        dict(queued=10, answered=20, ended=200),  # answered in 10 s
        dict(queued=10, answered=15, ended=100),  # answered in 5 s
        dict(queued=10, answered=70, ended=130),  # answered in 60 s
        dict(queued=10, answered=None, ended=40),  # abandoned
        dict(queued=10, answered=None, ended=40, outcome=CallOutcome.CALLBACK),
        dict(queued=None, answered=None, ended=60),  # self-service only
    ]
    with session.begin():
        for n, c in enumerate(calls):
            start = now - dt.timedelta(seconds=300)
            at = lambda s, start=start: None if s is None else start + dt.timedelta(seconds=s)  # noqa: E731
            session.add(Call(call_sid=f"CA{n}", from_phone=next_mobile(), started_at=start,
                             queued_at=at(c["queued"]), answered_at=at(c["answered"]),
                             ended_at=at(c["ended"]), outcome=c.get("outcome")))
    console.login("super.one")
    page = text(console.get("/console/wallboard"))
    assert re.search(r'id="wb-calls">6<', page)
    # 2 of 4 that left the queue were answered within 30 s; the callback is not counted.
    assert re.search(r'id="wb-sl">50%<', page)
    assert re.search(r'id="wb-abandon">25%<', page)
    assert "<svg" in page


def test_csv_export_masks_phones_and_defuses_formulas(session, console, supervisor):
    g = make_grievance(session)
    console.login("super.one")
    answer = console.get("/console/grievances.csv")
    assert answer.mimetype == "text/csv"
    # UTF-8 marked, so that Excel on Windows reads Hindi as Hindi.
    assert answer.get_data().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "reference" and rows[1][0] == g.reference
    assert g.citizen.phone not in text(answer)
    # Times on Delhi's clock, with the offset that makes them exact.
    header = rows[0]
    for name in ("created_at", "acknowledge_due_at", "resolve_due_at"):
        cell = rows[1][header.index(name)]
        assert cell.endswith("+05:30"), (name, cell)
        moment = dt.datetime.fromisoformat(cell)
        assert moment.microsecond == 0
    created = dt.datetime.fromisoformat(rows[1][header.index("created_at")])
    assert abs(created - g.created_at) < dt.timedelta(seconds=1)
    delhi = dt.timezone(dt.timedelta(hours=5, minutes=30))
    assert created.hour == g.created_at.astimezone(delhi).hour
    # So is the file's name.
    named = re.search(r"grievances-(\d{8}-\d{4})\.csv", answer.headers["Content-Disposition"])
    stamp = dt.datetime.strptime(named.group(1), "%Y%m%d-%H%M").replace(tzinfo=delhi)
    assert abs(stamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=2)


def test_failed_messages_and_demo_inbox(session, app, console, supervisor):
    g = make_grievance(session, language="en")
    with session.begin():
        row = session.scalars(select(OutboxMessage)).one()
        row.status = OutboxStatus.FAILED
        row.last_error = "21211 invalid number"
    console.login("super.one")
    assert "21211 invalid number" in text(console.get("/console/outbox"))
    # Twilio is configured in tests: the demo inbox does not exist then.
    assert console.get("/console/demo-inbox").status_code == 404
    app.extensions["helpline"].settings = app.extensions["helpline"].settings.with_overrides(
        twilio_account_sid="", twilio_auth_token="")
    page = text(console.get("/console/demo-inbox"))
    assert "demo mode" in page and g.reference in page


def _full_number_in(text_or_url: str, phone: str) -> bool:
    from urllib.parse import unquote

    plain = unquote(unquote(text_or_url))
    return phone[3:] in plain.replace(" ", "")


def test_the_booking_page_never_puts_the_number_in_an_address(session, console, agent,
                                                              department):
    """However the page is opened (the number typed, a search hit, a form sent), the
    caller's number leaves the address at once and no link of the page carries it."""
    slot = make_slot(session, department, starts_in=dt.timedelta(days=2))
    phone = next_mobile()
    console.login("agent.one")
    spaced = f"{phone[:3]} {phone[3:8]} {phone[8:]}"
    for typed in (phone, phone[3:], "0" + phone[3:], spaced):
        answer = console.get("/console/booking", query_string={
            "phone": typed, "hospital": department.hospital_id, "department": department.id})
        assert answer.status_code == 303, typed
        assert "who=" in answer.location and not _full_number_in(answer.location, phone)
    page = text(console.get(answer.location + f"&day={slot.local_day.isoformat()}"))
    assert f'value="{slot.id}"' in page  # the page knows the caller
    hrefs = re.findall(r'(?:href|action)="([^"]*)"', page)
    assert hrefs and not [h for h in hrefs if _full_number_in(h, phone)]
    booked = console.post("/console/booking/book", {
        "slot": slot.id, "phone": phone, "hospital": department.hospital_id,
        "department": department.id, "language": "en"})
    assert booked.status_code == 302 and not _full_number_in(booked.location, phone)
    assert "who=" in booked.location
    after = text(console.get(booked.location))
    assert "Booked. The booking number is" in after
    # A search hit opens the page by the citizen's id.
    reference = session.scalars(select(Appointment.reference)).one()
    session.commit()  # end the read: SQLite's app transactions wait for it
    hits = text(console.get("/console/search", query_string={"q": reference}))
    links = re.findall(r'href="(/console/booking\?[^"]*)"', hits)  # not the menu's
    assert links and all("citizen=" in link and not _full_number_in(link, phone)
                         for link in links)
    opened = text(console.get(links[0].replace("&amp;", "&")))
    assert f"******{phone[-4:]}" in opened and reference in opened  # the caller's bookings
    # A key is this session's own: another agent's session cannot read it.
    other = type(console)(console.client.application.test_client())
    other.login("agent.one")
    key = re.search(r"who=([^&]+)", booked.location).group(1)
    page = text(other.get(f"/console/booking?who={key}"))
    assert phone[3:] not in page
    # ... and says so, rather than showing an empty number as if none had been chosen.
    assert "caller is not known in this session" in page
    assert "not known in this session" not in text(console.get(booked.location))


def test_an_unknown_action_is_answered_with_a_message(session, console, agent):
    from tests.fixtures_console import make_staff

    make_staff(session, "agent.hindi", language="hi")
    session.commit()
    for username, words in (("agent.one", "That cannot be done from here."),
                            ("agent.hindi", "यह काम यहाँ से नहीं हो सकता।")):
        client = type(console)(console.client.application.test_client())
        client.login(username)
        for path in ("/console/callbacks/1/zzz", "/console/booking/move", "/console/booking/x"):
            answer = client.post(path, {"reference": "junk", "slot": "x"})
            assert answer.status_code == 302, path
            page = text(client.get(answer.location))
            assert words in page, (username, path)


def test_the_sign_in_page_speaks_the_browsers_language_until_one_is_chosen(client):
    """Before anyone signs in, the console has only the browser to go by: a Hindi
    browser gets the Hindi sign-in page (and its refusal), an English one or one that
    asks for neither the English page; the page's own link then decides."""
    hindi = {"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.5"}
    for headers, lang in ((hindi, "hi"), ({"Accept-Language": "en-IN,en;q=0.9"}, "en"),
                          ({"Accept-Language": "ta-IN,fr;q=0.8"}, "en"), ({}, "en")):
        page = client.get("/console/login", headers=headers).get_data(as_text=True)
        assert f'<html lang="{lang}"' in page, headers
        assert ("कंसोल में लॉग इन करें" in page) == (lang == "hi"), headers
    form = client.get("/console/login", headers=hindi).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    refused = client.post("/console/login", headers=hindi, data={
        "username": "nobody", "password": "wrong", "csrf_token": token})
    assert "यूज़रनेम या पासवर्ड ग़लत है।" in refused.get_data(as_text=True)
    # The page's language link wins over the browser from then on.
    chosen = client.get("/console/login?lang=en", headers=hindi).get_data(as_text=True)
    assert '<html lang="en"' in chosen
    again = client.get("/console/login", headers=hindi).get_data(as_text=True)
    assert '<html lang="en"' in again


def test_a_citizens_language_is_named_in_the_agents_language(session, console, agent,
                                                              hospital):
    """A Hindi console says «अंग्रेज़ी» for an English-speaking citizen (the column, the
    filter, the grievance page), never the Latin "English" between Hindi words; only the
    console's own language switch names each language in itself."""
    english = make_grievance(session, hospital_id=hospital.id, language="en")
    console.login("agent.one")
    console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    queue = text(console.get("/console/?scope=team"))
    cell = re.search(rf'data-grievance-id="{english.id}">.*?</tr>', queue, re.S).group(0)
    assert "अंग्रेज़ी" in cell and "English" not in cell, cell
    assert '<option value="en"' in queue and ">अंग्रेज़ी</option>" in queue
    page = text(console.get(f"/console/grievances/{english.id}"))
    assert "· अंग्रेज़ी" in page and "· English" not in page
    # The switch back to English is written in English, as switches are.
    assert 'lang="en" id="lang-switch"' in queue and ">English</button>" in queue


def test_wallboard_lists_grievance_statuses_in_the_order_a_complaint_goes(
        session, console, supervisor, hospital):
    """Registered, acknowledged, being worked on, reopened, escalated, resolved, closed:
    not the codes' alphabet (acknowledged, closed, escalated, ...); every status keeps
    its bar, with 0 when it has none, so the bars do not move between refreshes."""
    from grievances.workflow import resolve_grievance

    make_grievance(session, hospital_id=hospital.id)
    resolve_grievance(session, make_grievance(session, hospital_id=hospital.id).id,
                      "Cleaned", actor="agent")
    console.login("super.one")
    page = text(console.get("/console/wallboard"))
    chart = page.split("console-wb-status", 1)[-1] if "console-wb-status" in page else page
    bars = re.findall(r'<dt class="hbar-name">([^<]+)</dt>', chart)
    order = ["Registered", "Acknowledged", "In progress", "Reopened", "Escalated",
             "Resolved", "Closed"]
    found = [b for b in bars if b in order]
    assert found == order, bars


def test_the_status_filter_says_what_the_tab_lists(session, console, agent):
    """The "all, including closed" tab lists closed complaints too: its empty status
    filter is "Any status", not "Any open"."""
    console.login("agent.one")
    every = text(console.get("/console/?scope=all"))
    assert '<option value="">Any status</option>' in every
    team = text(console.get("/console/?scope=team"))
    assert '<option value="">Any open</option>' in team


def test_a_supervisor_sees_who_holds_each_complaint_an_agent_does_not(
        session, console, agent, other_agent, supervisor):
    from grievances.workflow import claim_grievance

    other_agent.display_name = "Rahul Sharma"
    session.commit()
    held = make_grievance(session)
    claim_grievance(session, held.id, agent_id=other_agent.id, actor="agent.two")
    cell = re.compile(rf'data-grievance-id="{held.id}">.*?</tr>', re.S)
    console.login("super.one")
    row = cell.search(text(console.get("/console/?scope=team"))).group(0)
    assert "Rahul Sharma" in row and "Another agent" not in row, row
    assert "agent.two" not in row  # a username is not a name
    console.post("/console/logout")
    console.login("agent.one")
    row = cell.search(text(console.get("/console/?scope=team"))).group(0)
    assert "Rahul Sharma" not in row and "Another agent" in row, row
