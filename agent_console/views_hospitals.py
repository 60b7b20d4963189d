"""Hospital resources for every hospital, and the form staff use for their own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from agent_console import bp
from agent_console.auth import SUPERVISORS, flash_done, flash_error
from agent_console.i18n import current_language
from booking_core.base import DomainError, utcnow, whole_number
from booking_core.hospitals import get_hospital, in_name_order, list_hospitals
from booking_core.resources import (
    BedType,
    MedicineStock,
    public_resources,
    update_resources,
    vacant_beds,
)
from helpline.app import current_helpline, get_session


@bp.get("/hospitals")
def hospitals() -> Any:
    session = get_session()
    settings = current_helpline().settings
    stale_after = dt.timedelta(hours=settings.resource_stale_hours)
    beds: dict[int, dict[str, Any]] = {}
    for figure in vacant_beds(session, stale_after=stale_after):
        beds.setdefault(figure.hospital_id, {})[figure.bed_type] = figure
    now = utcnow()
    shortages: dict[int, list[MedicineStock]] = {}
    stale_medicines: set[int] = set()
    for med in session.scalars(select(MedicineStock).order_by(MedicineStock.item)):
        if med.below_reorder:
            shortages.setdefault(med.hospital_id, []).append(med)
        if now - med.updated_at > stale_after:
            stale_medicines.add(med.hospital_id)
    # Ventilators, staff on duty and stock with their age: for supervisors.
    hospitals = in_name_order(list_hospitals(session), current_language())
    resources = ({h.id: public_resources(session, h.id, stale_after=stale_after, now=now)
                  for h in hospitals} if g.staff.role in SUPERVISORS else {})
    return render_template("console/hospitals.html", hospitals=hospitals,
                           beds=beds, bed_types=list(BedType), shortages=shortages,
                           stale_medicines=stale_medicines, resources=resources, now=now)


@bp.route("/hospitals/mine", methods=["GET", "POST"])
def my_hospital() -> Any:
    """Staff attached to a hospital update its figures; nobody else's."""
    if g.staff.hospital_id is None:
        abort(403)
    session = get_session()
    hospital = get_hospital(session, g.staff.hospital_id)
    typed = None  # a refused form's figures, shown again as typed
    if request.method == "POST":
        form = request.form
        try:
            payload: dict[str, Any] = {"beds": {}, "medicines": []}
            for bed_type in BedType:
                total, occupied = form.get(f"{bed_type}_total"), form.get(f"{bed_type}_occupied")
                if total or occupied:
                    payload["beds"][bed_type.value] = {"total": _count(total),
                                                       "occupied": _count(occupied)}
            for med in session.scalars(select(MedicineStock).filter_by(hospital_id=hospital.id)):
                quantity = form.get(f"med_{med.id}")
                if quantity not in (None, ""):
                    payload["medicines"].append({"item": med.item, "unit": med.unit,
                                                 "quantity": _count(quantity),
                                                 "reorder_level": med.reorder_level})
            payload = {k: v for k, v in payload.items() if v}
            update_resources(session, hospital.id, payload,
                             source=f"console:{g.staff.username}")
        except DomainError as exc:
            flash_error(exc)
            typed = form
        else:
            flash_done("console.done_resources")
            return redirect(url_for("console.my_hospital"))
    beds = {f.bed_type: f for f in vacant_beds(session, hospital_id=hospital.id)}
    medicines = list(session.scalars(
        select(MedicineStock).filter_by(hospital_id=hospital.id).order_by(MedicineStock.item)))
    stale_after = dt.timedelta(hours=current_helpline().settings.resource_stale_hours)
    now = utcnow()
    html = render_template("console/my_hospital.html", hospital=hospital, beds=beds,
                           bed_types=list(BedType), medicines=medicines, now=now,
                           resources=public_resources(session, hospital.id,
                                                      stale_after=stale_after, now=now),
                           typed=typed)
    return html, 422 if typed is not None else 200


def _count(raw: str | None) -> Any:
    """Whole numbers from the form; anything else is passed on for the domain to refuse."""
    number = whole_number(raw)
    return (raw or "").strip() if number is None else number
