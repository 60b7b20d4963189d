"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

Bodies reference ``portal_api.schemas``, the same schemas requests are validated
against; a test checks that the paths here are exactly the routes the app serves.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from booking_core.base import MAX_INTEGER
from booking_core.refs import CardNumberProblem
from booking_core.resources import BedType
from portal_api.auth import VERIFICATION_HEADER
from portal_api.blueprint import api
from portal_api.parsing import QUERY_TEXT_MAX
from portal_api.schemas import SCHEMAS

_ERRORS = {
    "400": "malformed JSON, a missing field or a wrong type",
    "404": "no such hospital, department, slot, appointment or grievance",
    "413": "the body is too large",
    "415": "the body is not JSON",
    "422": "well-formed but against a rule (past date, invalid mobile or ABHA, "
           "bad reference)",
    "429": "too many requests (see Retry-After)",
    "503": "the database is briefly unavailable: try again after Retry-After seconds",
}


# A card number refused says which slip it is, so a client can say so in its own words.
CARD_NUMBER_REFUSED = (
    "well-formed but against a rule; a card number that is not one is `invalid_card_number` "
    "with `details.field` (the body's field), `details.reason` (one of "
    + ", ".join(f"`{problem.value}`" for problem in CardNumberProblem)
    + ": letters or signs other than spaces and hyphens, fewer or more than 11 digits, "
    "not starting with 5, a digit mistyped) and `details.digits` (how many digits were typed)"
)


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


# Ids are INTEGER columns: a larger number is no id (``booking_core.base.whole_number``).
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


REFERENCE_PARAM = {"name": "reference", "in": "path", "required": True,
                   "schema": {"type": "string"}, "description": "8-digit reference"}


def _op(summary: str, ok: tuple[str, str, str], *, body: str | None = None,
        params: list[dict[str, Any]] | None = None, errors: tuple[str, ...] = ("404", "429"),
        security: list[dict[str, list[str]]] | None = None) -> dict[str, Any]:
    status, schema, description = ok
    op: dict[str, Any] = {"summary": summary, "responses": {status: _ok(schema, description)}}
    if params:
        op["parameters"] = params
        if any(param["in"] == "path" for param in params):
            errors = tuple(sorted(set(errors) | {"404"}))  # no such id, or not an id at all
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{body}"}}}}
        errors = tuple(sorted(set(errors) | {"400", "413", "415", "422"}))
    if security is not None:
        op["security"] = security
        op["responses"]["401"] = _error("missing, invalid or expired credentials")
    for code in (*errors, "503"):  # every operation may meet a database outage
        op["responses"][code] = _error(_ERRORS.get(code, "refused"))
    return op


VERIFIED = [{"verifiedMobile": []}]
H, D = _path_id("hospital_id"), _path_id("department_id")
DISTRICT = _query("district", {"type": "string", "maxLength": QUERY_TEXT_MAX},
                  "English district name")

PATHS: dict[str, dict[str, Any]] = {
    "/hospitals": {"get": _op(
        "Delhi government hospitals, with Hindi names and districts",
        ("200", "HospitalList", "hospitals by English name"),
        params=[DISTRICT],
        errors=("400", "429"))},
    "/hospitals/{hospital_id}": {"get": _op("One hospital", ("200", "Hospital", "the hospital"),
                                            params=[H])},
    "/hospitals/{hospital_id}/departments": {"get": _op(
        "A hospital's departments that sit an OPD (a weekly schedule or an open day from "
        "today on); one with nothing to book is left out",
        ("200", "DepartmentList", "departments"), params=[H])},
    "/hospitals/{hospital_id}/departments/{department_id}/availability": {"get": _op(
        "Days with free seats, and the free slots of one day",
        ("200", "Availability", "availability"),
        params=[H, D, _query("date", {"type": "string", "format": "date"},
                             "the day whose slots to list; default: the first free day")],
        errors=("400", "404", "422", "429"))},
    "/beds": {"get": _op(
        "Beds by hospital and type with their update time and stale flag",
        ("200", "BedList", "current bed figures"),
        params=[_query("hospital_id", ID_SCHEMA, "one hospital"),
                _query("bed_type", {"type": "string", "enum": [t.value for t in BedType]},
                       "one bed type"),
                DISTRICT],
        errors=("400", "404", "429"))},
    "/verifications": {"post": _op(
        "Send a 6-digit code by SMS to verify a mobile (valid 10 minutes)",
        ("202", "VerificationSent", "code queued"), body="VerificationRequest",
        errors=("429",))},
    "/verifications/confirm": {"post": _op(
        "Check the code; returns a verification token for booking and cancelling",
        ("200", "VerificationToken", "verified"), body="VerificationConfirm",
        errors=("429",))},
    "/appointments": {
        "get": _op("The verified mobile's coming appointments (as patient or booker), "
                   "soonest first", ("200", "AppointmentList", "appointments"),
                   errors=("429",), security=VERIFIED),
        "post": _op("Book an OPD appointment for the verified mobile",
                    ("201", "Appointment", "booked"), body="BookingRequest",
                    errors=("404", "409", "429"), security=VERIFIED)},
    "/appointments/lookup": {"post": _op(
        "An appointment by reference and mobile", ("200", "Appointment", "the appointment"),
        body="AppointmentLookup")},
    "/waiting-list": {"post": _op(
        "Join a full day's waiting list for the verified mobile; a freed seat is offered "
        "by SMS and a call (press 1 to take it)", ("201", "WaitingListEntry", "on the list"),
        body="WaitingListRequest", errors=("404", "409", "422", "429"), security=VERIFIED)},
    "/appointments/progress": {"post": _op(
        "On the visit's day: the now-serving token, the patient's token and the expected wait",
        ("200", "OpdProgress", "where the queue stands"), body="AppointmentLookup")},
    "/appointments/{reference}/cancel": {"post": _op(
        "Cancel an appointment of the verified mobile", ("200", "Appointment", "cancelled"),
        params=[REFERENCE_PARAM], errors=("404", "409", "422", "429"), security=VERIFIED)},
    "/appointments/{reference}/reschedule": {"post": _op(
        "Move an appointment to another slot of the same department",
        ("200", "Appointment", "moved"), params=[REFERENCE_PARAM], body="RescheduleRequest",
        errors=("404", "409", "429"), security=VERIFIED)},
    "/grievances": {"post": _op(
        "Register a grievance for the verified mobile; its reference is also sent by SMS",
        ("201", "Grievance", "registered"), body="GrievanceRequest",
        errors=("403", "422", "429"), security=VERIFIED)},
    "/grievances/lookup": {"post": _op(
        "A grievance's status by reference and mobile", ("200", "Grievance", "the grievance"),
        body="GrievanceLookup")},
    "/hospitals/{hospital_id}/resources": {
        "get": _op("Public figures of one hospital: vacant beds by type, ventilators, staff "
                   "on duty by role, medicine availability; each with its update time and "
                   "stale flag", ("200", "HospitalResources", "current figures"), params=[H]),
        "post": _op("A hospital reports its beds, ventilators, medicine stock and staff on duty",
                    ("200", "ResourceReceipt", "applied"), params=[H], body="ResourceReport",
                    errors=("403", "429"), security=[{"hospitalToken": []}])},
    "/openapi.json": {"get": {"summary": "This document", "responses": {
        "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}}}},
}

# eHealth cards ------------------------------------------------------------------------
_CARD_FILE = {"description": "the printable card (ID-1 size; PNG at 300 dpi)", "content": {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "image/png": {"schema": {"type": "string", "format": "binary"}}}}
PATHS.update({
    "/ehealth-cards": {
        "post": _op("Issue the eHealth card of a person using the verified mobile (once per "
                    "person: 200 with the same card when already issued)",
                    ("201", "EHealthCard", "issued now"), body="EHealthCardRequest",
                    errors=("409", "429"), security=VERIFIED),
        "get": _op("The eHealth cards issued to the verified mobile (a family's)",
                   ("200", "EHealthCardList", "the cards"), errors=("429",),
                   security=VERIFIED)},
    "/ehealth-cards/document": {"post": _op(
        "A card of the verified mobile as PDF or PNG, in Hindi or English",
        ("200", "EHealthCard", "the card"), body="CardDocumentRequest",
        errors=("404", "429"), security=VERIFIED)},
    "/ehealth-cards/abha": {"post": _op(
        "Link an ABHA number to a card of the verified mobile",
        ("200", "EHealthCard", "linked"), body="AbhaLinkRequest",
        errors=("404", "409", "429"), security=VERIFIED)},
    "/ehealth-cards/verify": {"post": _op(
        "Check a scanned card QR payload (422 card_not_genuine when forged or altered)",
        ("200", "CardCheck", "genuine"), body="CardCheckRequest", errors=("429",))},
    "/ehealth-cards/public-key": {"get": _op(
        "The Ed25519 public key that checks cards' QR codes offline",
        ("200", "CardPublicKey", "the key"),
        params=[_query("encoding", {"type": "string", "enum": ["raw", "pem"]},
                       "raw: base64 of the 32 key bytes (default); pem: SubjectPublicKeyInfo")],
        errors=("400", "429"))},
    "/hospitals/{hospital_id}/ehealth-cards": {"post": _op(
        "A hospital counter issues a card for the person in front of it",
        ("201", "EHealthCard", "issued now"), params=[H], body="CounterCardRequest",
        errors=("403", "409", "429"), security=[{"hospitalToken": []}])},
})
PATHS["/ehealth-cards/document"]["post"]["responses"]["200"] = _CARD_FILE
for _path in ("/ehealth-cards/document", "/ehealth-cards/abha", "/appointments"):
    PATHS[_path]["post"]["responses"]["422"] = _error(CARD_NUMBER_REFUSED)


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Delhi Health Helpline portal API",
            "version": "1.0.0",
            "description": "OPD appointments, availability, beds, hospital resources and "
                           "grievances for the citizens' portal; resource feeds for "
                           'hospitals. Errors are `{"error": {"code", "message"}}`. '
                           "Browsers may call it from the origins in CORS_ALLOWED_ORIGINS.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "verifiedMobile": {"type": "apiKey", "in": "header", "name": VERIFICATION_HEADER,
                                   "description": "the opaque sealed token from POST "
                                                  "/verifications/confirm, valid 30 minutes"},
                "hospitalToken": {"type": "http", "scheme": "bearer",
                                  "description": "issued with `flask issue-feed-token`"},
            },
        },
    }


@api.get("/openapi.json")
def openapi() -> Any:
    return jsonify(document())
