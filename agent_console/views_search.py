"""The search box on every page: grievances, appointments, callbacks and citizens."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request

from agent_console import bp
from booking_core.lookup import MAX_TERM
from booking_core.phones import mask_phone
from booking_core.refs import spaced_card_number
from contact_centre.search import HitKind, search_records
from grievances.sla import sla_state
from helpline.app import get_session


@bp.get("/search")
def search() -> Any:
    """Results for the header's search box, whatever page it was typed on."""
    raw = (request.args.get("q") or "")[:MAX_TERM]
    results = (search_records(get_session(), raw, within_hospital=g.staff.grievance_hospital)
               if raw.strip() else None)
    return render_template("console/search.html", q=raw, results=results, kinds=list(HitKind),
                           mask_phone=mask_phone, sla_state=sla_state,
                           spaced_card_number=spaced_card_number)
