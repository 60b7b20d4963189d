"""Console writes are single transactions in the domain: an admin's edit saves all of
it or none of it; who may work a grievance is decided in ``grievances.access``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.base import InvalidInput
from contact_centre.accounts import CannotDemoteSelf, update_staff_user
from contact_centre.models import Role, StaffUser
from grievances.access import may_take
from tests.fixtures_console import make_grievance


def text(response) -> str:
    return response.get_data(as_text=True)


def test_admin_edit_with_a_short_password_changes_nothing(session, console, admin_user, agent):
    before = (agent.role, agent.display_name, agent.password_hash)
    console.login("admin.one")
    answer = console.post(f"/console/admin/users/{agent.id}", {
        "role": "supervisor", "display_name": "Renamed", "language": "en", "active": "1",
        "password": "short"}, follow_redirects=True)
    assert "at least 10 characters" in text(answer)
    session.expire_all()
    after = session.get(StaffUser, agent.id)
    assert (after.role, after.display_name, after.password_hash) == before


def test_admin_edit_saves_everything_in_one_go(session, console, admin_user, agent):
    console.login("admin.one")
    console.post(f"/console/admin/users/{agent.id}", {
        "role": "supervisor", "display_name": "Asha V.", "language": "hi", "active": "1",
        "phone": "98100 00001", "password": "a much longer one"})
    session.expire_all()
    after = session.get(StaffUser, agent.id)
    assert (after.role, after.display_name, after.language, after.phone) == (
        Role.SUPERVISOR, "Asha V.", "hi", "+919810000001")
    session.commit()  # end the read: SQLite writers wait for it
    assert console.client.post("/console/logout", data={"csrf_token": console.token})
    assert console.login("agent.one", "a much longer one").status_code == 302


def test_admins_cannot_demote_themselves_in_the_domain(session, admin_user):
    with pytest.raises(CannotDemoteSelf):
        update_staff_user(session, admin_user.id, role="agent", display_name="x",
                          language="en", phone=None, hospital_id=None, active=True,
                          acting_user_id=admin_user.id)
    with pytest.raises(InvalidInput):
        update_staff_user(session, admin_user.id, role="admin", display_name="x",
                          language="en", phone=None, hospital_id=None, active=True,
                          password="short")
    assert session.scalar(select(StaffUser.display_name).where(
        StaffUser.id == admin_user.id)) != "x"


def test_who_may_work_a_grievance_is_decided_in_the_domain(session, agent, other_agent,
                                                           supervisor):
    g = make_grievance(session)
    assert may_take(agent, g, "resolve") and may_take(agent, g, "claim")
    assert not may_take(agent, g, "assign") and may_take(supervisor, g, "assign")
    g.assigned_to_id = other_agent.id
    assert not may_take(agent, g, "resolve") and may_take(agent, g, "note")
    assert may_take(other_agent, g, "resolve") and may_take(supervisor, g, "close")
