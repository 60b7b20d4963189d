"""A choice from a list that is no id at all (junk, a forged form) is refused as "no
such ...", never read as "nothing chosen": an account made for one hospital would
otherwise see every hospital's grievances, a grievance would lose its hospital, and an
assignment would be taken away."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from contact_centre.models import StaffUser
from grievances.models import Grievance
from tests.fixtures_console import make_grievance, make_staff

JUNK = ["abc", "1abc", "-", "1.5", "0x1", "9" * 30, "1 OR 1=1"]
PASSWORD = "a secret long password"


def _errors(page: str) -> list[str]:
    """Refusals said, flashed at the top or under a field."""
    return [html.unescape(t).strip() for t in re.findall(
        r'<(?:p class="flash error|div class="[^"]*field-error)[^"]*"[^>]*>([^<]+)</', page)]


@pytest.mark.parametrize("junk", JUNK)
def test_a_new_account_with_a_junk_hospital_is_refused(session, console, hospital, junk):
    make_staff(session, "admin.one", role="admin", language="en")
    console.login("admin.one")
    answer = console.post("/console/admin/users", {
        "username": "new.staff", "password": PASSWORD, "role": "agent", "language": "en",
        "hospital": junk}, follow_redirects=True)
    assert _errors(answer.get_data(as_text=True)), junk
    assert session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.username == "new.staff")) == 0


@pytest.mark.parametrize("junk", JUNK[:3])
def test_an_accounts_hospital_is_not_dropped_by_a_junk_choice(session, console, hospital, junk):
    make_staff(session, "admin.one", role="admin", language="en")
    staff = make_staff(session, "ward.clerk", hospital_id=hospital.id)
    session.commit()
    console.login("admin.one")
    answer = console.post(f"/console/admin/users/{staff.id}", {
        "role": "agent", "display_name": "Clerk", "language": "en", "active": "1",
        "hospital": junk}, follow_redirects=True)
    assert _errors(answer.get_data(as_text=True)), junk
    session.expire_all()
    assert session.get(StaffUser, staff.id).hospital_id == hospital.id


@pytest.mark.parametrize("junk", JUNK[:3])
def test_a_new_grievance_with_a_junk_hospital_is_refused(session, console, hospital, junk):
    make_staff(session, "agent.one", language="en")
    console.login("agent.one")
    page = console.post("/console/grievances/new", {
        "phone": "98123 45678", "category": "cleanliness", "language": "hi",
        "description": "The ward has not been cleaned for two days.",
        "hospital": junk}).get_data(as_text=True)
    assert _errors(page), junk
    assert re.search(r'name="hospital"[^>]*aria-invalid="true"', page)
    assert session.scalar(select(func.count()).select_from(Grievance)) == 0


@pytest.mark.parametrize("junk", JUNK[:3])
def test_a_junk_assignee_leaves_the_assignment_as_it_was(session, console, junk):
    supervisor = make_staff(session, "super.one", role="supervisor", language="en")
    agent = make_staff(session, "agent.one")
    g = make_grievance(session)
    session.commit()
    # Plain ids: on SQLite, reading an expired object opens a transaction that would
    # hold the write lock while the console writes.
    grievance_id, agent_id = g.id, agent.id
    session.rollback()
    console.login("super.one")
    first = console.post(f"/console/grievances/{grievance_id}/assign", {"agent": str(agent_id)},
                         follow_redirects=True)
    assert not _errors(first.get_data(as_text=True)), _errors(first.get_data(as_text=True))
    session.expire_all()
    assert session.get(Grievance, grievance_id).assigned_to_id == agent_id
    session.rollback()
    answer = console.post(f"/console/grievances/{grievance_id}/assign", {"agent": junk},
                          follow_redirects=True)
    assert _errors(answer.get_data(as_text=True)), junk
    session.expire_all()
    assert session.get(Grievance, grievance_id).assigned_to_id == agent_id
    session.rollback()
    del supervisor
