"""Who did what, in words: a grievance's history and the master-data change log name a
staff member by their display name, the citizen as «नागरिक» / "Citizen" whatever
channel they used, and the clock as «अपने-आप (समय-सीमा)» / "automatic (deadline)";
never an account's username or an internal code ("portal-web", "agent.asha")."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from agent_console.i18n import AUTOMATIC_ACTORS, CITIZEN_ACTORS
from grievances.escalation import SYSTEM, escalate_overdue
from grievances.workflow import add_note, claim_grievance
from tests.factories import IST
from tests.fixtures_console import make_grievance, make_staff

ROOT = Path(__file__).resolve().parent.parent


def history(html: str) -> list[str]:
    """Each history entry's words up to its first detail, tags removed."""
    block = html.split('id="events"', 1)[1].split("</ol>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item.split("<blockquote>")[0])).strip()
            for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


@pytest.fixture
def worked(session):
    """A grievance filed on the portal, claimed and noted by Asha, then escalated by the
    clock when its deadline passed."""
    asha = make_staff(session, "agent.asha", display_name="Asha Verma", language="hi")
    late = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    item = make_grievance(session, channel="portal", actor="portal-web", now=late)
    claim_grievance(session, item.id, agent_id=asha.id, actor="agent.asha", now=late)
    add_note(session, item.id, "Spoke to the ward in charge.", actor="agent.asha")
    assert escalate_overdue(session) == 1
    return item


def test_a_grievances_history_names_people_and_channels_in_hindi(session, console, worked):
    console.login("agent.asha")
    lines = history(console.get(f"/console/grievances/{worked.id}").get_data(as_text=True))
    page = " | ".join(lines)
    assert "portal-web" not in page and "agent.asha" not in page and "system" not in page
    assert any(line.endswith("दर्ज हुई · नागरिक (पोर्टल)") for line in lines), lines
    assert any("· Asha Verma (कंसोल)" in line for line in lines), lines
    escalated = [line for line in lines if "अपने-आप (समय-सीमा)" in line]
    assert len(escalated) == 1 and "(स्वचालित)" not in escalated[0], lines


def test_a_grievances_history_names_people_and_channels_in_english(session, console, worked):
    make_staff(session, "agent.en", language="en")
    console.login("agent.en")
    lines = history(console.get(f"/console/grievances/{worked.id}").get_data(as_text=True))
    page = " | ".join(lines)
    assert "portal-web" not in page and "agent.asha" not in page
    assert any(line.endswith("· Citizen (portal)") for line in lines), lines
    assert any("· Asha Verma (console)" in line for line in lines), lines
    assert any(line.endswith("· automatic (deadline)") for line in lines), lines


def test_the_change_log_names_the_admin_not_their_username(session, console):
    make_staff(session, "admin.meera", role="admin", display_name="Meera Singh")
    console.login("admin.meera")
    day = (dt.datetime.now(IST) + dt.timedelta(days=40)).date()
    assert console.post("/console/admin/holidays", {
        "day": day.isoformat(), "name_en": "Holi", "name_hi": "होली"}).status_code == 302
    log = console.get("/console/admin/audit").get_data(as_text=True).split('id="audit"', 1)[1]
    assert "Meera Singh" in log and "admin.meera" not in log


def test_every_actor_the_code_writes_has_words():
    """Each actor code written as a literal (``actor="ivr"``) is one the console says in
    words, so a new channel cannot reach a page as its code."""
    written = set()
    for package in ("agent_console", "booking_core", "contact_centre", "grievances", "ivr",
                    "messaging", "portal_api", "portal_web", "helpline"):
        for path in (ROOT / package).rglob("*.py"):
            written |= set(re.findall(r'\bactor="([^"]+)"', path.read_text()))
    assert written
    assert written <= CITIZEN_ACTORS | set(AUTOMATIC_ACTORS), written - CITIZEN_ACTORS
    assert SYSTEM in AUTOMATIC_ACTORS


def test_a_complaint_registered_without_staff_is_the_citizens(session):
    """A complaint registered with no staff member named (a citizen's own channel, the
    demo data) records the citizen as its author: its history never reads "registered ·
    not recorded" («दर्ज हुई · दर्ज नहीं»)."""
    from sqlalchemy import select

    from grievances.models import GrievanceEvent
    from tests.fixtures_console import make_grievance

    grievance = make_grievance(session, channel="ivr")
    event = session.scalars(select(GrievanceEvent).where(
        GrievanceEvent.grievance_id == grievance.id,
        GrievanceEvent.kind == "registered")).one()
    assert event.actor == "citizen"
    session.rollback()
