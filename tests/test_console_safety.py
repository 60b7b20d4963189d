"""Safe by default: confirmations, no preselected hospital or reply, overlapping
appointments warned about, and a form sent after the session ended kept for sign-in."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from booking_core.appointments import Channel, book_appointment, overlapping_appointments
from booking_core.outbox import OutboxMessage
from booking_core.slots import free_slots
from grievances.models import Grievance, GrievanceEvent
from tests.factories import make_department, make_hospital, make_slot
from tests.fixtures_console import make_grievance, next_mobile


def text(response) -> str:
    return response.get_data(as_text=True)


def select_html(page: str, element_id: str) -> str:
    found = re.search(rf'<select id="{element_id}"[^>]*>(.*?)</select>', page, re.S)
    assert found, element_id
    return found.group(0)


def test_transfer_and_reply_start_with_nothing_chosen(session, console, agent, hospital):
    make_hospital(session)
    g = make_grievance(session, hospital_id=hospital.id, language="en")
    console.login("agent.one")
    page = text(console.get(f"/console/grievances/{g.id}"))
    for element_id in ("transfer-hospital", "reply"):
        html = select_html(page, element_id)
        assert "required" in html.split(">")[0]
        options = re.findall(r"<option[^>]*>", html)
        assert 'value=""' in options[0] and "selected" in options[0]
        assert not any("selected" in o for o in options[1:]), element_id
    answer = console.post(f"/console/grievances/{g.id}/transfer", {"hospital": "",
                                                                  "reason": "not ours"},
                          follow_redirects=True)
    assert "Choose the hospital to transfer to." in text(answer)
    answer = console.post(f"/console/grievances/{g.id}/reply", {"reply": ""},
                          follow_redirects=True)
    assert "Choose which reply to send." in text(answer)
    session.expire_all()
    assert session.get(Grievance, g.id).transfer_count == 0
    templates = session.scalars(select(OutboxMessage.template)).all()
    assert templates == ["grievance_registered"]


def test_cancel_close_and_transfer_ask_first(session, console, agent, department):
    g = make_grievance(session, hospital_id=department.hospital_id, language="en")
    console.login("agent.one")
    console.post(f"/console/grievances/{g.id}/claim")
    page = text(console.get(f"/console/grievances/{g.id}"))
    assert re.search(r'id="form-transfer" data-confirm="Transfer this grievance\?', page)
    console.post(f"/console/grievances/{g.id}/resolve", {"resolution": "done"})
    page = text(console.get(f"/console/grievances/{g.id}"))
    assert re.search(r'id="form-close" data-confirm="Close this grievance\?', page)
    slot = make_slot(session, department, starts_in=dt.timedelta(days=2))
    phone = next_mobile()
    appointment = book_appointment(session, slot_id=slot.id, phone=phone, channel=Channel.AGENT)
    page = text(console.get(f"/console/booking?phone={phone}", follow_redirects=True))
    assert f'data-confirm="Cancel appointment {appointment.reference}?' in page


def test_booking_warns_of_an_overlapping_appointment_elsewhere(session, console, agent,
                                                              hospital):
    ortho = make_department(session, hospital, name_en="Orthopaedics")
    eye = make_department(session, hospital, name_en="Ophthalmology")
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    held = make_slot(session, ortho, at=start)
    same_time = make_slot(session, eye, at=start + dt.timedelta(minutes=30))
    later = make_slot(session, eye, at=start + dt.timedelta(hours=2))
    phone = next_mobile()
    appointment = book_appointment(session, slot_id=held.id, phone=phone, channel=Channel.AGENT)
    candidates = free_slots(session, eye.id, same_time.local_day)
    clashes = overlapping_appointments(session, phone, candidates)
    assert {k: v.reference for k, v in clashes.items()} == {same_time.id: appointment.reference}
    assert overlapping_appointments(session, next_mobile(), candidates) == {}
    session.commit()  # end the read: SQLite writers wait for it
    console.login("agent.one")
    page = text(console.get(f"/console/booking?phone={phone}&hospital={hospital.id}"
                            f"&department={eye.id}&day={same_time.local_day.isoformat()}",
                            follow_redirects=True))
    warning = re.findall(r'<p class="overlap[^"]*"[^>]*data-slot="(\d+)">([^<]*)</p>', page)
    assert [int(slot_id) for slot_id, _ in warning] == [same_time.id]
    assert appointment.reference in warning[0][1] and "Orthopaedics" in warning[0][1]
    assert re.search(rf'value="{same_time.id}"[^>]*data-overlap=', page)
    assert not re.search(rf'value="{later.id}"[^>]*data-overlap=', page)


def test_a_form_sent_after_the_session_ended_comes_back_after_sign_in(session, console, agent):
    g = make_grievance(session)
    console.login("agent.one")
    page_url = f"/console/grievances/{g.id}"
    assert console.get(page_url).status_code == 200
    with console.client.session_transaction() as s:
        s["seen"] = time.time() - 31 * 60
    answer = console.post(f"{page_url}/note", {"note": "Spoke to the ward"},
                          headers={"Referer": f"http://localhost{page_url}"})
    assert answer.status_code == 303
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/console/login"
    assert parse_qs(location.query)["next"] == [f"{page_url}#restore"]
    assert session.scalars(select(GrievanceEvent).where(GrievanceEvent.kind == "note")).all() == []
    session.commit()  # end the read: SQLite writers wait for it
    login_page = text(console.get(answer.headers["Location"]))
    assert "what you typed is kept" in login_page
    assert f'name="next" value="{page_url}#restore"' in login_page
    from tests.fixtures_console import CONSOLE_PASSWORD, csrf_from

    signed_in = console.client.post("/console/login", data={
        "username": "agent.one", "password": CONSOLE_PASSWORD, "next": f"{page_url}#restore",
        "csrf_token": csrf_from(login_page)})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == (
        f"{page_url}#restore")
    assert console.get(page_url).status_code == 200  # a page, not 405
