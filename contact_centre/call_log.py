"""The call log: what each phone call did, for the console's wallboard and reports.

The IVR writes these rows as a call moves through the menus and ends (Twilio's status
callback); ``contact_centre.call_queue`` writes its time in the agent queue. Each
function owns its short transaction, and every one of them is safe to repeat: Twilio
retries webhooks, and a retried webhook must not leave a second row or a wrong figure
behind.

What the console can rely on:
- ``path``: the menus visited, in order; ``outcome``: what the call achieved.
- ``outcome == ABANDONED`` means the call ended without achieving anything (hung up in
  a menu or in the queue); ``details["ended_in"]`` names the menu, or ``queue``. It is
  not the wallboard's abandonment, which counts only callers who entered the agent
  queue (``contact_centre.models.queue_fate``).
- ``queued_at``, ``answered_at``, ``details["queue_result"]``: see ``call_queue``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable

from sqlalchemy import (
    JSON,
    Boolean,
    String,
    Update,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from booking_core.base import AUTOCOMMIT_READS, lone_statement, unit_of_work, utcnow
from booking_core.phones import try_normalise_mobile
from contact_centre.models import Call, CallOutcome, QueueFate, queue_fate

MAX_PATH = 80
# Outcomes a later, lesser event must not overwrite (hearing beds after booking).
FINAL_OUTCOMES = frozenset({CallOutcome.BOOKED, CallOutcome.CANCELLED, CallOutcome.GRIEVANCE,
                            CallOutcome.CALLBACK, CallOutcome.EMERGENCY})


def _phone_for_log(raw: str | None) -> str | None:
    if not raw:
        return None
    return try_normalise_mobile(raw) or raw.strip()[:20]


def call_row(session: Session, call_sid: str, from_phone: str | None = None,
             direction: str = "inbound") -> Call:
    """The call's row, made if it has none yet (inside the caller's transaction);
    ``direction`` "outbound" for a call the helpline placed (its ``from_phone`` is then
    the number called), which the wallboard and reports leave out."""
    call = session.scalar(select(Call).where(Call.call_sid == call_sid))
    if call is None:
        call = Call(call_sid=call_sid[:64], from_phone=_phone_for_log(from_phone), path=[],
                    details={}, direction=direction)
        session.add(call)
        session.flush()
    return call


def change_call(session: Session, call_sid: str, from_phone: str | None,
                change: Callable[[Call], None], *, direction: str = "inbound") -> Call:
    """Run ``change(call)`` in one transaction; a concurrent first webhook of the same
    call (unique ``call_sid``) costs one retry, never a duplicate row. ``from_phone``
    and ``direction`` make the row should it have none (``call_row``)."""
    for attempt in range(2):
        try:
            with unit_of_work(session):
                relaxed_commit(session)
                call = call_row(session, call_sid, from_phone, direction)
                change(call)
            return call
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def relaxed_commit(session: Session) -> None:
    """The call log is written on nearly every webhook: on PostgreSQL its commits do not
    wait for the disk flush (a crash may lose the last few log lines, never a booking,
    which commits normally)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def start_call(session: Session, call_sid: str, from_phone: str | None,
               now: dt.datetime | None = None) -> None:
    """Log an incoming call (once, however often Twilio posts its first webhook)."""
    record_webhook(session, call_sid, start=True, from_phone=from_phone, now=now)


def note_menu(session: Session, call_sid: str, menu: str, *, language: str | None = None) -> None:
    """Append ``menu`` to the call's path (a repeat of the same menu is not added)."""
    record_webhook(session, call_sid, menus=[menu], language=language)


def set_outcome(session: Session, call_sid: str, outcome: CallOutcome,
                language: str | None = None) -> None:
    """Record what the call achieved. A booking, cancellation, grievance, callback or
    emergency stays the outcome even if the caller then only listens to something."""
    record_webhook(session, call_sid, outcome=outcome, language=language)


def whole_path(menus: list[str] | tuple[str, ...]) -> list[str]:
    """A call's path from the menus its webhooks noted in order: a menu repeated right
    after itself (a retry, ``*``) is one visit; at most ``MAX_PATH`` menus."""
    return [m for i, m in enumerate(menus) if i == 0 or menus[i - 1] != m][:MAX_PATH]


