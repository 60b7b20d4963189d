"""The search box on every page: grievances, appointments, callbacks and citizens."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from agent_console import bp
from agent_console.session_keys import kept_key, kept_value
from booking_core.lookup import MAX_TERM
from booking_core.phones import mask_phone
from booking_core.refs import spaced_card_number
from contact_centre.search import HitKind, search_records
from grievances.sla import sla_state
from helpline.app import get_session


@bp.route("/search", methods=["GET", "POST"])
def search() -> Any:
    """Results for the header's search box, whatever page it was typed on. The box is
    posted: what was typed (a mobile, an ABHA number) is kept in the agent's session
    under a short key, and the results' address carries the key (``?k=``), never the
    term, so it stays out of browser history and proxies' logs. A ``?q=`` address
    (a link or bookmark of someone's own making) is still answered."""
    if request.method == "POST":
        raw = (request.form.get("q") or "")[:MAX_TERM]
        if not raw.strip():
            return redirect(url_for("console.search"), code=303)
        return redirect(url_for("console.search", k=keep_search(raw)), code=303)
    key = request.args.get("k")
    raw = ((kept_value(SEARCHES, key) or "") if key
           else (request.args.get("q") or "")[:MAX_TERM])
    results = (search_records(get_session(), raw, within_hospital=g.staff.grievance_hospital)
               if raw.strip() else None)
    return render_template("console/search.html", q=raw, results=results, kinds=list(HitKind),
                           mask_phone=mask_phone, sla_state=sla_state,
                           spaced_card_number=spaced_card_number,
                           search_lost=bool(key) and not raw)


# Session key: what this console session searched for, by a short random key; the last
# few only.
SEARCHES = "searches"
SEARCHES_KEPT = 8


def keep_search(term: str) -> str:
    return kept_key(SEARCHES, term, SEARCHES_KEPT)
