"""The hospital resource feed: each hospital's system reports its own beds,
ventilators, medicine stock and staff on duty with its own token."""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify

from booking_core.base import utcnow
from booking_core.feed_tokens import authorise_feed
from booking_core.resources import update_resources
from helpline.app import current_helpline, get_session
from portal_api import serialise
from portal_api.auth import bearer_token
from portal_api.blueprint import api
from portal_api.parsing import json_body

log = logging.getLogger(__name__)


@api.post("/hospitals/<int:hospital_id>/resources")
def report_resources(hospital_id: int) -> Any:
    """Checked before the body is read: no token 401, another hospital's token 403."""
    session = get_session()
    token = authorise_feed(session, bearer_token(), hospital_id)
    source = token.source
    body = json_body("ResourceReport")
    now = utcnow()
    counts = update_resources(session, hospital_id, body, source=source, now=now)
    log.info("resource report for hospital %s from %s: %s", hospital_id, source, counts)
    return jsonify(hospital_id=hospital_id,
                   at=serialise.when(now, current_helpline().settings.helpline_timezone),
                   updated=counts)