def record_webhook(session: Session, call_sid: str, *, menus: list[str] | tuple[str, ...] = (),
                   language: str | None = None, outcome: CallOutcome | None = None,
                   start: bool = False, from_phone: str | None = None,
                   now: dt.datetime | None = None, path: list[str] | None = None,
                   direction: str = "inbound", make_row: bool = True) -> None:
    """What one webhook adds to its call's log, in one short transaction: the menus it
    visited (a repeat of the path's last menu is not added; at most ``MAX_PATH``), the
    caller's language, and an outcome (a final one is never replaced by a lesser one).

    ``direction``: "outbound" for a call the helpline placed (a follow-up, a waiting
    list's offer), should its row be made here. ``make_row=False``: add to the call's
    row only if it has one (a placed call's menus: such a call gets a row only once its
    person asks for something the log records).

    ``path``, instead of ``menus``: the call's whole path so far, kept outside the
    database while the call lasts (``ivr.call_notes``); it replaces a shorter stored
    path, never a longer one.

    The log is written on nearly every webhook, so the row is not read first: the call's
    first webhook inserts it (``INSERT ... ON CONFLICT DO NOTHING``, so a repeated first
    webhook adds nothing), later ones run one UPDATE whose SQL does the appending. A call
    with no row yet (its first webhook was lost) gets one.
    """
    whole = None if path is None else whole_path(path)
    visited = whole_path(menus) if whole is None else whole
    if not (visited or language or outcome is not None or start):
        return
    dialect = session.get_bind().dialect.name
    changes: list[dict[str, object]]
    if whole is not None:  # one UPDATE with the whole path
        changes = [{"sid": call_sid, "whole": json.dumps(whole)}]
    else:  # one UPDATE per menu (a webhook rarely visits two)
        changes = [{"sid": call_sid, "menu": menu, "language": None, "outcome": None,
                    "final": False} for menu in visited] or [{"sid": call_sid, "menu": None}]
    changes[0].update(language=language, outcome=outcome.value if outcome else None,
                      final=outcome in FINAL_OUTCOMES)
    # Each statement here stands on its own (an insert that does nothing when the row
    # is there, an UPDATE that appends), so on a session whose reads autocommit (the
    # phone line's) they run without BEGIN and COMMIT; so does a webhook that read
    # nothing (PostgreSQL runs a lone statement as its own transaction).
    autocommit = bool(session.info.get(AUTOCOMMIT_READS))
    if autocommit and not start:
        with lone_statement(session) as connection:
            if _update(connection, changes, whole is not None) or not make_row:
                return  # else the call has no row yet: made below
    alone = (dialect == "postgresql" and not autocommit and not start
             and not session.in_transaction())
    for attempt in range(2):
        try:
            if alone:
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            with unit_of_work(session, one_statement=autocommit):
                if start and not autocommit:  # later webhooks relax it inside their UPDATE
                    relaxed_commit(session)
                if start and _insert_once(session, dialect, call_sid, from_phone, now,
                                          visited[:MAX_PATH], language, outcome, direction):
                    return
                if not (visited or language or outcome is not None):
                    return  # a repeated first webhook with nothing more to say
                if not _update(session.connection(), changes, whole is not None):
                    if not make_row:
                        return
                    call_row(session, call_sid, from_phone, direction)
                    _update(session.connection(), changes, whole is not None)
            return
        except IntegrityError:
            if attempt:
                raise


def _update(connection: Connection, changes: list[dict[str, object]], whole: bool) -> bool:
    """Apply ``changes`` to the call's row (``whole``: each carries the whole path, not
    a menu); False when it has no row yet."""
    sql, constants, order = _log_update_sql(connection.dialect, whole)
    # The statement's SQL, compiled once per process, sent as it is: it touches no ORM
    # object, and skipping the ORM's execution and the statement cache's key for every
    # webhook takes a third off a log line's cost.
    for change in changes:
        values = {**constants, **change}
        params = tuple(values[name] for name in order) if order else values
        if not connection.exec_driver_sql(sql, params).rowcount:  # type: ignore[arg-type]
            return False
    return True


@functools.cache
def _log_update_sql(dialect: Dialect, whole: bool
                    ) -> tuple[str, dict[str, object], tuple[str, ...]]:
    """``_log_update`` compiled for ``dialect``: the SQL text, the values of its fixed
    parameters, and the parameters' order when the driver takes them by position
    (SQLite's ``?``; empty for PostgreSQL's named ones)."""
    compiled = _log_update(dialect.name, whole).compile(dialect=dialect)
    variable = {"sid", "menu", "whole", "language", "outcome", "final"}
    constants = {name: value for name, value in compiled.params.items() if name not in variable}
    order = tuple(compiled.positiontup or ()) if compiled.positional else ()
    return str(compiled), constants, order


