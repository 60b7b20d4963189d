"""JSON Schemas of the eHealth card endpoints (merged into ``portal_api.schemas``)."""

from __future__ import annotations

from typing import Any

from booking_core.ehealth import Sex
from booking_core.person_names import NAME_MAX
from locales import DEFAULT_LANGUAGE, LANGUAGES

# A language a body names: the helpline's own list (every body's, ``schemas`` too), the
# same one the domain holds every service to (``booking_core.base.chosen_language``).
LANGUAGE = {"type": "string", "enum": list(LANGUAGES), "default": DEFAULT_LANGUAGE}

CARD_NUMBER = {"type": "string", "minLength": 1, "maxLength": 20,
               "description": "11 digits, spaces allowed", "examples": ["5123 4567 890"]}
ABHA = {"type": "string", "minLength": 1, "maxLength": 20,
        "description": "14 digits, dashes allowed (XX-XXXX-XXXX-XXXX)"}
_PERSON = {
    # The length is the domain's rule, counted once spaces are tidied: a longer name is
    # a 422 ``name_too_long``; the bound here only keeps a body's text small.
    "name": {"type": "string", "minLength": 1, "maxLength": 1000,
             "description": f"as it should be printed, in either script: letters, spaces, "
                            f"dots, apostrophes and hyphens, at most {NAME_MAX} characters "
                            f"once runs of spaces are made one (422 ``invalid_name`` with "
                            f"``reason`` ``characters`` or ``missing``, 422 "
                            f"``name_too_long``); kept in Unicode NFC, never cut short"},
    "year_of_birth": {"type": "integer", "minimum": 1800, "maximum": 9999},
    "sex": {"type": "string", "enum": [s.value for s in Sex]},
    "abha_number": ABHA,
}


def _obj(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "required": required}


CARD_SCHEMAS: dict[str, dict[str, Any]] = {
    "EHealthCardRequest": _obj(_PERSON, ["name", "year_of_birth"]),
    "CounterCardRequest": _obj({**_PERSON, "phone": {"type": "string", "minLength": 1,
                                                      "maxLength": 32}},
                               ["phone", "name", "year_of_birth"]),
    "EHealthCard": _obj({
        "number": {"type": "string", "pattern": "^5[0-9]{10}$"},
        "number_spaced": {"type": "string"},
        "name": {"type": "string"}, "year_of_birth": {"type": "integer"},
        "sex": {"anyOf": [{"type": "string", "enum": [s.value for s in Sex]},
                          {"type": "null"}]},
        "abha_number": {"anyOf": [{"type": "string"}, {"type": "null"}],
                        "description": "masked: only the last 4 digits"},
        "phone": {"type": "string", "description": "masked"},
        "issued_at": {"type": "string", "format": "date-time"},
        "qr_payload": {"type": "string", "description": "what the card's QR code holds"},
    }, ["number", "number_spaced", "name", "year_of_birth", "phone", "issued_at",
        "qr_payload"]),
    "EHealthCardList": _obj({"cards": {"type": "array", "items": {
        "$ref": "#/components/schemas/EHealthCard"}}}, ["cards"]),
    "CardDocumentRequest": _obj({
        "card_number": CARD_NUMBER,
        "format": {"type": "string", "enum": ["pdf", "png"], "default": "pdf"},
        "language": LANGUAGE,
    }, ["card_number"]),
    "AbhaLinkRequest": _obj({"card_number": CARD_NUMBER, "abha_number": ABHA},
                            ["card_number", "abha_number"]),
    "CardCheckRequest": _obj({"payload": {"type": "string", "minLength": 1,
                                          "maxLength": 400}}, ["payload"]),
    "CardCheck": _obj({"genuine": {"type": "boolean"},
                       "card_number": {"type": "string"},
                       "year_of_birth": {"type": "integer"}},
                      ["genuine", "card_number", "year_of_birth"]),
    "CardPublicKey": _obj({"algorithm": {"type": "string", "const": "Ed25519"},
                           "public_key": {"type": "string"},
                           "encoding": {"type": "string", "enum": ["raw", "pem"]},
                           "payload_format": {"type": "string"}},
                          ["algorithm", "public_key", "encoding", "payload_format"]),
}
