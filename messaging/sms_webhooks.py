"""``/sms/status`` and ``/sms/inbound``: Twilio's signed SMS webhooks.

Both answer TwiML, even on errors (the '/sms' error renderer): an empty ``<Response/>``
because replies go out through the outbox (see ``messaging.replies``). An SMS that
arrives while the database is down is kept in the spool (``helpline.spool``) and acted
on, and answered, when it is back; if even the spool cannot take it the webhook answers
503, so Twilio reports the failure (and uses the number's fallback URL) instead of the
message vanishing.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from booking_core.base import whole_number
from booking_core.phones import mask_phone, try_normalise_mobile
from helpline.app import current_helpline, get_session
from helpline.db import DATABASE_DOWN
from helpline.spool import INBOUND_SMS
from helpline.twilio_auth import twilio_signed
from messaging.replies import handle_inbound
from messaging.status import record_sms_status

log = logging.getLogger(__name__)

bp = Blueprint("sms", __name__, url_prefix="/sms")


def twiml(response: MessagingResponse | None = None, status: int = 200) -> Response:
    return Response(str(response or MessagingResponse()), status=status, mimetype="text/xml")


def row_id_arg() -> int | None:
    """The ``row`` our status callback URL names, parsed as the API parses ids: "²" or
    a number past an INTEGER column is no row (the SID still finds it), never an error
    that drops the status."""
    return whole_number(request.args.get("row"))


# Twilio's message SIDs: two letters and 32 hex digits (SM..., MM...). Anything else is
# not a message Twilio sent us, and is never stored.
_SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


def message_sid() -> str:
    raw = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    return raw if _SID.fullmatch(raw) else ""


@bp.post("/status")
@twilio_signed
def sms_status() -> Response:
    sid = message_sid()
    status = request.form.get("MessageStatus") or request.form.get("SmsStatus") or ""
    if sid and status:
        record_sms_status(get_session(), sid=sid, status=status,
                          error_code=request.form.get("ErrorCode") or None, row_id=row_id_arg())
    return twiml()


@bp.post("/inbound")
@twilio_signed
def sms_inbound() -> Response:
    sid = message_sid()
    phone = try_normalise_mobile(request.form.get("From"))
    if not sid or phone is None:
        log.info("inbound sms %s from %s ignored: no message id or not an Indian mobile",
                 sid, mask_phone(request.form.get("From")))
        return twiml()
    helpline = current_helpline()
    settings = helpline.settings
    body = request.form.get("Body", "")[:320]
    try:
        handle_inbound(get_session(), message_sid=sid, from_phone=phone, body=body,
                       tz=settings.helpline_timezone,
                       helpline_number=settings.helpline_number_to_call,
                       quiet_hours=settings.sms_quiet_hours)
    except DATABASE_DOWN as exc:
        _rollback()
        try:
            helpline.spool.put(INBOUND_SMS, {"message_sid": sid, "from_phone": phone,
                                             "body": body})
        except OSError:
            log.exception("inbound sms %s from %s could not be kept", sid, mask_phone(phone))
            return Response("unavailable", status=503, mimetype="text/plain")
        log.warning("database unavailable (%s): sms %s from %s kept for later",
                    str(exc).splitlines()[0][:120], sid, mask_phone(phone))
    return twiml()


def _rollback() -> None:
    try:
        get_session().rollback()
    except Exception:  # the connection may be gone with the database
        log.debug("rollback after a database failure failed", exc_info=True)


def render_sms_error(status: int, code: str, message: str) -> Response:
    """Errors under /sms still answer valid TwiML; Twilio then sends nothing."""
    log.warning("sms webhook error %s %s", status, code)
    return twiml(status=200 if status >= 500 else status)
