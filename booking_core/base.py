"""Declarative base, UTC time type and the errors every service raises."""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import DateTime, Enum, MetaData, TypeDecorator
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session

from locales import LANGUAGES

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on PostgreSQL and SQLite alike.

    SQLite stores no zone; without this, values read back naive and comparisons with
    aware datetimes raise.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# The largest value an INTEGER column holds (PostgreSQL's 4-byte integer; SQLite's are
# wider). Ids and counts from outside are checked against it before they reach a query:
# a larger one is "no such row" or invalid input, never a database error.
MAX_INTEGER = 2**31 - 1


def typed_digits(raw: object) -> str | None:
    """The digits a person typed, as ASCII, else None. People type numbers with the
    keyboard they write in: Devanagari ``१९८०`` is 1980, and so is any other script's
    decimal digits (Unicode category Nd); spaces around the number are dropped. Signs,
    spaces inside, and digits only ``str.isdigit`` calls digits ("²", which no one types
    for a number) are no digits. Every numeric field a person fills in reads through this
    (``whole_number``, the one-time code, card and booking numbers via ``refs``), so a
    number is read the same way on every form, the console and the API."""
    text = "" if raw is None else str(raw).strip()
    if not text or not all(ch.isdecimal() for ch in text):
        return None
    return "".join(str(unicodedata.decimal(ch)) for ch in text)


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of any script as its ASCII digit and the rest
    as it is: a day or a time typed on a Devanagari keyboard («२०२६-१२-२०», «०९:३०»)
    reads as the same day or time (``calendar_day``, the schedule's times)."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def whole_number(raw: object) -> int | None:
    """``raw`` (text from a form, a query string or a webhook) as a whole number an
    INTEGER column can hold, else None: empty, signed, fractional or too large are all
    no number. Digits of any script count (``typed_digits``)."""
    text = typed_digits(raw)
    if text is None or len(text) > 10:
        return None
    value = int(text)
    return value if value <= MAX_INTEGER else None


def fit_words(text: str, limit: int = 30) -> str:
    """``text`` in at most ``limit`` characters, cut between words, never inside one
    (an SMS variable holds 30; a name cut mid-word reads as another word). A first word
    longer than ``limit`` is the only thing ever cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    fitted = ""
    for word in text.split(" "):
        candidate = f"{fitted} {word}" if fitted else word
        if len(candidate) > limit:
            break
        fitted = candidate
    return (fitted or text[:limit]).rstrip(" ,.-")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DomainError(Exception):
    """A rule of the helpline said no. ``code`` is stable and machine-readable; the
    adapters map it to a spoken prompt, an HTTP status or a console message."""

    code = "domain_error"

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message or self.code)
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class FieldErrors(InvalidInput):
    """Several fields of one request refused at once: ``errors`` maps each field's name
    to its own refusal (a ``DomainError`` with its code and details), so a form can say
    everything that is wrong beside each field in one go, not one per submit.

    The error itself reads as its first refusal (that one's ``code``, message and
    details, ``field`` included): an adapter that says one thing at a time (the API's
    422, the phone line) answers as it did for that refusal alone."""

    def __init__(self, errors: dict[str, DomainError]) -> None:
        first = next(iter(errors.values()))
        super().__init__(str(first), **first.details)
        self.code = first.code
        self.errors = errors


# The days a form or a query string may name: wide enough for any report, booking or
# holiday of the helpline, narrow enough that a week's or a month's arithmetic, a time
# zone and the database all hold them (``date.min`` minus a day, or ``date.max`` plus
# one, is an OverflowError).
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)


class InvalidDay(InvalidInput):
    """Not a day written YYYY-MM-DD (``details["reason"]`` "format"), or one outside
    FIRST_DAY..LAST_DAY ("out_of_range", with ``first`` and ``last`` to say so)."""

    code = "invalid_day"


def calendar_day(raw: object, field: str = "day") -> dt.date:
    """``raw`` (a form's or a query string's text) as a day the helpline can work with:
    the one parser every adapter uses, so no date reaches arithmetic that overflows.
    Raises ``InvalidDay``."""
    text = ascii_digits(str(raw or "").strip())
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidDay("a day is written YYYY-MM-DD", field=field, reason="format")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidDay("that day is out of range", field=field, reason="out_of_range",
                         first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
    return day


def chosen_language(raw: object, field: str = "language") -> str:
    """``raw`` when it is one of the helpline's languages (``locales.LANGUAGES``) exactly,
    else ``InvalidInput`` under ``field``. A language someone chose (a form's list, an API
    body) is a code from that list: "HI ", "hindi", "fr" or a forged string is refused,
    never saved as Hindi. The one rule every service that is given a language checks;
    ``locales.normalise_language`` is for loose tags (a browser's, Twilio's), where
    falling back to the default is right."""
    if isinstance(raw, str) and raw in LANGUAGES:
        return raw
    raise InvalidInput("language must be hi or en", field=field)


def refusals_by_field(exc: DomainError) -> dict[str, DomainError]:
    """Each field's refusal in ``exc`` (``FieldErrors``: all of them; another error: itself
    under its ``field``, "" when it names none)."""
    if isinstance(exc, FieldErrors):
        return dict(exc.errors)
    return {str(exc.details.get("field") or ""): exc}


class FieldRefusals:
    """Checks a request's fields one by one and keeps every refusal, so a form comes back
    with all its faults at once (``raise_any``): a service checks each field with
    ``check`` before it starts its transaction."""

    def __init__(self) -> None:
        self.errors: dict[str, DomainError] = {}

    def check(self, field: str, rule: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``rule(*args, **kwargs)``, or None when it refuses ``field`` (the refusal is
        kept, with ``field`` in its details)."""
        try:
            return rule(*args, **kwargs)
        except InvalidInput as exc:
            exc.details.setdefault("field", field)
            self.errors.setdefault(field, exc)
            return None

    def refuse(self, field: str, exc: DomainError) -> None:
        exc.details.setdefault("field", field)
        self.errors.setdefault(field, exc)

    def raise_any(self) -> None:
        """Raise the one refusal, or ``FieldErrors`` for several; nothing if none."""
        if len(self.errors) == 1:
            raise next(iter(self.errors.values()))
        if self.errors:
            raise FieldErrors(self.errors)


