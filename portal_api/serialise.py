"""Domain objects as the JSON the OpenAPI document describes. Times are ISO 8601 in
the helpline's zone (``+05:30``), as a portal shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from booking_core.appointments import Appointment
from booking_core.hospitals import Department, Hospital
from booking_core.phones import mask_phone
from booking_core.resources import BedFigures, PublicResources
from booking_core.slots import SlotView
from grievances.models import Grievance


def when(value: dt.datetime | None, tz: str) -> str | None:
    return value.astimezone(ZoneInfo(tz)).isoformat() if value is not None else None


def hospital(h: Hospital) -> dict[str, Any]:
    return {
        "id": h.id, "code": h.code, "name_en": h.name_en, "name_hi": h.name_hi,
        "short_name_en": h.short_name("en"), "short_name_hi": h.short_name("hi"),
        "district": h.district, "district_hi": h.district_hi,
        "address": h.address, "phone": h.phone,
    }


def _named(item: Hospital | Department) -> dict[str, Any]:
    return {"id": item.id, "code": item.code, "name_en": item.name_en,
            "name_hi": item.name_hi}


def department(d: Department) -> dict[str, Any]:
    return {**_named(d), "hospital_id": d.hospital_id}


def slot(s: SlotView, tz: str) -> dict[str, Any]:
    return {"id": s.id, "starts_at": when(s.starts_at, tz), "ends_at": when(s.ends_at, tz),
            "capacity": s.capacity, "free_seats": s.free}


def appointment(a: Appointment, tz: str) -> dict[str, Any]:
    return {
        "reference": a.reference,
        "status": a.status.value,
        "hospital": _named(a.hospital),
        "department": _named(a.department),
        "slot_id": a.slot_id,
        "starts_at": when(a.slot.starts_at, tz),
        "ends_at": when(a.slot.ends_at, tz),
        "visit_date": a.visit_day.isoformat(),
        "token": a.day_token,
        "patient_name": a.patient_name,
        "phone": mask_phone(a.citizen.phone),
        "language": a.language,
        "channel": a.channel.value,
        "created_at": when(a.created_at, tz),
        "cancelled_at": when(a.cancelled_at, tz),
    }


def beds(figures: BedFigures, h: Hospital, tz: str) -> dict[str, Any]:
    return {
        "hospital_id": h.id, "hospital_code": h.code,
        "hospital_name_en": h.name_en, "hospital_name_hi": h.name_hi,
        "bed_type": figures.bed_type, "total": figures.total, "occupied": figures.occupied,
        "vacant": figures.vacant, "updated_at": when(figures.updated_at, tz),
        "stale": figures.stale,
    }


def grievance(g: Grievance, tz: str) -> dict[str, Any]:
    return {
        "reference": g.reference, "category": g.category.value, "status": g.status.value,
        "hospital_id": g.hospital_id, "created_at": when(g.created_at, tz),
        "updated_at": when(g.updated_at, tz),
    }


def resources(r: PublicResources, tz: str, stale_after_hours: float) -> dict[str, Any]:
    """The public figures of one hospital, each with its update time and stale flag."""
    vent = r.ventilators
    return {
        "hospital_id": r.hospital_id, "stale_after_hours": stale_after_hours,
        "updated_at": when(r.updated_at, tz),
        "beds": [{"bed_type": f.kind, "vacant": f.value, "total": f.total,
                  "updated_at": when(f.updated_at, tz), "stale": f.stale} for f in r.beds],
        "ventilators": None if vent is None else {
            "free": vent.value, "total": vent.total, "updated_at": when(vent.updated_at, tz),
            "stale": vent.stale},
        "staff": [{"role": f.kind, "on_duty": f.value, "updated_at": when(f.updated_at, tz),
                   "stale": f.stale} for f in r.staff],
        "medicines": [{"item": m.item, "availability": m.level.value,
                       "updated_at": when(m.updated_at, tz), "stale": m.stale}
                      for m in r.medicines],
    }
