"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of every request and response body.

One definition serves twice: request bodies are validated against it at run time, and
the OpenAPI document publishes it, so the document cannot drift from what the API
accepts.
"""

from __future__ import annotations

from typing import Any

from booking_core.appointments import AppointmentStatus
from booking_core.base import MAX_INTEGER
from booking_core.resources import STAFF_ROLES, BedType, StockLevel
from grievances.models import GrievanceCategory, GrievanceStatus
from portal_api.schemas_cards import CARD_SCHEMAS, LANGUAGE

DATE_TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
PHONE = {
    "type": "string", "minLength": 1, "maxLength": 32,
    "description": "Indian mobile number in any common form: 98123 45678, 09812345678, "
                   "+91-98123-45678",
    "examples": ["98123 45678"],
}
REFERENCE = {"type": "string", "minLength": 1, "maxLength": 20, "examples": ["10473826"]}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}
COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER}


def _obj(properties: dict[str, Any], required: list[str] | None = None,
         additional: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": additional}
    if required:
        schema["required"] = required
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_NAMED = {"id": ID, "code": {"type": "string"}, "name_en": {"type": "string"},
          "name_hi": {"type": "string"}}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _obj({"error": _obj({
        "code": {"type": "string", "description": "stable, machine-readable"},
        "message": {"type": "string", "description": "English, for developers"},
        "details": {"type": "object",
                    "description": "what the refusal names: `field`, the body's field to "
                                   "correct; some codes say more (`reason`, and for "
                                   "`invalid_card_number` `digits`, the digits typed)"},
    }, ["code", "message"])}, ["error"]),
    "Hospital": _obj({
        **_NAMED, "short_name_en": {"type": "string"}, "short_name_hi": {"type": "string"},
        "district": {"type": "string"}, "district_hi": {"type": "string"},
        "address": {"type": "string"}, "phone": {"type": "string"},
    }, ["id", "code", "name_en", "name_hi", "district", "district_hi"]),
    "HospitalList": _obj({"hospitals": {"type": "array", "items": _ref("Hospital")}},
                         ["hospitals"]),
    "Department": _obj({**_NAMED, "hospital_id": ID},
                       ["id", "code", "name_en", "name_hi", "hospital_id"]),
    "DepartmentList": _obj({"hospital": _ref("Hospital"),
                            "departments": {"type": "array", "items": _ref("Department")}},
                           ["hospital", "departments"]),
    "Slot": _obj({"id": ID, "starts_at": DATE_TIME, "ends_at": DATE_TIME,
                  "capacity": COUNT, "free_seats": COUNT},
                 ["id", "starts_at", "ends_at", "capacity", "free_seats"]),
    "Availability": _obj({
        "hospital_id": ID, "department_id": ID,
        "date": _nullable(DATE),
        "bookable_until": DATE,
        "days": {"type": "array", "items": _obj({"date": DATE, "free_seats": COUNT},
                                                ["date", "free_seats"])},
        "slots": {"type": "array", "items": _ref("Slot")},
    }, ["hospital_id", "department_id", "date", "bookable_until", "days", "slots"]),
    "BedFigures": _obj({
        "hospital_id": ID, "hospital_code": {"type": "string"},
        "hospital_name_en": {"type": "string"}, "hospital_name_hi": {"type": "string"},
        "bed_type": {"type": "string", "enum": [t.value for t in BedType]},
        "total": COUNT, "occupied": COUNT, "vacant": COUNT,
        "updated_at": DATE_TIME, "stale": {"type": "boolean"},
    }, ["hospital_id", "bed_type", "total", "occupied", "vacant", "updated_at", "stale"]),
    "BedList": _obj({"stale_after_hours": {"type": "number"},
                     "beds": {"type": "array", "items": _ref("BedFigures")}},
                    ["stale_after_hours", "beds"]),
    "VerificationRequest": _obj({"phone": PHONE, "language": LANGUAGE}, ["phone"]),
    "VerificationSent": _obj({"phone": {"type": "string", "description": "masked"},
                              "expires_at": DATE_TIME, "expires_in_seconds": COUNT},
                             ["phone", "expires_at", "expires_in_seconds"]),
    "VerificationConfirm": _obj({"phone": PHONE,
                                 "code": {"type": "string", "pattern": r"^\s*\d{6}\s*$",
                                          "description": "the 6 digits of the SMS, in "
                                                         "any script (Devanagari ४८२९१७ "
                                                         "too)"}},
                                ["phone", "code"]),
    "VerificationToken": _obj({"verification_token": {
                                   "type": "string", "pattern": "^[A-Za-z0-9_-]+$",
                                   "description": "opaque and sealed (encrypted and "
                                                  "authenticated; it does not show the "
                                                  "number): send it back unchanged in "
                                                  "X-Verification-Token"},
                               "phone": {"type": "string", "description": "masked"},
                               "expires_in_seconds": COUNT},
                              ["verification_token", "phone", "expires_in_seconds"]),
    "BookingRequest": _obj({
        "slot_id": ID, "language": LANGUAGE,
        "patient_name": {"type": "string", "maxLength": 1000,
                         "description": "letters, spaces, . ' - (any script), at most 120 "
                                        "once spaces are tidied: else 422 invalid_name "
                                        "or name_too_long, never cut"},
        "abha_number": {"type": "string", "maxLength": 20,
                        "description": "14 digits, dashes allowed"},
        "ehealth_card_number": {"type": "string", "maxLength": 20,
                                "description": "book for this eHealth card of the verified "
                                               "mobile (11 digits); the name and ABHA "
                                               "come from the card"},
    }, ["slot_id"]),
    "RescheduleRequest": _obj({"slot_id": ID}, ["slot_id"]),
    "AppointmentLookup": _obj({"reference": REFERENCE, "phone": PHONE}, ["reference", "phone"]),
    "WaitingListRequest": _obj({"department_id": ID, "date": DATE, "language": LANGUAGE},
                               ["department_id", "date"]),
    "WaitingListEntry": _obj({
        "department_id": ID, "date": DATE,
        "status": {"type": "string",
                   "enum": ["waiting", "offered", "booked", "declined", "lapsed", "left"]},
        "ahead": {**COUNT, "description": "people before this one on the day's list"},
        "hold_minutes": {"type": "integer", "minimum": 1},
    }, ["department_id", "date", "status", "ahead", "hold_minutes"]),
    "OpdProgress": _obj({
        "reference": {"type": "string", "pattern": "^[0-9]{8}$"},
        "visit_date": DATE,
        "token": {"type": "integer", "minimum": 1,
                  "description": "the day's queue number (earlier slots' seats + slot token)"},
        "now_serving": {**COUNT, "description":
                        "the highest booked token called (walk-ins' counter tokens, "
                        "called in the gaps, are not counted); 0 before the first"},
        "ahead": COUNT,
        "called": {"type": "boolean", "description":
                   "called to a room (go in now), or seen since; false once skipped"},
        "passed": {"type": "boolean", "description":
                   "the queue went past this patient: go to the OPD registration counter "
                   "(ahead and expected_wait_minutes do not apply). Not checked in "
                   "(skipped false): check in there; the token is called after that"},
        "skipped": {"type": "boolean", "description":
                    "passed because the token was called and the patient was not there: "
                    "tell the counter they have come; the counter can call them again"},
        "expected_wait_minutes": _nullable({**COUNT, "description":
                                            "at the session's measured pace; null until "
                                            "measured, once called, or when passed"}),
        "rooms": {"type": "array", "items": _obj({"room": ID, "token": _nullable(ID)},
                                                 ["room", "token"])},
    }, ["reference", "visit_date", "token", "now_serving", "ahead", "called", "passed",
        "skipped", "expected_wait_minutes", "rooms"]),
    "Appointment": _obj({
        "reference": {"type": "string", "pattern": "^[0-9]{8}$"},
        "status": {"type": "string", "enum": [s.value for s in AppointmentStatus]},
        "hospital": _obj(_NAMED, ["id", "code", "name_en", "name_hi"]),
        "department": _obj(_NAMED, ["id", "code", "name_en", "name_hi"]),
        "slot_id": ID, "starts_at": DATE_TIME, "ends_at": DATE_TIME, "visit_date": DATE,
        "token": {"type": "integer", "minimum": 1},
        "patient_name": _nullable({"type": "string"}),
        "phone": {"type": "string", "description": "masked"},
        "language": {"type": "string"}, "channel": {"type": "string"},
        "created_at": DATE_TIME, "cancelled_at": _nullable(DATE_TIME),
    }, ["reference", "status", "hospital", "department", "slot_id", "starts_at", "ends_at",
        "visit_date", "token", "phone"]),
    "AppointmentList": _obj({"appointments": {"type": "array", "items": _ref("Appointment")}},
                            ["appointments"]),
    "HospitalResources": _obj({
        "hospital_id": ID, "stale_after_hours": {"type": "number"},
        "updated_at": _nullable(DATE_TIME),
        "beds": {"type": "array", "items": _obj({
            "bed_type": {"type": "string", "enum": [t.value for t in BedType]},
            "vacant": COUNT, "total": COUNT, "updated_at": DATE_TIME,
            "stale": {"type": "boolean"}},
            ["bed_type", "vacant", "total", "updated_at", "stale"])},
        "ventilators": _nullable(_obj({
            "free": COUNT, "total": COUNT, "updated_at": DATE_TIME,
            "stale": {"type": "boolean"}}, ["free", "total", "updated_at", "stale"])),
        "staff": {"type": "array", "items": _obj({
            "role": {"type": "string", "enum": list(STAFF_ROLES)}, "on_duty": COUNT,
            "updated_at": DATE_TIME, "stale": {"type": "boolean"}},
            ["role", "on_duty", "updated_at", "stale"])},
        "medicines": {"type": "array", "items": _obj({
            "item": {"type": "string"},
            "availability": {"type": "string", "enum": [s.value for s in StockLevel],
                             "description": "in_stock; low: at or below the hospital's "
                                            "reorder level; out"},
            "updated_at": DATE_TIME, "stale": {"type": "boolean"}},
            ["item", "availability", "updated_at", "stale"])},
    }, ["hospital_id", "stale_after_hours", "updated_at", "beds", "ventilators", "staff",
        "medicines"]),
    "GrievanceRequest": _obj({
        "phone": PHONE, "language": LANGUAGE,
        "category": {"type": "string", "enum": [c.value for c in GrievanceCategory]},
        "description": {"type": "string", "minLength": 1, "maxLength": 4000},
        "hospital_id": ID, "department_id": ID,
    }, ["category", "description"]),
    "GrievanceLookup": _obj({"reference": REFERENCE, "phone": PHONE}, ["reference", "phone"]),
    "Grievance": _obj({
        "reference": {"type": "string", "pattern": "^[0-9]{8}$"},
        "category": {"type": "string", "enum": [c.value for c in GrievanceCategory]},
        "status": {"type": "string", "enum": [s.value for s in GrievanceStatus]},
        "hospital_id": _nullable(ID),
        "created_at": DATE_TIME, "updated_at": DATE_TIME,
    }, ["reference", "category", "status", "hospital_id", "created_at", "updated_at"]),
    "ResourceReport": _obj({
        "beds": {
            "type": "object",
            "propertyNames": {"enum": [t.value for t in BedType]},
            "additionalProperties": _obj({"total": COUNT, "occupied": COUNT},
                                         ["total", "occupied"]),
        },
        "ventilators": _obj({"total": COUNT, "in_use": COUNT}, ["total", "in_use"]),
        "medicines": {"type": "array", "maxItems": 500, "items": _obj({
            "item": {"type": "string", "minLength": 1, "maxLength": 120},
            "quantity": COUNT,
            "unit": {"type": "string", "minLength": 1, "maxLength": 24},
            "reorder_level": COUNT,
        }, ["item", "quantity", "unit"])},
        "staff": {"type": "object", "propertyNames": {"enum": list(STAFF_ROLES)},
                  "additionalProperties": COUNT},
    }),
    "ResourceReceipt": _obj({
        "hospital_id": ID, "at": DATE_TIME,
        "updated": _obj({k: COUNT for k in ("beds", "ventilators", "medicines", "staff")},
                        ["beds", "ventilators", "medicines", "staff"]),
    }, ["hospital_id", "at", "updated"]),
}
SCHEMAS["ResourceReport"]["minProperties"] = 1
SCHEMAS.update(CARD_SCHEMAS)
