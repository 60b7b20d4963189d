"""Read-only views: hospitals, departments, OPD availability, beds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import jsonify
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from booking_core.base import NotFound, utcnow
from booking_core.hospitals import (
    Department,
    Hospital,
    get_hospital,
    list_hospitals,
)
from booking_core.resources import BedType, public_resources, vacant_beds
from booking_core.slots import (
    SlotView,
    bookable_window,
    day_availability,
    day_excluded,
    days_excluded,
    days_with_free_seats,
    departments_offered,
    free_slots,
)
from helpline.app import current_helpline
from portal_api import serialise
from portal_api.blueprint import api
from portal_api.errors import ApiError
from portal_api.parsing import query_choice, query_date, query_int, query_text
from portal_api.reads import DepartmentOwners, read_session, retry_on_lost_connection

_owners = DepartmentOwners()


@api.get("/hospitals")
@retry_on_lost_connection
def hospitals() -> Any:
    found = list_hospitals(read_session(), district=query_text("district"), active_only=True)
    return jsonify(hospitals=[serialise.hospital(h) for h in found])


@api.get("/hospitals/<int:hospital_id>")
@retry_on_lost_connection
def hospital(hospital_id: int) -> Any:
    return jsonify(serialise.hospital(get_hospital(read_session(), hospital_id)))


@api.get("/hospitals/<int:hospital_id>/departments")
@retry_on_lost_connection
def departments(hospital_id: int) -> Any:
    """The hospital's departments that sit an OPD (``bookable_departments``). One with
    no weekly schedule and no open slot from today on is left out, not marked: nothing
    in it can be booked, and the phone line and the portal do not offer it either."""
    session = read_session()
    found = get_hospital(session, hospital_id)
    return jsonify(hospital=serialise.hospital(found),
                   departments=[serialise.department(d)
                                for d in bookable_departments(session, found.id)])


def bookable_departments(session: Session, hospital_id: int) -> list[Department]:
    """The departments a citizen may be offered, from the helpline's today on
    (``booking_core.slots.departments_offered``); the API and the portal both ask this."""
    settings = current_helpline().settings
    today, _ = bookable_window(utcnow(), settings.booking_window_days,
                               settings.helpline_timezone)
    return departments_offered(session, hospital_id, today)


@api.get("/hospitals/<int:hospital_id>/departments/<int:department_id>/availability")
@retry_on_lost_connection
def availability(hospital_id: int, department_id: int) -> Any:
    """Days with free seats in the booking window and the free slots of one day (the
    ``date`` asked for, else the first day with a free seat)."""
    tz = current_helpline().settings.helpline_timezone
    _department_of(hospital_id, department_id)
    found = department_availability(read_session(), department_id, query_date("date"))
    return jsonify(
        hospital_id=hospital_id, department_id=department_id,
        date=found.day.isoformat() if found.day else None,
        bookable_until=found.last.isoformat(),
        days=[{"date": d.isoformat(), "free_seats": free} for d, free in found.days],
        slots=[serialise.slot(s, tz) for s in found.slots],
    )


@dataclass(frozen=True)
class Availability:
    day: dt.date | None  # the day whose slots these are; None when no day has a seat
    last: dt.date  # the last bookable day
    days: list[tuple[dt.date, int]]  # every day with free seats, and how many
    slots: list[SlotView]
    held: dt.date | None = None  # the day asked for: the patient holds it, no seat is free
    # The days of ``days`` the patient holds: listed, bookable only with another
    # person's eHealth card (the card's holder is a patient of their own).
    held_days: frozenset[dt.date] = frozenset()


def department_availability(session: Session, department_id: int, day: dt.date | None,
                            held_by: ColumnElement[bool] | None = None) -> Availability:
    """Days with free seats in the booking window and the free slots of ``day`` (else of
    the first day with a free seat). The API and the portal both ask this; a day
    before today or past the window is ``ApiError`` 422 (``past_date``,
    ``outside_booking_window``).

    With ``held_by`` (``booking_core.appointments.day_held_by_patient``: the portal,
    for its verified mobile) the days the patient already holds in the department stay
    listed, named in ``held_days``: booking there for the mobile's own patient would be
    refused, but a family member may still be booked with their eHealth card. With no
    day asked for, the first day the patient does not hold is shown (else the first
    day). A held day asked for by name with no free seat is given back as ``held``, with
    the first other day's slots in its place."""
    settings = current_helpline().settings
    tz, window = settings.helpline_timezone, settings.booking_window_days
    now = utcnow()
    today, last = bookable_window(now, window, tz)
    if day is not None and day < today:
        raise ApiError(422, "past_date", "that date has passed", field="date")
    if day is not None and day > last:
        raise ApiError(422, "outside_booking_window",
                       f"bookings open {window} days ahead", field="date")
    if held_by is not None:
        days = days_with_free_seats(session, department_id, now=now, window_days=window,
                                    tz=tz, limit=window + 1)
        listed = [d for d, _ in days]
        held_days = days_excluded(session, department_id, listed, held_by)
        held = (day if day is not None and day not in listed
                and day_excluded(session, department_id, day, held_by) else None)
        if day is None or held is not None:
            day = next((d for d in listed if d not in held_days), listed[0] if listed else None)
        slots = free_slots(session, department_id, day, now=now, window_days=window, tz=tz) \
            if day is not None else []
        return Availability(day, last, days, slots, held, held_days)
    if day is None:
        days = days_with_free_seats(session, department_id, now=now, window_days=window,
                                    tz=tz, limit=window + 1)
        day = days[0][0] if days else None
        slots = free_slots(session, department_id, day, now=now, window_days=window, tz=tz) \
            if day is not None else []
    else:
        days, slots = day_availability(session, department_id, day, now=now,
                                       window_days=window, tz=tz)
    return Availability(day, last, days, slots)


