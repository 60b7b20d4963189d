"""No raw codes in either language: every code the console shows has words in both
catalogs, and counts agree with their number ("1 grievance", "2 grievances")."""

from __future__ import annotations

import re
from pathlib import Path

from booking_core.appointments import AppointmentStatus, Channel
from booking_core.audit import MASTER_DATA_ENTITIES, AuditAction
from booking_core.hospitals import Ownership
from booking_core.outbox import CALL_PURPOSES, REDIRECT_PURPOSES, OutboxKind, OutboxStatus
from booking_core.resources import MEDICINE_UNITS, STAFF_ROLES, BedType, StockLevel
from contact_centre.callbacks import OUTCOMES
from contact_centre.models import (
    CALL_STATUSES,
    CALLBACK_REASONS,
    AgentState,
    CallbackStatus,
    CallDevice,
    CallOutcome,
    Disposition,
    Role,
)
from contact_centre.search import HitKind
from grievances.models import EVENT_KINDS, GrievanceCategory, GrievanceStatus
from grievances.notifications import NOTIFICATION_KINDS
from grievances.sla import DESKS
from grievances.workflow import REPLY_KINDS
from locales import has_message
from tests.fixtures_console import make_grievance

TEMPLATES = Path(__file__).resolve().parent.parent / "agent_console" / "templates"
DEADLINES = ["acknowledge", "resolve"]  # grievances.sla.Sla.deadline, when one is due

# Every family of codes the console shows, and where its values come from.
FAMILIES = {
    "status": list(GrievanceStatus), "cat": list(GrievanceCategory), "desk": list(DESKS),
    "reply": list(REPLY_KINDS), "event": list(EVENT_KINDS),
    "channel": [*Channel, "system"], "state": list(AgentState), "role": list(Role),
    "prio": ["1", "2", "3"], "cbstatus": list(CallbackStatus), "cboutcome": list(OUTCOMES),
    "cbreason": list(CALLBACK_REASONS), "outcome": list(CallOutcome),
    "callstatus": list(CALL_STATUSES), "appt": list(AppointmentStatus),
    "outboxkind": list(OutboxKind), "outbox": list(OutboxStatus),
    "callpurpose": [*CALL_PURPOSES, *REDIRECT_PURPOSES], "disposition": list(Disposition),
    "device": list(CallDevice), "bed": list(BedType), "unit": list(MEDICINE_UNITS),
    "hit": list(HitKind), "left_to": DEADLINES, "overdue_to": DEADLINES,
    "ownership": list(Ownership), "auditaction": list(AuditAction),
    "entity": list(MASTER_DATA_ENTITIES),  # the change log lists master data only
    "notice": list(NOTIFICATION_KINDS), "staffrole": list(STAFF_ROLES),
    "stock": list(StockLevel),
}


def test_every_code_shown_in_the_console_has_words_in_both_languages():
    missing = [f"console.{family}.{getattr(v, 'value', v)}" for family, values in
               FAMILIES.items() for v in values
               if not has_message(f"console.{family}.{getattr(v, 'value', v)}")]
    assert missing == []


def test_templates_never_print_a_code_as_it_is():
    raw = []
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            # A value printed between tags (not inside an attribute or a t() key).
            for found in re.finditer(r">\s*{{\s*([\w.]+\.(?:value|status|kind|reason|outcome|"
                                     r"template|channel|unit|actor))\s*}}", line):
                raw.append(f"{path.name}:{number}: {found.group(1)}")
            if re.search(r"has_message\([^)]*\)\s*else\s+[\w.]+\s*}}", line):
                raw.append(f"{path.name}:{number}: falls back to the raw code")
    assert raw == []


def test_counts_agree_with_their_number_in_both_languages(session, console, agent):
    console.login("agent.one")
    page = console.get("/console/?scope=team").get_data(as_text=True)
    assert ">No grievances<" in page
    make_grievance(session)
    page = console.get("/console/?scope=team").get_data(as_text=True)
    assert ">1 grievance<" in page
    make_grievance(session)
    assert ">2 grievances<" in console.get("/console/?scope=team").get_data(as_text=True)
    one = make_grievance(session)
    from grievances.models import Grievance

    with session.begin():
        session.get(Grievance, one.id).transfer_count = 2
    page = console.get(f"/console/grievances/{one.id}").get_data(as_text=True)
    assert "(1 transfer left)" in page
    console.post("/console/me/language", {"language": "hi", "next": "/console/"})
    assert ">3 शिकायतें<" in console.get("/console/?scope=team").get_data(as_text=True)


def test_status_and_priority_badges_and_sla_colours(session, console, agent):
    import datetime as dt

    late = make_grievance(session, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=20))
    fresh = make_grievance(session, category="medicines_unavailable")
    console.login("agent.one")
    page = console.get("/console/?scope=team").get_data(as_text=True)
    rows = {g.id: re.search(rf'data-grievance-id="{g.id}">(.*?)</tr>', page, re.S).group(1)
            for g in (late, fresh)}
    assert 'class="sla-late"' in rows[late.id] and 'class="sla-ok"' in rows[fresh.id]
    assert 'class="badge status-registered">Registered<' in rows[fresh.id]
    assert 'class="badge prio-1">Urgent<' in rows[fresh.id]
    assert 'rel="icon"' in page and "bootstrap-5.3.8/bootstrap.min.css" in page


def test_labels_that_stand_alone_read_as_labels_in_english():
    """A role in a menu and the header's badge, a patient's state in the counter's table,
    a callback's reason on its card: standing alone, each is written as a label
    ("Supervisor", "Waiting"), not a lower-case code ("supervisor", "waiting")."""
    from booking_core.opd_day import VisitState
    from contact_centre.models import CALLBACK_REASONS, Role
    from locales import render

    for family, values in (("role", [r.value for r in Role]),
                           ("visit", [v.value for v in VisitState]),
                           ("cbreason", list(CALLBACK_REASONS))):
        for value in values:
            words = render("en", f"console.{family}.{value}")
            assert words[:1].isupper(), (family, value, words)
            assert words != value
