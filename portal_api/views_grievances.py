"""Grievances: register one, and look up where it stands."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from booking_core.phones import normalise_mobile
from grievances.services import find_grievance, register_grievance
from helpline.app import current_helpline, get_session
from portal_api import serialise
from portal_api.auth import verified_phone
from portal_api.blueprint import api
from portal_api.errors import ApiError
from portal_api.parsing import json_body


def _tz() -> str:
    return str(current_helpline().settings.helpline_timezone)


@api.post("/grievances")
def file_grievance() -> Any:
    """Register a grievance for the verified mobile: its reference goes there by SMS, so
    an unverified client could otherwise make the helpline text any number."""
    body = json_body("GrievanceRequest")
    phone = verified_phone()
    if "phone" in body and normalise_mobile(body["phone"]) != phone:
        raise ApiError(403, "phone_mismatch",
                       "grievances are registered for the verified mobile number only")
    grievance = register_grievance(
        get_session(), phone=phone, category=body["category"], channel="portal",
        language=body.get("language", "hi"), description=body["description"],
        hospital_id=body.get("hospital_id"), department_id=body.get("department_id"),
        actor="portal",
    )
    return jsonify(serialise.grievance(grievance, _tz())), 201


@api.post("/grievances/lookup")
def look_up_grievance() -> Any:
    """A POST so the mobile number never sits in a URL."""
    body = json_body("GrievanceLookup")
    phone = normalise_mobile(body["phone"])  # a bad number is 422 whatever the reference
    grievance = find_grievance(get_session(), body["reference"], phone)
    return jsonify(serialise.grievance(grievance, _tz()))
