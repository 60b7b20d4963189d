"""A hospital's own staff in the console (an account attached to a hospital, like the
OPD counter clerk): its hospital's grievances only, whatever page, search or URL they
try, and none of the helpline's work (callbacks, the desk, routed calls)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from booking_core.base import Forbidden
from booking_core.outbox import OutboxMessage
from contact_centre.agents import set_agent_state
from contact_centre.callbacks import request_callback
from contact_centre.models import AgentState, StaffUser
from grievances.models import Grievance, GrievanceStatus
from tests.factories import make_hospital
from tests.fixtures_console import ConsoleClient, make_grievance, make_staff

OTHERS_PHONE = "+919877700011"
OWN_PHONE = "+919877700022"


@pytest.fixture
def world(session):
    hanuman = make_hospital(session, name_en="Hanuman Hospital")
    other = make_hospital(session, name_en="Other Hospital")
    ours = make_grievance(session, phone=OWN_PHONE, hospital_id=hanuman.id)
    theirs = make_grievance(session, phone=OTHERS_PHONE, hospital_id=other.id,
                            description="The doctor in the other hospital never came.")
    nowhere = make_grievance(session, phone="+919877700033",
                             description="The ambulance was late for my father.")
    clerk = make_staff(session, "opd.hanuman", hospital_id=hanuman.id, language="hi")
    request_callback(session, phone=OTHERS_PHONE, language="hi", call_sid=None,
                     reason="agent_busy")
    return {"ours": ours, "theirs": theirs, "nowhere": nowhere, "clerk": clerk,
            "hanuman": hanuman}


@pytest.fixture
def clerk(console: ConsoleClient, world) -> ConsoleClient:
    assert console.login("opd.hanuman").status_code == 302
    return console


def _text(answer) -> str:
    return answer.get_data(as_text=True)


def test_the_queue_holds_its_own_hospitals_grievances_only(clerk, world):
    for scope in ("team", "all", "mine", "escalated"):
        page = _text(clerk.get(f"/console/?scope={scope}"))
        assert world["theirs"].reference not in page
        assert world["nowhere"].reference not in page
    page = _text(clerk.get("/console/?scope=team"))
    assert world["ours"].reference in page
    # a filter naming the other hospital changes nothing
    other = world["theirs"].hospital_id
    page = _text(clerk.get(f"/console/?scope=all&hospital={other}"))
    assert world["theirs"].reference not in page
    assert clerk.get("/console/live").get_json() == {
        "latest_grievance_id": world["ours"].id, "callbacks_waiting": 0}


def test_search_finds_nothing_of_another_hospital(clerk, world):
    for term in (world["theirs"].reference, OTHERS_PHONE[3:], OTHERS_PHONE[-6:]):
        page = _text(clerk.get("/console/search", query_string={"q": term}))
        assert f'/console/grievances/{world["theirs"].id}"' not in page, term
        assert "******0011" not in page, term  # no citizen, no callback of that number
    # the queue's own search box too
    page = _text(clerk.get("/console/", query_string={"q": world["theirs"].reference}))
    assert f'/console/grievances/{world["theirs"].id}"' not in page
    page = _text(clerk.get("/console/search", query_string={"q": world["ours"].reference}))
    assert f'/console/grievances/{world["ours"].id}"' in page


def test_another_hospitals_grievance_by_url_is_not_found_in_their_language(clerk, world):
    theirs = world["theirs"]
    for path in (f"/console/grievances/{theirs.id}",
                 f"/console/grievances/{world['nowhere'].id}",
                 f"/console/grievances/{theirs.id}/recording"):
        answer = clerk.get(path)
        assert answer.status_code == 404, path
        assert "यह पेज मौजूद नहीं है।" in _text(answer)
    assert clerk.get(f"/console/grievances/{world['ours'].id}").status_code == 200


def test_claim_and_resolve_of_another_hospitals_grievance_are_refused(clerk, world, session):
    theirs, ours, clerk_id = world["theirs"].id, world["ours"].id, world["clerk"].id
    sent_before = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())
                                 .limit(1))
    session.rollback()  # end the read: SQLite's lock
    for action, form in (("claim", {}), ("resolve", {"resolution": "Spoke to the doctor."}),
                         ("note", {"note": "seen"}), ("close", {})):
        answer = clerk.post(f"/console/grievances/{theirs}/{action}", form)
        assert answer.status_code == 404, action
        assert "यह पेज मौजूद नहीं है।" in _text(answer)
    assigned, status = session.execute(select(Grievance.assigned_to_id, Grievance.status)
                                       .where(Grievance.id == theirs)).one()
    assert assigned is None and status != GrievanceStatus.RESOLVED
    assert session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())
                          .limit(1)) == sent_before  # no "resolved" SMS
    session.rollback()
    # their own hospital's grievance they may work
    assert clerk.post(f"/console/grievances/{ours}/claim").status_code == 302
    assert session.scalar(select(Grievance.assigned_to_id)
                          .where(Grievance.id == ours)) == clerk_id


def test_a_grievance_they_transfer_away_leaves_their_sight(clerk, world, session):
    ours, other = world["ours"].id, world["theirs"].hospital_id
    session.rollback()
    answer = clerk.post(f"/console/grievances/{ours}/transfer", {
        "hospital": str(other), "reason": "The complaint is about the other hospital."})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/")
    assert session.scalar(select(Grievance.hospital_id).where(Grievance.id == ours)) == other
    session.rollback()
    assert clerk.get(f"/console/grievances/{ours}").status_code == 404


def test_a_grievance_they_register_is_about_their_hospital(clerk, world, session):
    theirs_hospital, hanuman = world["theirs"].hospital_id, world["hanuman"].id
    session.rollback()
    answer = clerk.post("/console/grievances/new", {
        "phone": "9877700044", "category": "cleanliness", "language": "hi",
        "description": "The OPD waiting hall has no drinking water.",
        "hospital": str(theirs_hospital)})
    assert answer.status_code == 302
    made = session.scalars(select(Grievance).order_by(Grievance.id.desc()).limit(1)).one()
    assert made.hospital_id == hanuman


def test_no_callbacks_desk_or_phone_for_a_hospitals_staff(clerk, world):
    home = _text(clerk.get("/console/"))
    assert 'id="desk"' not in home and "/console/callbacks" not in home
    assert "/console/me/state" not in home and 'id="caller-pop"' not in home
    for path in ("/console/callbacks", "/console/me/desk", "/console/phone"):
        answer = clerk.get(path)
        assert answer.status_code == 403, path
        assert "इस पेज तक आपकी पहुँच नहीं है।" in _text(answer)
    for path, form in (("/console/me/state", {"state": "available"}),
                       ("/console/callbacks/1/claim", {}),
                       ("/console/phone/token", {})):
        assert clerk.post(path, form).status_code == 403, path


def test_a_hospitals_staff_cannot_become_available(session, world):
    with pytest.raises(Forbidden):
        set_agent_state(session, world["clerk"].id, "available")
    session.expire_all()
    assert session.get(StaffUser, world["clerk"].id).state == AgentState.OFFLINE


def test_the_helpline_staff_still_see_every_hospital(console, world, session):
    make_staff(session, "agent.helpline")
    session.rollback()
    console.login("agent.helpline")
    page = _text(console.get("/console/?scope=team"))
    assert world["theirs"].reference in page and world["ours"].reference in page
    assert console.get(f"/console/grievances/{world['theirs'].id}").status_code == 200
    page = _text(console.get("/console/search", query_string={"q": OTHERS_PHONE[3:]}))
    assert "******0011" in page and f'/console/grievances/{world["theirs"].id}"' in page


def test_routing_never_rings_a_hospitals_staff(board):
    """Even an account left Available from before (or set so by hand) is skipped: the
    waiting caller rings nobody until a helpline agent is free (SQLite and PostgreSQL)."""
    with board.helpline.session() as s:
        hospital = make_hospital(s)
        clerk = make_staff(s, "opd.hanuman", phone="+919810000201", hospital_id=hospital.id)
        make_staff(s, "agent.asha", phone="+919810000101")
        s.execute(update(StaffUser).where(StaffUser.id == clerk.id)
                  .values(state=AgentState.AVAILABLE))
        s.commit()
    caller = board.caller("+919812340001")
    board.queue(caller)
    board.deliver()
    assert board.follow_redirects() == []
    asha = ConsoleClient(board.app.test_client())
    asha.login("agent.asha")
    asha.post("/console/me/state", {"state": "available", "next": "/console/"})
    board.deliver()
    [ring] = board.follow_redirects()
    assert (ring.caller_sid, ring.to) == (caller.call_sid, "+919810000101")
