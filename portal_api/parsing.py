"""Turning a request into checked Python values, or a 4xx that says what is wrong.

400 means the request does not have the shape the OpenAPI document describes (bad JSON,
missing fields, wrong types); 422 means it has the shape but breaks a rule (a past
date, a landline number, a wrong check digit).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from typing import Any

from flask import request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from booking_core.base import whole_number
from portal_api.errors import ApiError
from portal_api.schemas import SCHEMAS

ERROR_CODES = {"required": "missing_field", "type": "invalid_type",
               "additionalProperties": "unknown_field"}


@cache
def validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema_name}", "components": {"schemas": SCHEMAS}}
    )


def json_body(schema_name: str) -> dict[str, Any]:
    """The request's JSON object, valid against ``SCHEMAS[schema_name]``."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       "send a JSON body with Content-Type: application/json")
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413 from werkzeug
    try:
        body = json.loads(raw)
        # A lone surrogate ("\ud800") is valid JSON but not text: it could be neither
        # stored nor sent back.
        json.dumps(body, ensure_ascii=False).encode()
    except (ValueError, UnicodeError) as exc:
        raise ApiError(400, "malformed_json", "the body is not valid JSON") from exc
    except RecursionError as exc:
        raise ApiError(400, "malformed_json", "the body is nested too deeply") from exc
    error = best_match(validator(schema_name).iter_errors(body))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path)
        field = where or None
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [name for name in error.validator_value if name not in error.instance]
            field = ".".join(filter(None, [where, missing[0] if missing else ""]))
        raise ApiError(
            400, ERROR_CODES.get(str(error.validator), "invalid_field"),
            f"{where}: {error.message}" if where else error.message, field=field,
        )
    if not isinstance(body, dict):  # the schemas only describe objects
        raise ApiError(400, "invalid_type", "the body must be a JSON object")
    return body


def query_int(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    value = whole_number(raw)
    if value is None:
        raise ApiError(400, "invalid_parameter", f"{name} must be a positive whole number",
                       field=name)
    return value


def query_choice(name: str, choices: list[str]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise ApiError(400, "invalid_parameter", f"{name} must be one of {', '.join(choices)}",
                       field=name)
    return raw


# The longest free-text query parameter (a district's name); the OpenAPI document says so.
QUERY_TEXT_MAX = 60


def query_text(name: str, max_len: int = QUERY_TEXT_MAX) -> str | None:
    raw = request.args.get(name, "").strip()
    if len(raw) > max_len:
        raise ApiError(400, "invalid_parameter", f"{name} is too long", field=name)
    return raw or None


def query_date(name: str) -> dt.date | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return dt.date.fromisoformat(raw) if len(raw) == 10 else _bad_date(name)
    except ValueError:
        return _bad_date(name)


def _bad_date(name: str) -> dt.date:
    raise ApiError(400, "invalid_parameter", f"{name} must be a date, YYYY-MM-DD", field=name)
