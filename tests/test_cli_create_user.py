"""``flask create-user``: the helpline's own accounts and, with ``--hospital``, a
hospital's staff (README, "Who sees what")."""

from __future__ import annotations

from sqlalchemy import select

from contact_centre.models import StaffUser
from tests.factories import make_hospital


def _account(session, username: str) -> tuple[int | None, bool] | None:
    """(hospital id, works the helpline) of the account, read and let go at once (an
    open read would hold SQLite's lock against the next command)."""
    session.expire_all()
    found = session.scalar(select(StaffUser).where(StaffUser.username == username))
    answer = None if found is None else (found.hospital_id, found.works_the_helpline)
    session.rollback()
    return answer


def test_create_user_with_a_hospital_makes_that_hospitals_staff(app, session):
    hospital = make_hospital(session, name_en="Hanuman Hospital", code="HNMN")
    hospital_id = hospital.id
    session.rollback()
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-user", "opd.hanuman", "--role", "agent",
                               "--hospital", "hnmn", "--password", "a-long-password-1"])
    assert made.exit_code == 0, made.output
    assert "created agent opd.hanuman at HNMN" in made.output
    assert _account(session, "opd.hanuman") == (hospital_id, False)

    own = runner.invoke(args=["create-user", "agent.helpline", "--password",
                              "a-long-password-2"])
    assert own.exit_code == 0, own.output
    assert _account(session, "agent.helpline") == (None, True)


def test_create_user_refuses_an_unknown_hospital_and_makes_nothing(app, session):
    refused = app.test_cli_runner().invoke(args=[
        "create-user", "opd.nowhere", "--hospital", "NOPE", "--password", "a-long-password-3"])
    assert refused.exit_code != 0
    assert "no such hospital" in refused.output
    assert _account(session, "opd.nowhere") is None