def _department_of(hospital_id: int, department_id: int) -> None:
    """Usually answered from memory; tells an unknown hospital from an unknown
    department only when needed."""
    session = read_session()
    if _owners.hospital_of(session, department_id) != hospital_id:
        get_hospital(session, hospital_id)
        raise NotFound("no such department in this hospital", entity="department")


@api.get("/beds")
@retry_on_lost_connection
def beds() -> Any:
    """Current beds by hospital and type, each with its update time and stale flag."""
    settings = current_helpline().settings
    session = read_session()
    hospital_id = query_int("hospital_id")
    bed_type = query_choice("bed_type", [t.value for t in BedType])
    district = query_text("district")
    if hospital_id is not None:
        get_hospital(session, hospital_id)
    stale_after = dt.timedelta(hours=settings.resource_stale_hours)
    figures = vacant_beds(session, hospital_id=hospital_id, district=district,
                          stale_after=stale_after)
    if bed_type:
        figures = [f for f in figures if f.bed_type == bed_type]
    names = {h.id: h for h in session.scalars(
        select(Hospital).where(Hospital.id.in_({f.hospital_id for f in figures})))}
    return jsonify(
        stale_after_hours=settings.resource_stale_hours,
        beds=[serialise.beds(f, names[f.hospital_id], settings.helpline_timezone)
              for f in figures],
    )


@api.get("/hospitals/<int:hospital_id>/resources")
@retry_on_lost_connection
def resources(hospital_id: int) -> Any:
    """Public figures of one hospital: vacant beds by type, available ventilators, staff on
    duty by role and medicine availability (in stock / low / out, not quantities), each
    with its update time and stale flag (``RESOURCE_STALE_HOURS``)."""
    settings = current_helpline().settings
    session = read_session()
    found = get_hospital(session, hospital_id)
    figures = public_resources(session, found.id,
                               stale_after=dt.timedelta(hours=settings.resource_stale_hours))
    return jsonify(serialise.resources(figures, settings.helpline_timezone,
                                       settings.resource_stale_hours))
