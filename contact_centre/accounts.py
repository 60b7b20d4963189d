"""Console accounts: creating them and checking passwords (argon2id)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_core.base import (
    Conflict,
    FieldRefusals,
    InvalidInput,
    chosen_language,
    unit_of_work,
)
from booking_core.hospitals import Hospital
from contact_centre.models import Role, StaffUser

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
USERNAME_MAX = 60


class PasswordTooShort(InvalidInput):
    code = "password_too_short"


class UsernameTooLong(InvalidInput):
    """A username longer than ``USERNAME_MAX`` characters (``details['max']``): said as
    its own limit, not as the letters rule."""

    code = "username_too_long"


def hash_password(password: str) -> str:
    _password_rule(password)
    return _hasher.hash(password)


def check_password(user: StaffUser, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_staff_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    language: str = "en",
    phone: str | None = None,
    hospital_id: int | None = None,
) -> StaffUser:
    """A new console account. ``phone`` is as typed (any Indian form of a mobile, or
    empty for none). Every field is checked before anything is written, and every
    refusal is raised at once (``FieldErrors``, each under its form field: username,
    password, role, language, phone, hospital), so an admin sees all that is wrong in
    one go."""
    refusals = FieldRefusals()
    name = refusals.check("username", _username, username)
    role_value = refusals.check("role", _role, role)
    refusals.check("language", chosen_language, language)
    refusals.check("password", _password_rule, password)
    e164 = refusals.check("phone", _staff_phone, phone)
    refusals.check("hospital", _check_hospital, session, hospital_id)
    if name and session.scalar(select(StaffUser.id).where(StaffUser.username == name)):
        refusals.refuse("username", Conflict("that username is taken", field="username"))
    refusals.raise_any()
    assert name is not None and role_value is not None
    with unit_of_work(session):
        if session.scalar(select(StaffUser.id).where(StaffUser.username == name)):
            raise Conflict("that username is taken", field="username")
        user = StaffUser(
            username=name,
            display_name=((display_name or "").strip() or name)[:120],
            role=role_value,
            password_hash=hash_password(password),
            language=language,
            phone=e164,
            hospital_id=hospital_id,
        )
        session.add(user)
    return user


def _username(raw: str | None) -> str:
    """Each limit refused in its own words: none typed (``reason`` no_username), too
    long (``UsernameTooLong``), then the letters rule."""
    name = (raw or "").strip().lower()
    if not name:
        raise InvalidInput("enter a username", field="username", reason="no_username")
    if len(name) > USERNAME_MAX:
        raise UsernameTooLong(f"usernames have at most {USERNAME_MAX} characters",
                              field="username", max=USERNAME_MAX)
    if not name.isascii() or not name.replace(".", "").replace("_", "").isalnum():
        raise InvalidInput("usernames are letters, digits, dots and underscores",
                           field="username")
    return name


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError as exc:
        raise InvalidInput("role must be agent, supervisor or admin", field="role") from exc


def _password_rule(password: str) -> None:
    """At least ``MIN_PASSWORD_LENGTH`` characters besides spaces (ten spaces, or a
    short word padded with them, is no password)."""
    if len("".join((password or "").split())) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(f"passwords need at least {MIN_PASSWORD_LENGTH} characters",
                               field="password")


def _staff_phone(raw: str | None) -> str | None:
    """An agent's own mobile in E.164 (``normalise_mobile``: every Indian way of typing
    it), or None when left empty."""
    from booking_core.phones import normalise_mobile

    return normalise_mobile(raw) if raw and raw.strip() else None


class AccountDisabled(Conflict):
    """The username and password are right, but an administrator has disabled the
    account: the person is told so (and whom to ask), not that they mistyped."""

    code = "account_disabled"


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active account with this username and password, or None. A wrong username
    costs a hash verification too, so timing does not tell which part was wrong.
    ``AccountDisabled`` when both are right for a disabled account: only someone who
    knows its password learns that it is disabled."""
    user = session.scalar(
        select(StaffUser).where(StaffUser.username == (username or "").strip().lower())
    )
    if user is None:
        try:
            _hasher.verify(_dummy_hash(), password or "x")
        except (VerificationError, InvalidHashError):
            pass
        return None
    if not check_password(user, password):
        return None
    if not user.active:
        raise AccountDisabled("this account is disabled")
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


