"""The vocabulary of the call flow: a node is one menu or step of a call, declared as
data (what it says, which keys it takes and where each leads, what kind of input it
waits for, where it gives up); ``ivr.call_flow`` declares every node, and ``ivr.flow``
runs them and turns them into TwiML.

A menu's spoken choices and its key dispatch come from the same ``Option``: the
sentence a caller hears is a whole sentence in the catalog with a ``{key}`` slot, filled
with the option's own key, and the engine routes that key to the option's target. The
rules every node shares (``*`` repeats, ``0`` reaches an agent, ``#`` goes back to the
main menu, ``9`` reaches the ambulance, no input or a wrong key at most three times)
live in the engine, not in the nodes. Targets are node names, or actions (``do:book``):
code that acts on the domain and then goes to one of the nodes it declares in
``ACTION_EXITS``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twilio.twiml.voice_response import VoiceResponse

    from ivr.flow import Ctx

MAX_TRIES = 3
REPEAT_KEY, AGENT_KEY, MAIN_KEY = "*", "0", "#"
# The state key marking a menu's first hearing on this visit (``Option.sets`` may set it).
FIRST = "fh"
# Where a number is typed, # ends it: the main menu is two stars instead (then # or the
# pause that sends what was typed).
MAIN_KEYS_IN_A_NUMBER = "**"
EMERGENCY_KEY = "9"  # the ambulance, in every language and every menu of the inbound line
EMERGENCY = "emergency"  # the node that says the number and dials it
ACTION_PREFIX = "do:"


class Input(enum.StrEnum):
    KEYS = "keys"  # one key
    KEYS_OR_NAME = "keys or a spoken name"  # one key, or a name said in either script
    KEYS_OR_TIME = "keys or a spoken time"  # one key, or a time ("10 am", «साढ़े दस»)
    NUMBER = "a typed number"  # several keys ending with #
    RECORDING = "a recording"
    NONE = "no input"  # says something and moves on (or hangs up, or connects)


@dataclass(frozen=True)
class Option:
    """One choice of a menu: ``key`` leads to ``to``; ``says`` is the catalog sentence
    announcing it (with ``{key}``), said in ``spoken_in`` ("other": the language the
    caller is not using; None: the caller's)."""

    key: str
    says: str
    to: str
    carry: tuple[str, ...] = ()  # state fields passed on to ``to``
    sets: tuple[tuple[str, Any], ...] = ()  # fixed state values for ``to``
    when: str | None = None  # a condition (``CONDITIONS``) the option needs
    spoken_in: str | None = None
    first_hearing_only: bool = False  # announced only the first time the menu is heard
    said_when: str | None = None  # a condition for announcing it; the key works regardless


@dataclass(frozen=True)
class Node:
    name: str
    flow: str  # "inbound", or the outbound call it belongs to
    title: str  # for the map
    says: tuple[str, ...] = ()  # heading sentences, before the options
    options: tuple[Option, ...] = ()
    input: Input = Input.KEYS
    digits: int = 1  # for ``Input.NUMBER``: the most keys taken
    list_to: tuple[str, ...] = ()  # where an item of a spoken list (1..5, 8 more) leads
    leads_to: tuple[str, ...] = ()  # where the node's own code may go
    on_silence: str | None = None  # silence goes here at once (None: retried)
    give_up: str = "agent"  # after MAX_TRIES silences or wrong keys
    back_to_main: bool = True  # ``#`` returns to the main menu
    shared_keys: bool = True  # ``*`` and ``0`` work here
    managed: bool = True  # Twilio's queue and recording callbacks are not menus
    languages: tuple[str, ...] = ()  # said in each of these (the language menu)
    webhook: bool = True  # False: only ever said inline, as another webhook's answer
    # Where ``0`` leads: the agent queue, or (a number typed for a callback) back to the
    # offer it came from, with the node's state.
    zero_to: str = "agent"

    def keys(self, holds: Callable[[str], bool] = lambda _: True) -> dict[str, Option]:
        """The declared options whose conditions hold, by key."""
        return {o.key: o for o in self.options if o.when is None or holds(o.when)}

    @property
    def is_list(self) -> bool:
        return bool(self.list_to)

    def shared(self) -> dict[str, str]:
        """The keys the engine handles here itself, and where they go. ``9`` reaches the
        ambulance from every menu of the inbound line that takes one key (every call
        opens with "in an emergency, press 9"), not where 9 is a digit of a number."""
        if not self.managed or self.input in (Input.NONE, Input.RECORDING):
            return {}
        keys = {REPEAT_KEY: self.name, AGENT_KEY: self.zero_to} if self.shared_keys else {}
        if self.back_to_main:
            keys[MAIN_KEYS_IN_A_NUMBER if self.input is Input.NUMBER else MAIN_KEY] = "main"
        if self.flow == "inbound" and self.input is not Input.NUMBER:
            keys[EMERGENCY_KEY] = EMERGENCY
        return keys

    def targets(self) -> list[str]:
        """Every node this one can lead to (options, list items, its code, its exits)."""
        found = [o.to for o in self.options] + list(self.list_to) + list(self.leads_to)
        found += list(self.shared().values())
        if self.managed and self.input not in (Input.NONE,):
            found.append(self.give_up)
        if self.on_silence:
            found.append(self.on_silence)
        return list(dict.fromkeys(t for t in found if t != self.name))


@dataclass
class Registry:
    nodes: dict[str, Node] = field(default_factory=dict)
    # Conditions options may need, by name: ``CONDITIONS["zero_reaches_agent"](ctx)``.
    conditions: dict[str, Callable[[Ctx], bool]] = field(default_factory=dict)
    actions: dict[str, Callable[[Ctx], VoiceResponse]] = field(default_factory=dict)
    action_exits: dict[str, tuple[str, ...]] = field(default_factory=dict)


FLOW = Registry()


def declare(*nodes: Node, actions: dict[str, tuple[str, ...]] | None = None) -> None:
    for node in nodes:
        if node.name in FLOW.nodes:
            raise ValueError(f"node {node.name} declared twice")
        FLOW.nodes[node.name] = node
    FLOW.action_exits.update(actions or {})


def condition(name: str) -> Callable[[Callable[[Ctx], bool]], Callable[[Ctx], bool]]:
    def register(check: Callable[[Ctx], bool]) -> Callable[[Ctx], bool]:
        FLOW.conditions[name] = check
        return check
    return register


def action(name: str) -> Callable[[Callable[[Ctx], VoiceResponse]],
                                  Callable[[Ctx], VoiceResponse]]:
    """Register the code behind ``do:<name>`` (its exits are declared with the flow)."""
    def register(act: Callable[[Ctx], VoiceResponse]) -> Callable[[Ctx], VoiceResponse]:
        FLOW.actions[name] = act
        return act
    return register


def edges(node: Node) -> list[tuple[str, str, str]]:
    """(label, target node, kind) for the map: kind is key, list, code or exit; an
    action's exits are followed through it."""
    found: list[tuple[str, str, str]] = []

    def add(label: str, target: str, kind: str) -> None:
        if target.startswith(ACTION_PREFIX):
            for exit_ in FLOW.action_exits.get(target[len(ACTION_PREFIX):], ()):
                found.append((f"{label} {target[len(ACTION_PREFIX):]}".strip(), exit_, kind))
        else:
            found.append((label, target, kind))

    for option in node.options:
        add(option.key, option.to, "key")
    for target in node.list_to:
        add("1-5", target, "list")
    for target in node.leads_to:
        add("", target, "code")
    for key, target in node.shared().items():
        if target != node.name:
            add(key, target, "shared")
    if node.managed and node.input is not Input.NONE and node.give_up != node.name:
        add("3 tries", node.give_up, "exit")
    if node.on_silence:
        add("silence", node.on_silence, "exit")
    return found
