"""Settling rows left in SENDING by a worker that died mid-send.

A SENDING row without a SID whose lease (``OUTBOX_LEASE_SECONDS``, from ``updated_at``)
has expired belongs to no live worker: workers stop starting sends at half the lease and
every send has a 10 s timeout. Two markers tell whether Twilio took it:

- its status callback URL carries the row id, so Twilio's first callback attaches the
  SID to the row (``messaging.status``) with no help from here;
- otherwise we ask Twilio: an SMS is found by listing messages to that number from our
  sender and comparing the exact body created since the claim; a call by the first
  call to that number since the claim that no other row holds.

Found: the row becomes SENT with that SID. Not found: it goes back to PENDING and is
sent again. The trade-off: Twilio's list may lag a just-accepted message by a moment;
the lease (2 min by default) is far longer than that lag, and a message Twilio did not
list after it is taken as never sent. For calls the time window is the only marker, so
two calls to one number claimed within one lease could be confused; calls are rare and
a wrongly attached SID only mislabels an attempt, it never places a second call.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select, update

from booking_core.base import unit_of_work, utcnow
from booking_core.outbox import OutboxKind, OutboxMessage, OutboxStatus
from booking_core.phones import mask_phone
from contact_centre.models import Call
from helpline import jobs
from messaging.delivery import DEMO_SID_PREFIX
from messaging.gateway import TwilioGateway

log = logging.getLogger(__name__)

# Twilio stamps creation with its own clock; allow for drift between it and ours.
CLOCK_SKEW = dt.timedelta(minutes=2)


def stuck_rows(session: Any, now: dt.datetime, lease_seconds: int, limit: int = 200) -> list[Any]:
    cutoff = now - dt.timedelta(seconds=lease_seconds)
    return list(session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING,
               OutboxMessage.twilio_sid.is_(None),
               OutboxMessage.updated_at < cutoff)
        .order_by(OutboxMessage.id).limit(limit)
    ))


def reconcile_stuck(now: dt.datetime | None = None) -> dict[str, int]:
    """Periodic task: settle expired SENDING rows. Safe in two schedulers at once:
    every write is conditional on the row still being SENDING with no SID."""
    helpline = jobs.current()
    settings = helpline.settings
    now = now or utcnow()
    counts = {"found": 0, "resend": 0, "error": 0}
    with helpline.session() as session:
        rows = stuck_rows(session, now, settings.outbox_lease_seconds)
        session.rollback()
        if not rows:
            return counts
        gateway = TwilioGateway(settings) if settings.twilio_configured else None
        for row in rows:
            sid: str | None = None
            if row.kind == OutboxKind.REDIRECT:
                counts["resend" if _settle_redirect(session, row, now) else "found"] += 1
                continue
            if gateway is None:
                sid = f"{DEMO_SID_PREFIX}{row.id}"
            else:
                try:
                    sid = _find_at_twilio(session, gateway, row)
                except Exception as exc:  # Twilio unreachable: try again next round
                    counts["error"] += 1
                    log.warning("reconcile outbox %s: %s", row.id, type(exc).__name__)
                    continue
            _settle(session, row, sid, now)
            counts["found" if sid else "resend"] += 1
    if any(counts.values()):
        log.info("reconciled stuck outbox rows: %s", counts)
    return counts


def _find_at_twilio(session: Any, gateway: TwilioGateway, row: OutboxMessage) -> str | None:
    since = row.updated_at - CLOCK_SKEW
    if row.kind == OutboxKind.SMS:
        return gateway.find_sms(row.to_phone, row.body, since)
    held = set(session.scalars(
        select(OutboxMessage.twilio_sid).where(OutboxMessage.to_phone == row.to_phone,
                                               OutboxMessage.twilio_sid.is_not(None))
    ))
    session.rollback()
    return gateway.find_call(row.to_phone, since, exclude=held)


def _settle_redirect(session: Any, row: OutboxMessage, now: dt.datetime) -> bool:
    """A redirect has no SID of its own to look for. Sent again only while the caller
    still waits for this very agent; if the agent answered (the redirect went through),
    the call ended or it was routed elsewhere, sending it again would cut a live call,
    so the row counts as done. True when it goes back to be sent."""
    call = session.get(Call, int(row.params.get("call_id", 0)))
    pending = (call is not None and call.ended_at is None and call.answered_at is None
               and call.agent_id == row.params.get("agent_id"))
    session.rollback()
    ours = (OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.SENDING)
    with unit_of_work(session):
        session.execute(update(OutboxMessage).where(*ours).values(
            status=OutboxStatus.PENDING if pending else OutboxStatus.DELIVERED,
            not_before=now, updated_at=now))
    return pending


def _settle(session: Any, row: OutboxMessage, sid: str | None, now: dt.datetime) -> None:
    ours = (OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.twilio_sid.is_(None))
    with unit_of_work(session):
        if sid is not None:
            demo = sid.startswith(DEMO_SID_PREFIX)
            session.execute(update(OutboxMessage).where(*ours).values(
                status=OutboxStatus.DELIVERED if demo else OutboxStatus.SENT,
                twilio_sid=sid, sent_at=now, updated_at=now))
        else:
            session.execute(update(OutboxMessage).where(*ours).values(
                status=OutboxStatus.PENDING, not_before=now, updated_at=now))
    log.info("outbox %s to %s: %s", row.id, mask_phone(row.to_phone),
             "found at Twilio" if sid else "not at Twilio, will resend")
