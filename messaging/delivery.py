"""Delivering outbox rows exactly once: claim, send, record.

1. **Claim** (one transaction): due PENDING rows become SENDING with a conditional
   ``UPDATE ... WHERE status = 'pending'`` over a ``SELECT ... FOR UPDATE SKIP LOCKED``
   (PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises claimers). ``updated_at`` is the
   claim time: the lease. The rules of ``messaging.rules`` run in the same transaction,
   so a held, suppressed or cancelled row is never sent.
2. **Send** outside any transaction, several requests in parallel (Twilio's latency,
   not our CPU, bounds one worker). A worker does not start a send once half its lease
   has passed: it gives the row back instead.
3. **Record** each answer at once in its own small transaction: the SID, or a retry
   time (429/5xx, exponential backoff), or FAILED (permanent Twilio error).

A worker killed between 2 and 3 leaves a SENDING row with no SID. Only
``messaging.reconcile`` touches such a row, and only after its lease has expired.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from sqlalchemy import String, cast, literal, select, update
from sqlalchemy.orm import Session

from booking_core.appointments import Appointment, AppointmentStatus
from booking_core.base import unit_of_work, utcnow
from booking_core.citizens import Citizen, set_sms_opt_out
from booking_core.outbox import (
    SCRUBBED_BODY,
    SECRET_TEMPLATES,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
)
from booking_core.phones import mask_phone, try_normalise_mobile
from booking_core.slots import Slot
from contact_centre.outbound_calls import callback_call_failed
from contact_centre.routing import ROUTE_PURPOSE, release_failed_route
from helpline import jobs
from helpline import models as _all_models  # noqa: F401 - every table, for foreign keys
from messaging import rules
from messaging.gateway import (
    UNSUBSCRIBED_CODE,
    Accepted,
    PermanentSendError,
    SendError,
    ThrottledSendError,
    TransientSendError,
    TwilioGateway,
    UncertainSendError,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
# A 429 (too many requests in flight for the account) is retried by the same thread
# after a short, growing, jittered pause: 0.1 s, 0.2 s, ... 1.6 s; then the row waits
# for a later job like any transient error.
THROTTLE_RETRIES = 5
THROTTLE_PAUSE_SECONDS = 0.1
DEMO_SID_PREFIX = "DEMO"
# Answers stored per commit. A crash loses at most this many SIDs, which
# reconciliation then finds at Twilio: a little more reconciling for far fewer commits.
RECORD_GROUP = 20


def status_callback_url(settings: Any, row: OutboxMessage) -> str:
    """Twilio posts delivery news here; the row id in it also tells reconciliation
    which row a SID belongs to if the worker died before storing it."""
    base = settings.public_base_url.rstrip("/")
    if row.kind == OutboxKind.CALL:
        return f"{base}/calls/status?row={row.id}"
    return f"{base}/sms/status?row={row.id}"


def answer_url(settings: Any, row: OutboxMessage) -> str:
    """The TwiML a placed call runs when answered, or a redirected call runs next."""
    return f"{settings.public_base_url.rstrip('/')}/calls/{row.id}/answer"


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 60 s, 2 min, ... capped at an hour, with jitter so a Twilio outage does
    not end in a thundering herd."""
    seconds = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def claim(
    session: Session,
    settings: Any,
    *,
    now: dt.datetime,
    limit: int,
    ids: list[int] | None = None,
) -> list[OutboxMessage]:
    """Take up to ``limit`` due rows (of ``ids`` if given) for this worker; returns the
    rows to send now. Held, opted-out and stale rows are settled in the same
    transaction."""
    with unit_of_work(session):
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING,
                   OutboxMessage.not_before <= now)
            .order_by(OutboxMessage.not_before, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if ids is not None:
            due = due.where(OutboxMessage.id.in_(ids))
        claimed = session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()),
                   OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING, updated_at=now)
            .returning(OutboxMessage.id),
            execution_options={"synchronize_session": False},
        ).all()
        if not claimed:
            return []
        rows = list(session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        ))
        return _apply_rules(session, settings, rows, now)


def _apply_rules(
    session: Session, settings: Any, rows: list[OutboxMessage], now: dt.datetime
) -> list[OutboxMessage]:
    sms_phones = {r.to_phone for r in rows if r.kind == OutboxKind.SMS}
    opted_out = set(session.scalars(
        select(Citizen.phone).where(Citizen.phone.in_(sms_phones), Citizen.sms_opted_out)
    )) if sms_phones else set()
    reminder_appointments = {r.appointment_id for r in rows if rules.is_reminder(r)}
    visits: dict[int, tuple[AppointmentStatus, dt.datetime]] = {}
    if reminder_appointments:
        for app_id, status, starts in session.execute(
            select(Appointment.id, Appointment.status, Slot.starts_at)
            .join(Slot, Slot.id == Appointment.slot_id)
            .where(Appointment.id.in_(reminder_appointments))
        ):
            visits[app_id] = (status, starts)
    to_send: list[OutboxMessage] = []
    for row in rows:
        visit = visits.get(row.appointment_id) if rules.is_reminder(row) else None  # type: ignore[arg-type]
        verdict, until = rules.decide(
            row, now=now, opted_out=row.to_phone in opted_out,
            quiet_hours=settings.sms_quiet_hours, tz=settings.helpline_timezone,
            visit_starts_at=visit[1] if visit else None,
            appointment_active=visit is None or visit[0] == AppointmentStatus.BOOKED,
        )
        if verdict is rules.Verdict.SEND:
            row.attempts += 1
            to_send.append(row)
        elif verdict is rules.Verdict.HOLD:
            row.status, row.not_before = OutboxStatus.PENDING, until  # type: ignore[assignment]
        elif verdict is rules.Verdict.SUPPRESS:
            row.status = OutboxStatus.SUPPRESSED
        else:
            row.status = OutboxStatus.CANCELLED
    return to_send


Outcome = Accepted | SendError | None  # None: lease too old, not attempted


class _Sender:
    """Sends rows through one Twilio client per thread."""

    def __init__(self, settings: Any, started: float) -> None:
        self.settings = settings
        self.started = started
        self._local = threading.local()

    def _gateway(self) -> TwilioGateway:
        gateway = getattr(self._local, "gateway", None)
        if gateway is None:
            gateway = self._local.gateway = TwilioGateway(self.settings)
        return gateway

    def __call__(self, row: OutboxMessage) -> Outcome:
        for retry in range(THROTTLE_RETRIES + 1):
            if time.monotonic() - self.started > self.settings.outbox_lease_seconds / 2:
                return None
            outcome = self._send(row)
            if not isinstance(outcome, ThrottledSendError) or retry == THROTTLE_RETRIES:
                return outcome
            time.sleep(THROTTLE_PAUSE_SECONDS * 2 ** retry * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    def _send(self, row: OutboxMessage) -> Outcome:
        try:
            if row.kind == OutboxKind.REDIRECT:
                return self._gateway().redirect_call(str(row.params.get("call_sid", "")),
                                                     answer_url(self.settings, row))
            if row.kind == OutboxKind.CALL:
                return self._gateway().place_call(
                    row.to_phone, answer_url(self.settings, row),
                    status_callback_url(self.settings, row))
            return self._gateway().send_sms(row.to_phone, row.body,
                                            status_callback_url(self.settings, row))
        except SendError as exc:
            return exc


def record(session: Session, results: list[tuple[OutboxMessage, Outcome]],
           now: dt.datetime) -> None:
    """Store what Twilio said about some rows, in one transaction (one commit per
    group rather than per message: the commit, not the UPDATE, is what costs)."""
    with unit_of_work(session):
        for row, outcome in results:
            _store(session, row, outcome, now)
    for row, outcome in results:
        if isinstance(outcome, SendError):
            log.warning("outbox %s to %s: %s", row.id, mask_phone(row.to_phone),
                        outcome.describe())


def _store(session: Session, row: OutboxMessage, outcome: Outcome, now: dt.datetime) -> None:
    still_ours = (OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.SENDING)
    if isinstance(outcome, Accepted) and row.kind == OutboxKind.REDIRECT:
        # Done once Twilio took it; the SID is the caller's call, which other rows
        # (a later redirect of the same call) may name too, so it is not stored.
        session.execute(update(OutboxMessage).where(*still_ours).values(
            status=OutboxStatus.DELIVERED, sent_at=now, last_error=None, updated_at=now))
    elif isinstance(outcome, Accepted):
        # A status callback may have arrived first and stored the SID already.
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.twilio_sid.is_(None))
            .values(status=OutboxStatus.SENT, twilio_sid=outcome.sid, sent_at=now,
                    last_error=None, updated_at=now)
        )
        if row.template in SECRET_TEMPLATES:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                            .values(body=SCRUBBED_BODY, params={}))
    elif outcome is None:
        session.execute(update(OutboxMessage).where(*still_ours)
                        .values(status=OutboxStatus.PENDING, attempts=row.attempts - 1))
    elif isinstance(outcome, TransientSendError) and row.attempts < MAX_ATTEMPTS:
        session.execute(update(OutboxMessage).where(*still_ours).values(
            status=OutboxStatus.PENDING, not_before=now + backoff(row.attempts),
            last_error=outcome.describe(), updated_at=now))
    elif isinstance(outcome, UncertainSendError):
        # Leave it SENDING: reconciliation asks Twilio once the lease is over.
        session.execute(update(OutboxMessage).where(*still_ours)
                        .values(last_error=outcome.describe()))
    else:
        session.execute(update(OutboxMessage).where(*still_ours).values(
            status=OutboxStatus.FAILED, last_error=outcome.describe(), updated_at=now))
        if isinstance(outcome, PermanentSendError) and outcome.code == UNSUBSCRIBED_CODE:
            _opt_out_unsubscribed(session, row)
        if row.kind == OutboxKind.REDIRECT and row.template == ROUTE_PURPOSE:
            release_failed_route(session, int(row.params.get("call_id", 0)),
                                 int(row.params.get("agent_id", 0)))
        elif row.kind == OutboxKind.CALL and row.template == "agent_callback":
            agent_id = row.params.get("agent_id")
            callback_call_failed(session, int(row.params.get("callback_id", 0)),
                                 agent_id if isinstance(agent_id, int) else None)


def _opt_out_unsubscribed(session: Session, row: OutboxMessage) -> None:
    """Twilio's 21610: the number told the carrier to stop. Opt it out here too, even
    if no citizen row exists yet (a code sent to a new number), so later reminders are
    suppressed instead of failing one by one. Citizens are Indian mobiles only: a row to
    any other number has no citizen to mark."""
    phone = try_normalise_mobile(row.to_phone)
    if row.kind == OutboxKind.SMS and phone is not None:
        set_sms_opt_out(session, phone, True)


def deliver_to_demo_inbox(session: Session, rows: list[OutboxMessage], now: dt.datetime) -> None:
    """Without Twilio credentials nothing leaves the machine: rows are marked delivered
    with a ``DEMO<id>`` SID, and the console shows them as a phone's inbox."""
    with unit_of_work(session):
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in rows]),
                   OutboxMessage.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.DELIVERED,
                    twilio_sid=literal(DEMO_SID_PREFIX) + cast(OutboxMessage.id, String),
                    sent_at=now, updated_at=now),
            execution_options={"synchronize_session": False},
        )


def deliver(helpline: Any, *, ids: list[int] | None, limit: int,
            clock: Callable[[], dt.datetime] = utcnow) -> int:
    """Claim, send and record one batch; returns how many rows were claimed to send."""
    settings = helpline.settings
    started = time.monotonic()
    with helpline.session() as session:
        rows = claim(session, settings, now=clock(), limit=limit, ids=ids)
        if not rows:
            return 0
        if not settings.twilio_configured:
            deliver_to_demo_inbox(session, rows, clock())
            return len(rows)
        sender = _Sender(settings, started)
        workers = max(1, min(settings.outbox_send_concurrency, len(rows)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="twilio") as pool:
            # Record each answer as soon as it comes: the shorter the gap between
            # Twilio's acceptance and the stored SID, the less reconciliation has to do.
            futures = {pool.submit(sender, row): row for row in rows}
            done: list[tuple[OutboxMessage, Outcome]] = []
            for future in as_completed(futures):
                done.append((futures[future], future.result()))
                if len(done) >= RECORD_GROUP:
                    record(session, done, clock())
                    done = []
            if done:
                record(session, done, clock())
    return len(rows)


def deliver_rows(ids: list[int]) -> int:
    """Job: deliver those of ``ids`` that are due (queued right after their commit).
    Safe to run twice: a row already claimed is skipped."""
    helpline = jobs.current()
    return deliver(helpline, ids=list(ids), limit=len(ids))


def deliver_due(limit: int | None = None) -> int:
    """Job: deliver up to one batch of due rows, whichever they are."""
    helpline = jobs.current()
    return deliver(helpline, ids=None, limit=limit or helpline.settings.outbox_batch_size)


def due_count(session: Session, now: dt.datetime) -> int:
    from sqlalchemy import func

    return int(session.scalar(
        select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING,
                                   OutboxMessage.not_before <= now)
    ) or 0)
