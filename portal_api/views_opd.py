"""The OPD day for the portal: where the queue stands for one appointment."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from booking_core.appointments import find_appointment
from booking_core.opd_day import board, progress
from booking_core.phones import normalise_mobile
from helpline.app import get_session
from portal_api.blueprint import api
from portal_api.parsing import json_body


@api.post("/appointments/progress")
def appointment_progress() -> Any:
    """The now-serving token, the patient's day token and the expected wait, by
    reference and the mobile that holds or booked it (a POST, as for look-ups). Any day
    may be asked; before the visit's day nothing has been called yet."""
    body = json_body("AppointmentLookup")
    phone = normalise_mobile(body["phone"])
    session = get_session()
    appointment = find_appointment(session, body["reference"], phone)
    where = progress(session, appointment)
    shown = board(session, appointment.department_id, appointment.visit_day)
    return jsonify(
        reference=appointment.reference, visit_date=appointment.visit_day.isoformat(),
        token=where.token, now_serving=where.serving, ahead=where.ahead, called=where.called,
        expected_wait_minutes=where.wait_minutes,
        rooms=[{"room": r.room, "token": r.token} for r in shown.rooms],
    )