def _longer_path(dialect: str) -> ColumnElement[object]:
    """The stored path replaced by the bound ``whole`` (a JSON array as text) when that
    is longer: a path read back from a store that lost it never shortens the log."""
    path = Call.__table__.c.path
    text_value = bindparam("whole", type_=String())
    given = func.json(text_value) if dialect == "sqlite" else cast(text_value, JSON)
    return case((func.json_array_length(given) > func.coalesce(func.json_array_length(path), 0),
                 given), else_=path)


def _relaxed(dialect: str) -> list[ColumnElement[bool]]:
    """relaxed_commit folded into an UPDATE itself (one round trip fewer per webhook):
    on PostgreSQL, set_config(..., true) is SET LOCAL, for the row it writes."""
    if dialect == "postgresql":
        return [func.set_config("synchronous_commit", "off", True) == "off"]
    return []


@functools.cache
def _log_update(dialect: str, whole: bool = False) -> Update:
    """The call log's one UPDATE, built once per dialect (parameters: ``sid``, ``menu``
    to append or None, or with ``whole`` the whole path as JSON text, ``language`` or
    None, ``outcome`` or None and whether it is ``final``)."""
    table = Call.__table__.c
    path = table.path
    menu = bindparam("menu", type_=String())
    last: ColumnElement[object]
    added: ColumnElement[object]
    if dialect == "postgresql":
        last = path.op("->>")(-1)
        added = cast(cast(path, postgresql.JSONB).op("||")(func.jsonb_build_array(menu)), JSON)
    elif dialect == "sqlite":
        last = func.json_extract(path, "$[#-1]")
        added = func.json_insert(path, "$[#]", menu)
    else:
        raise RuntimeError(f"the call log does not know how to append on {dialect}")
    appendable = and_(menu.is_not(None), func.json_array_length(path) < MAX_PATH,
                      last.is_distinct_from(menu))
    outcome = bindparam("outcome", type_=String())  # the enum's value, as stored
    return (
        update(Call.__table__)  # type: ignore[arg-type]
        .where(table.call_sid == bindparam("sid"), *_relaxed(dialect))
        .values(
            path=_longer_path(dialect) if whole else case((appendable, added), else_=path),
            language=func.coalesce(bindparam("language", type_=String()), table.language),
            # A lesser outcome (information, agent, abandoned) never replaces a final one.
            outcome=case((outcome.is_(None), table.outcome),
                         (bindparam("final", type_=Boolean()), outcome),
                         # The final outcomes as constants in the SQL: an IN list of
                         # bound values would be expanded again on every execution.
                         (or_(*(table.outcome == literal_column(f"'{value}'")
                                for value in sorted(o.value for o in FINAL_OUTCOMES))),
                          table.outcome),
                         else_=outcome),
        )
    )


def _insert_once(session: Session, dialect: str, call_sid: str, from_phone: str | None,
                 now: dt.datetime | None, path: list[str], language: str | None,
                 outcome: CallOutcome | None, direction: str = "inbound") -> bool:
    """Insert the call's row with what its first webhook saw; False when it was there."""
    if dialect not in ("postgresql", "sqlite"):
        call_row(session, call_sid, from_phone, direction)
        return False
    row: dict[str, object] = {
        "call_sid": call_sid[:64], "from_phone": _phone_for_log(from_phone), "path": path,
        "direction": direction,
        "language": language, "outcome": outcome, "details": {}, "started_at": now or utcnow(),
    }
    # Core on the session's connection: the row is not wanted as an ORM object.
    return bool(session.connection().execute(_log_insert(dialect), row).rowcount)


@functools.cache
def _log_insert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """The call's first row, ``INSERT ... ON CONFLICT (call_sid) DO NOTHING``, built once
    per dialect (parameters: the row's columns)."""
    table = Call.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = ("call_sid", "direction", "from_phone", "path", "language", "outcome", "details",
               "started_at")
    return insert(table).values(  # type: ignore[arg-type]
        {name: bindparam(name, type_=table.c[name].type) for name in columns}
    ).on_conflict_do_nothing(index_elements=["call_sid"])


