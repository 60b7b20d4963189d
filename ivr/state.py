"""What a call carries from one webhook to the next, typed, one structure per flow.

The state travels signed in the URLs (``ivr.flow.sign_state`` / ``read_state``, the only
way it enters or leaves a URL) as a small dict with short keys, to keep the URLs Twilio
posts short; here each flow reads the keys it owns into typed fields, and writes them
back with ``wire()``. A value of the wrong type (a URL from an older release, a bug)
reads as absent instead of reaching a query.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Self, get_type_hints


def key(wire: str, default: Any = None) -> Any:
    """A field stored under ``wire`` in the signed state."""
    return field(default=default, metadata={"wire": wire})


def _wire_types(hint: Any) -> tuple[type, ...]:
    """The JSON types a field's annotation takes from the wire ("int | str | None" takes
    both; a list field only a list)."""
    text = str(hint)
    if "list" in text:
        return (list,)
    return tuple(t for t in (bool, int, str) if t.__name__ in text)


def _fits(value: Any, types: tuple[type, ...]) -> bool:
    """Whether ``value`` has one of the field's wire types (True is no int here)."""
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


@cache
def _fields(cls: type) -> tuple[tuple[str, str, Any, tuple[type, ...]], ...]:
    """Per field of ``cls``, once: its name, wire key, default and wire types."""
    hints = get_type_hints(cls)
    return tuple((f.name, f.metadata["wire"], f.default, _wire_types(hints[f.name]))
                 for f in dataclasses.fields(cls))


def wire_keys(cls: type[FlowState]) -> list[str]:
    return [wire for _, wire, _, _ in _fields(cls)]


@dataclass(frozen=True)
class FlowState:
    @classmethod
    def read(cls, raw: dict[str, Any]) -> Self:
        values = {}
        for name, wire, _, types in _fields(cls):
            value = raw.get(wire)
            if value is not None and _fits(value, types):
                values[name] = value
        return cls(**values)

    def wire(self) -> dict[str, Any]:
        """The fields that differ from their defaults, under their short keys."""
        out = {}
        for name, wire, default, _ in _fields(type(self)):
            value = getattr(self, name)
            if value is not None and value != default:
                out[wire] = value
        return out


@dataclass(frozen=True)
class Choosing(FlowState):
    """A list menu (hospitals, departments, days, districts): where the caller is in it."""

    purpose: str = key("f", "book")  # book, beds or griev: what the hospital is for
    page: int = key("pg", 0)
    candidate: int | str | None = key("k")  # a spoken name awaiting "did you say ...?"
    # The page read out: its options' ids in order (``ivr.choosers.wire_id``); a key or
    # a spoken number means the item it was said with, never today's list's item there.
    offered: list[int] | None = key("o")
    last_hospital: int | None = key("lh")  # the caller's last hospital (0: none), read once
    last_department: int | None = key("ld")  # their latest appointment's department (0: none)
    greeted: bool = key("gc", False)  # the main menu follows the greeting's language choice
    not_free: int = key("nf", 0)  # times said at the time menu that were not free


@dataclass(frozen=True)
class Booking(FlowState):
    hospital: int | None = key("h")
    department: int | None = key("dp")
    day: str | None = key("d")  # ISO date
    slot: int | None = key("sl")
    readback: str | None = key("n")  # names this read-back: the booking's idempotency key
    patient_mobile: str | None = key("pm")  # None: the patient is the caller
    abha: str | None = key("ab")
    card: str | None = key("cd")  # the patient's eHealth card number
    offered_days: list[str] | None = key("ds")  # what the day menu offered, in order
    offered_slots: list[int] | None = key("so")
    offered_starts: list[int] | None = key("ss")  # their start times (Unix seconds)
    starts: int | None = key("st")  # the chosen slot's start (Unix seconds): the read-back
    more_days: bool = key("dm", False)
    reference: str | None = key("a")  # the booking number, once booked
    token: int | None = key("tk")
    # Booked for someone else (``ivr.booking._patient_is_caller`` false): the caller hears
    # it is the patient's booking, wherever its SMS went.
    for_patient: bool = key("fp", False)


@dataclass(frozen=True)
class Complaint(FlowState):
    category: str | None = key("g")
    hospital: int | None = key("h")  # None: not about one hospital
    mobile: str | None = key("pm")  # where to text the number (a caller without a mobile)
    reference: str | None = key("ref")


@dataclass(frozen=True)
class Beds(FlowState):
    hospital: int | None = key("h")
    district: str | None = key("dist")


@dataclass(frozen=True)
class Mine(FlowState):
    page: int = key("pg", 0)
    offered: list[int] | None = key("o")  # the appointments read out (ids), in order
    appointment: str | None = key("a")  # the booking number being cancelled
    heard_latest: bool = key("hl", False)  # the caller's latest complaint was read out
    booking: str | None = key("pb")  # a booking number typed by a caller whose number we cannot see
    held_offer: int | None = key("wo")  # the waiting-list place menu 4 offered (its entry)


@dataclass(frozen=True)
class Agent(FlowState):
    # after_hours, long_wait, no_agent (nobody signed in), queue_full, fault
    why: str = key("why", "after_hours")
    wait_minutes: int = key("m", 1)
    fault: bool = key("fault", False)  # our systems failed: queue without asking
    anyway: bool = key("anyway", False)  # the caller chose to wait despite a long queue
    callback_phone: str | None = key("cb")  # typed by a caller whose number we cannot see


@dataclass(frozen=True)
class Followup(FlowState):
    grievance: int = key("gv", 0)
    outbox_row: int = key("row", 0)
    solved: bool = key("ok", False)


@dataclass(frozen=True)
class Offer(FlowState):
    """The waiting-list offer call: which entry, and its outbox row."""

    entry: int = key("wl", 0)
    outbox_row: int = key("row", 0)
    reference: str | None = key("a")  # the booking number, once taken
