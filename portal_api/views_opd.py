"""The OPD day for the portal: where the queue stands for one appointment, and a full
day's waiting list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import jsonify

from booking_core.appointments import BookingRules, Channel, find_appointment
from booking_core.base import InvalidInput
from booking_core.opd_board import board, progress
from booking_core.phones import normalise_mobile
from booking_core.waiting_list import join_waiting_list
from helpline.app import current_helpline, get_session
from portal_api.auth import verified_phone
from portal_api.blueprint import api
from portal_api.parsing import json_body


@api.post("/appointments/progress")
def appointment_progress() -> Any:
    """The now-serving token, the patient's day token and the expected wait, by
    reference and the mobile that holds or booked it (a POST, as for look-ups). Any day
    may be asked; before the visit's day nothing has been called yet. ``passed``: the
    queue went past this patient, who should go to the counter (``ahead`` means nothing
    then): not checked in, they are called once checked in; ``skipped`` (called and not
    there), the counter can call them again."""
    body = json_body("AppointmentLookup")
    phone = normalise_mobile(body["phone"])
    session = get_session()
    appointment = find_appointment(session, body["reference"], phone)
    where = progress(session, appointment)
    shown = board(session, appointment.department_id, appointment.visit_day)
    return jsonify(
        reference=appointment.reference, visit_date=appointment.visit_day.isoformat(),
        token=where.token, now_serving=where.serving, ahead=where.ahead, called=where.called,
        passed=where.passed, skipped=where.skipped, expected_wait_minutes=where.wait_minutes,
        rooms=[{"room": r.room, "token": r.token} for r in shown.rooms],
    )


@api.post("/waiting-list")
def join_the_waiting_list() -> Any:
    """Put the verified mobile on a full day's list (409 ``seats_free`` while seats are
    left: book one instead; 409 ``already_booked``, ``details.reference``, when the
    mobile already holds an appointment in the department that day)."""
    phone = verified_phone()
    body = json_body("WaitingListRequest")
    settings = current_helpline().settings
    try:
        day = dt.date.fromisoformat(body["date"])
    except ValueError as exc:
        raise InvalidInput("not a date", field="date") from exc
    entry, ahead = join_waiting_list(
        get_session(), department_id=body["department_id"], day=day, phone=phone,
        channel=Channel.PORTAL,
        language=body.get("language", "hi"), hold_minutes=settings.waiting_list_hold_minutes,
        rules=BookingRules(window_days=settings.booking_window_days,
                           tz=settings.helpline_timezone,
                           quiet_hours=settings.sms_quiet_hours))
    return jsonify(department_id=entry.department_id, date=entry.local_day.isoformat(),
                   status=entry.status.value, ahead=ahead,
                   hold_minutes=entry.hold_minutes), 201