class CannotDemoteSelf(InvalidInput):
    code = "cannot_demote_self"


def update_staff_user(
    session: Session,
    user_id: int,
    *,
    role: str,
    display_name: str,
    language: str,
    phone: str | None,
    hospital_id: int | None,
    active: bool,
    password: str | None = None,
    acting_user_id: int | None = None,
) -> StaffUser:
    """An admin edits an account (role, name, language, phone, hospital, on or off, and a
    new password when one is given). A cleared name is refused (``_display_name``). A
    language that is not one of the helpline's is
    refused (``chosen_language``), never left as it was in silence. All of it or nothing:
    one transaction, every check made before anything changes, so a refused password
    cannot leave the account promoted or renamed; every refusal is raised at once
    (``FieldErrors``, as ``create_staff_user``). Admins cannot demote or disable
    themselves (``acting_user_id``), so the console always keeps an admin who can sign
    in."""
    refusals = FieldRefusals()
    role_value = refusals.check("role", _role, role)
    if user_id == acting_user_id and ((role_value and role_value != Role.ADMIN) or not active):
        refusals.refuse("role", CannotDemoteSelf("admins cannot demote or disable themselves",
                                                 field="role"))
    if password:
        refusals.check("password", _password_rule, password)
    shown_name = refusals.check("display_name", _display_name, display_name)
    refusals.check("language", chosen_language, language)
    e164 = refusals.check("phone", _staff_phone, phone)
    refusals.check("hospital", _check_hospital, session, hospital_id)
    refusals.raise_any()
    assert role_value is not None and shown_name is not None
    new_hash = hash_password(password) if password else None
    with unit_of_work(session):
        user = session.get(StaffUser, user_id)
        if user is None:
            raise InvalidInput("no such account", field="user")
        user.role = role_value
        user.display_name = shown_name
        user.language = language
        user.phone = e164
        user.hospital_id = hospital_id
        user.active = active
        if new_hash:
            user.password_hash = new_hash
    return user


def _display_name(raw: str | None) -> str:
    """An account's name as the console shows it (the queue, the greeting, the change
    log), at most 120 characters: an edit that clears it is refused (field
    ``display_name``) rather than quietly replaced by the username."""
    name = (raw or "").strip()
    if not name:
        raise InvalidInput("an account needs a name", field="display_name")
    return name[:120]


def _check_hospital(session: Session, hospital_id: int | None) -> None:
    """Staff may be tied to a hospital that exists (not a typed or forged id, which
    would fail the write itself)."""
    if hospital_id is not None and session.get(Hospital, hospital_id) is None:
        raise InvalidInput("no such hospital", field="hospital")


def set_password(session: Session, user_id: int, password: str) -> None:
    with unit_of_work(session):
        user = session.get(StaffUser, user_id)
        if user is None:
            raise InvalidInput("no such account", field="user")
        user.password_hash = hash_password(password)


def display_names(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """Staff members' display names by username, for pages that say who did something
    (a grievance's history, the master-data audit trail): the record keeps the username,
    a person reads the name. Staff who have since left (inactive) still have theirs."""
    return _display_names_by(session, StaffUser.username, usernames)


def display_names_by_id(session: Session, staff_ids: Iterable[int | None]) -> dict[int, str]:
    """Staff members' display names by id (a queue's "assigned to" column)."""
    return _display_names_by(session, StaffUser.id, staff_ids)


def _display_names_by(session: Session, column: Any, keys: Iterable[Any]) -> dict[Any, str]:
    """{key: display name} for the non-empty keys, looked up by `column` in one query."""
    wanted = {key for key in keys if key}
    if not wanted:
        return {}
    rows = session.execute(select(column, StaffUser.display_name).where(column.in_(wanted)))
    return {key: display_name for key, display_name in rows}