def finish_call(session: Session, call_sid: str, *, status: str, duration_seconds: int | None,
                from_phone: str | None = None, now: dt.datetime | None = None,
                path: list[str] | None = None, language: str | None = None,
                placed: bool = False) -> bool:
    """Twilio's status callback: final status and duration. A call that ended without
    any outcome (or while still waiting for an agent) counts as abandoned. Returns
    whether agent routing has a part in the call (it waits for or reached an agent:
    ``contact_centre.routing.end_routed_call`` must hear of its end).

    ``path`` and ``language``: the call's whole path and last language when they were
    kept outside the database while it lasted (``ivr.call_notes``); the path replaces
    a shorter stored one, and its last menu is where an abandoned call ended.

    ``placed``: a call the helpline placed (an offer, a follow-up), which has a row only
    once its person asked for an agent; without one, nothing is written (False)."""
    moment = now or utcnow()
    ended = status in ("completed", "busy", "failed", "no-answer", "canceled")
    whole = None if path is None else whole_path(path)
    achieved = _finish_achieved_call(session, call_sid, status[:20], moment if ended else None,
                                     duration_seconds if ended else None, whole, language)
    if achieved is not None:
        return achieved
    if placed:
        with unit_of_work(session):
            logged = session.scalar(select(Call.id).where(Call.call_sid == call_sid))
        if logged is None:
            return False

    def change(call: Call) -> None:
        call.status = status[:20]
        if whole is not None and len(whole) > len(call.path or []):
            call.path = whole
        call.language = language or call.language
        if ended:
            call.ended_at = call.ended_at or moment
            if duration_seconds is not None:
                call.duration_seconds = duration_seconds
            waiting = queue_fate(queued_at=call.queued_at, answered_at=call.answered_at,
                                 ended_at=None, outcome=call.outcome,
                                 queue_result=call.details.get("queue_result")
                                 ) == QueueFate.WAITING
            if call.outcome is None or (waiting and call.outcome == CallOutcome.AGENT):
                call.outcome = CallOutcome.ABANDONED
                call.details = {**call.details,
                                "ended_in": "queue" if waiting else (call.path or ["start"])[-1]}
    call = change_call(session, call_sid, from_phone, change)
    return call.agent_id is not None or call.waiting_since is not None


@functools.cache
def _finish_update(dialect: str, ended: bool, with_duration: bool, with_path: bool) -> Update:
    """``_finish_achieved_call``'s UPDATE, built once per shape (parameters ``sid``,
    ``status``, ``ended_at``, ``duration``, ``whole`` and ``lang``)."""
    table = Call.__table__.c
    values: dict[str, object] = {"status": bindparam("status", type_=table.status.type)}
    if ended:
        values["ended_at"] = func.coalesce(table.ended_at,
                                           bindparam("ended_at", type_=table.ended_at.type))
        if with_duration:
            values["duration_seconds"] = bindparam("duration", type_=table.duration_seconds.type)
    if with_path:
        values["path"] = _longer_path(dialect)
        values["language"] = func.coalesce(bindparam("lang", type_=String()),
                                           table.language)
    return (update(Call.__table__)  # type: ignore[arg-type]
            .where(table.call_sid == bindparam("sid"), table.outcome.is_not(None),
                   table.outcome != CallOutcome.AGENT.value, *_relaxed(dialect))
            .values(**values)
            .returning(table.agent_id, table.waiting_since))


def _finish_achieved_call(session: Session, call_sid: str, status: str,
                          ended_at: dt.datetime | None, duration_seconds: int | None,
                          whole: list[str] | None, language: str | None) -> bool | None:
    """The status callback of a call that achieved something (any outcome but none or
    the agent queue, so nothing about abandonment to decide): one UPDATE, no read.
    None when the call is not such a call (or has no row), and nothing was changed;
    else whether routing has a part in it (read back by the same UPDATE)."""
    params: dict[str, object] = {"sid": call_sid, "status": status, "ended_at": ended_at,
                                 "duration": duration_seconds}
    if whole is not None:  # (a key named after a column would be SET by the UPDATE)
        params.update(whole=json.dumps(whole), lang=language)
    statement = _finish_update(session.get_bind().dialect.name, ended_at is not None,
                               duration_seconds is not None, whole is not None)
    with lone_statement(session) as connection:
        row = connection.execute(statement, params).first()
    if row is None:
        return None
    return row.agent_id is not None or row.waiting_since is not None