# ``session.info`` key: this session's reads run in autocommit (each statement sees
# committed data on its own, with no BEGIN or COMMIT round trip; the phone line's
# webhooks work this way on PostgreSQL). Its value is the isolation level a unit of work
# on it runs in.
AUTOCOMMIT_READS = "autocommit_reads"


@contextmanager
def unit_of_work(session: Session, *, one_statement: bool = False) -> Iterator[Session]:
    """One transaction for one use case: committed when the block ends, rolled back on
    any exception.

    On a session whose reads autocommit (``AUTOCOMMIT_READS``) the block gets a real
    transaction of its own on a fresh connection, unless it declares ``one_statement``:
    a single statement is atomic by itself and runs without BEGIN and COMMIT.

    A session that only read so far (SQLAlchemy begins a transaction on the first
    query) carries on in that transaction: its reads changed nothing, and closing it
    first would cost a COMMIT, another pool checkout (with its pre-ping) and a BEGIN,
    which on a busy webhook is most of the database time. (Under READ COMMITTED each
    statement sees fresh data either way; on SQLite every transaction, reads included,
    begins IMMEDIATE.) A session holding unflushed writes is a bug in the caller, since
    only service functions write.

    A unit of work inside another (a service that uses another, ``accept_offer``'s
    booking) joins it as a savepoint: nothing is committed before the outer unit ends,
    so a crash in between leaves neither half, and an exception rolls back only the
    inner unit's writes (the outer one may catch it and go on). A lone statement
    inside a unit is part of it, with no savepoint.
    """
    if session.info.get(_IN_UNIT):
        if one_statement:
            yield session
            return
        with _savepoint(session):
            yield session
        return
    session.info[_IN_UNIT] = True
    try:
        with _outermost_unit(session, one_statement=one_statement):
            yield session
    finally:
        session.info.pop(_IN_UNIT, None)


# ``session.info`` keys: a unit of work is open on this session (``unit_of_work``); the
# outbox rows written in it, woken up once it commits (``booking_core.outbox``).
_IN_UNIT = "in_unit_of_work"
NEW_OUTBOX_KEY = "helpline.new_outbox"


@contextmanager
def _savepoint(session: Session) -> Iterator[None]:
    """A nested unit of work: a SAVEPOINT, released at the end, rolled back to on any
    exception (then re-raised). Outbox rows the rolled-back part listed for the
    after-commit wake-up (``booking_core.outbox``) are taken off the list again."""
    listed = len(session.info.get(NEW_OUTBOX_KEY, ()))
    try:
        with session.begin_nested():
            yield
    except BaseException:
        if NEW_OUTBOX_KEY in session.info:
            del session.info[NEW_OUTBOX_KEY][listed:]
        raise


@contextmanager
def _outermost_unit(session: Session, *, one_statement: bool) -> Iterator[None]:
    isolation = session.info.get(AUTOCOMMIT_READS)
    if isolation and not one_statement:
        if session.in_transaction():
            session.commit()  # ends the autocommit reads: nothing is sent
        with session.begin():
            session.connection(execution_options={"isolation_level": isolation})
            yield
        return
    if not session.in_transaction():
        with session.begin():
            yield
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unit_of_work started on a session with pending writes")
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()


@contextmanager
def lone_statement(session: Session) -> Iterator[Connection]:
    """A connection for one statement that stands on its own (atomic by itself).

    On a session whose reads autocommit (``AUTOCOMMIT_READS``, bound to an engine) and
    that holds no connection yet, a pooled connection of that engine, used directly:
    the session's transaction bookkeeping would be a third of a one-line write's cost
    (the phone line logs one per webhook). Otherwise the session's own connection in
    ``unit_of_work(session, one_statement=True)``."""
    bind = session.get_bind()
    if (session.info.get(AUTOCOMMIT_READS) and not session.in_transaction()
            and isinstance(bind, Engine)):
        with bind.begin() as connection:  # autocommit: neither BEGIN nor COMMIT is sent
            yield connection
        return
    with unit_of_work(session, one_statement=True):
        yield session.connection()


def enum_column(enum_cls: type[enum.Enum], length: int = 16) -> Enum:
    """A VARCHAR column holding the enum's *values* ("booked"), which SQL written by
    hand (partial indexes, reports) can rely on; SQLAlchemy's default is the names."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )
