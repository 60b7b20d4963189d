"""How every IVR step works: state signed into the URL, one prompt, one input handler,
and the rules all menus share (``*`` repeats, ``0`` reaches an agent, no input or a
wrong key is retried, at most three tries).

No call state lives in a process: what a step needs (language, tries, chosen hospital,
...) travels in the ``s`` query parameter of the action and redirect URLs, encrypted
and authenticated with a key derived from ``SECRET_KEY`` (AES-GCM with a fresh 96-bit
nonce per URL), so any web process can answer any webhook of any call, and the URLs that
Twilio's logs and any proxy's access log keep show nothing of it (the mobile or ABHA
number of someone booked for).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import zlib
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Blueprint, Response, current_app, g, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

import ivr.call_flow  # noqa: F401  (the declaration, before any step registers)
from booking_core.base import AUTOCOMMIT_READS, DomainError
from booking_core.phones import callback_number, mask_phone, try_normalise_mobile
from contact_centre.models import CallOutcome
from helpline.app import current_helpline
from helpline.sealing import cipher
from helpline.settings import Settings
from helpline.twilio_auth import twilio_signed
from ivr.call_notes import keep_live_only, notes, take_notes, write_notes
from ivr.directory import Directory, Snapshot
from ivr.engine import (
    ACTION_PREFIX,
    AGENT_KEY,
    EMERGENCY_KEY,
    FIRST,
    FLOW,
    MAIN_KEY,
    MAIN_KEYS_IN_A_NUMBER,
    MAX_TRIES,
    REPEAT_KEY,
    Input,
    Node,
    Option,
)
from ivr.speech import NUMBER_MARK, SpokenNumber, Words, say, sentences
from ivr.state import FlowState, wire_keys
from locales import SPEECH_LANGUAGES, has_message, normalise_language, render

log = logging.getLogger(__name__)
S = TypeVar("S", bound=FlowState)

bp = Blueprint("ivr", __name__, url_prefix="/ivr")

KEYPAD = "0123456789*#"
MENU_TIMEOUT = 6  # seconds of silence before the no-input path
NUMBER_TIMEOUT = 10  # typing a 10- or 14-digit number takes longer
# Control keys in the state: language, tries, "came back after silence", "expects input".
# and "first hearing of the main menu" (it then says how to switch language).
LANG, TRIES, SILENT, INPUT = "l", "t", "r", "i"
# After the apology in both languages: the key says the language too (1 Hindi, 2 English).
PICKS_LANGUAGE = "pl"
# The caller's language is not known yet (neither chosen nor remembered): everything is
# said in Hindi then English, and a key heard in the English half has its own number
# (``Ctx.english_keys``), so the key pressed says the language too.
BOTH = "b"
BILINGUAL = ("hi", "en")
CONTROL = {LANG, TRIES, SILENT, INPUT, PICKS_LANGUAGE}
ALL = ("*",)  # an option carrying the whole state (``ivr.call_flow``)
OTHER_LANGUAGE = {"hi": "en", "en": "hi"}
# The app extension holding the hospital and department lists (``ivr.directory``).
DIRECTORY = "ivr.directory"
# The app extension holding the webhooks' own engine (PostgreSQL only; ``ivr_session``).
ENGINE = "ivr.engine"
# Failures of the database or Redis: the caller hears an apology, never a 500.
BACKEND_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, RedisError, OSError)


# What the state's authentication also covers: a token made for anything else with
# the same key does not open here.
STATE_AAD = b"ivr-state v2"
NONCE_BYTES = 12


def _cipher(secret_key: str) -> AESGCM:
    """The state's key: derived from ``SECRET_KEY`` for this one use (purpose
    ``ivr-state``, ``helpline.sealing.cipher``, cached), so it is never the key that
    signs sessions or seals the portal's tokens. AES-GCM rather than Fernet: a third of
    the bytes of work per URL and a shorter URL for Twilio to sign (every webhook opens
    one state and writes two). The state keeps its own framing, without the issue time
    a sealed token carries: a call's URLs need no max-age."""
    return cipher(secret_key, "ivr-state")


def sign_state(state: dict[str, Any]) -> str:
    """``state`` encrypted and authenticated for a URL: URL-safe base64 (no padding) of
    a 12-byte random nonce and the AES-GCM sealed JSON, compressed when that makes it
    shorter (most states are too small to gain: zlib's header and checksum outweigh
    it). Compressed data starts with zlib's 0x78, JSON with "{"."""
    data = json.dumps(state, separators=(",", ":")).encode()
    packed = zlib.compress(data)
    if len(packed) < len(data):
        data = packed
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(current_helpline().settings.secret_key).encrypt(nonce, data, STATE_AAD)
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")


def read_state(token: str) -> dict[str, Any] | None:
    """The state a URL carries, or None when it is missing, forged, made with
    another key, or junk."""
    if not token or len(token) > 2000 or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if len(raw) <= NONCE_BYTES:
            return None
        data = _cipher(current_helpline().settings.secret_key).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], STATE_AAD)
        value = json.loads(data if data[:1] == b"{" else zlib.decompress(data))
    except (InvalidTag, ValueError, zlib.error):  # bad base64 is a ValueError
        return None
    return value if isinstance(value, dict) else None


def ivr_session() -> Session:
    """The webhook's session (the request's ``get_session()`` from then on).

    On PostgreSQL it runs on the phone line's own engine, whose reads autocommit and
    whose pool does not ping a connection before lending it: a menu webhook's read and
    its call-log line are then one round trip each, with no pre-ping, BEGIN or COMMIT
    (the budget in docs/BENCHMARKS.md). A unit of work on it still gets a real
    transaction (``booking_core.base.unit_of_work``). A pooled connection the server
    dropped (a restart) fails on first use; the view then answers the webhook once
    more on a fresh one (``_view``)."""
    if "db_session" not in g:
        helpline = current_helpline()
        engine = current_app.extensions.get(ENGINE)
        if engine is None:
            g.db_session = helpline.session()
        else:
            session = helpline.sessions(bind=engine)
            session.info[AUTOCOMMIT_READS] = "READ COMMITTED"
            g.db_session = session
    session: Session = g.db_session
    return session


def step_url(name: str, state: dict[str, Any]) -> str:
    """The absolute public URL of step ``name`` carrying ``state``: Twilio requests it
    and signs exactly this URL."""
    base = current_helpline().settings.public_base_url.rstrip("/")
    return f"{base}{bp.url_prefix}{STEPS[name].rule}?s={sign_state(state)}"


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), status=200, mimetype="text/xml")


class Step:
    """One webhook of the call flow: a declared node (``ivr.call_flow``), its prompt
    (the engine's, or its module's when the words depend on data), and its module's
    ``handle`` for input the declaration does not route (list items, typed numbers)."""

    def __init__(self, node: Node, rule: str, prompt: Callable[[Ctx], VoiceResponse], *,
                 needs_state: bool) -> None:
        self.node = node
        self.name = node.name
        self.rule = rule
        self.prompt = prompt
        self.handle: Callable[[Ctx], VoiceResponse] | None = None
        self.needs_state = needs_state

    @property
    def managed(self) -> bool:
        return self.node.managed

    def on_input(self, handler: Callable[[Ctx], VoiceResponse]) -> Callable[[Ctx], VoiceResponse]:
        self.handle = handler
        return handler


STEPS: dict[str, Step] = {}


def step(name: str, rule: str | None = None, *, needs_state: bool = True
         ) -> Callable[[Callable[[Ctx], VoiceResponse]], Step]:
    """The prompt of declared node ``name``, served at ``/ivr/<rule>`` (default: the
    name with dots as slashes)."""

    def register(prompt: Callable[[Ctx], VoiceResponse]) -> Step:
        node = FLOW.nodes[name]  # a step is always a declared node
        s = Step(node, rule or "/" + name.replace(".", "/"), prompt, needs_state=needs_state)
        STEPS[name] = s
        if node.webhook:
            bp.add_url_rule(s.rule, endpoint=name.replace(".", "_"), view_func=_view(s),
                            methods=["POST"])
        return s

    return register


def declared_prompt(ctx: Ctx) -> VoiceResponse:
    """A node whose words are all in the declaration: its sentences and options."""
    return ctx.menu(lambda half: [half.t(key) for key in half.step.node.says])


def complete_steps() -> None:
    """Serve every node the modules did not give a prompt of their own."""
    for name in FLOW.nodes:
        if name not in STEPS:
            step(name)(declared_prompt)


def start_call(name: str, lang: str, **state: Any) -> VoiceResponse:
    """The first prompt of a call we placed (its later webhooks come to ``/ivr``); its
    menu goes to the call's live path (``call_notes.keep_live_only``)."""
    target = STEPS[name]
    ctx = Ctx(target, {LANG: normalise_language(lang), **state})
    response = target.prompt(ctx)
    keep_live_only(ctx.call_sid)
    return response


class Later:
    """A message said in the language of the step that says it (a retry's "sorry", the
    "let us get you some help" before the agent queue): while the caller's language is
    not known, each half of a bilingual prompt says it in its own language."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params = params


Intro = list[str | list[Words] | Later]
Lines = list[str | list[Words]]


class Ctx:
    """What one step sees of the call: its state, the caller's input, the database."""

    def __init__(self, step: Step, state: dict[str, Any], intro: Intro | None = None):
        self.step = step
        self.state = state
        self.lang = normalise_language(state.get(LANG))
        try:
            self.tries = max(0, int(state.get(TRIES, 0)))
        except (TypeError, ValueError):
            self.tries = 0
        self.hints = bool(self.state.get(SILENT))  # a retry says how to get help
        self.intro_messages: Intro = list(intro or [])
        self.intro: Lines = [self.t(i.key, **i.params) if isinstance(i, Later) else i
                             for i in self.intro_messages]
        self.option_params: dict[str, object] = {}  # words an option's sentence names
        # Set once the caller has picked a language in this webhook: an apology after a
        # failure later in the same webhook is then said in it alone.
        self.lang_chosen = False
        self.keys: str | None = None  # the keys as they count, when not as pressed
        # Said first by whatever step this one goes to (``go``): what was understood of
        # the caller's words ("you said Orthopaedics"), so a mishearing is heard at once.
        self.then_say: Intro = []

    # Before a language is known ------------------------------------------------
    @property
    def both(self) -> bool:
        """The caller's language is not known yet: say everything in both."""
        return bool(self.state.get(BOTH)) and not self.lang_chosen

    def in_language(self, lang: str) -> Ctx:
        """This step as said in ``lang`` (one half of a bilingual prompt)."""
        half = Ctx(self.step, {**self.state, LANG: lang}, self.intro_messages)
        half.hints, half.option_params = self.hints, self.option_params
        return half

    def halves(self) -> list[Ctx]:
        """Who says this step's words: itself, or a Hindi then an English half."""
        return [self.in_language(lang) for lang in BILINGUAL] if self.both else [self]

    def choose_language(self, lang: str) -> None:
        """The key pressed in one half of a bilingual prompt chose its language (for this
        call: only the language menu stores it for the caller)."""
        self.lang = self.state[LANG] = lang
        self.state.pop(BOTH, None)
        self.lang_chosen = True

    def english_keys(self) -> dict[str, str]:
        """In a bilingual prompt, the key of each option in the English half (the Hindi
        half uses the declared keys): the first keys the node leaves free, so the key
        pressed says the language too. The ambulance (9) and the way back (#) need no
        language and keep their keys."""
        node = self.step.node
        if node.languages:  # the language menu's keys are languages already
            return {}
        options = node.keys(self.holds)
        taken = set(options) | {REPEAT_KEY, AGENT_KEY, MAIN_KEY, EMERGENCY_KEY}
        free = [d for d in "12345678" if d not in taken]
        bound = [k for k in options if k not in (EMERGENCY_KEY, MAIN_KEY)]
        return dict(zip(bound, free, strict=False))

    def option_for_key(self) -> Option | None:
        """The declared option the key pressed chooses; in a bilingual prompt, pressing
        it also chooses the language of the half that announced it."""
        options = self.step.node.keys(self.holds)
        key = self.digits
        if not self.both:
            return options.get(key)
        english = self.english_keys()
        for declared, english_key in english.items():
            if key == english_key:
                self.choose_language("en")
                return options[declared]
        if key in english:
            self.choose_language("hi")
        return options.get(key)

    def pick_language_by_key(self) -> bool:
        """After the apology in both languages (``apology(None)``), "1" was offered in
        Hindi and "2" in English, both for a callback: take the language from the key and
        count it as the offer's "1". False for any other key."""
        key = self.digits
        if key not in ("1", "2"):
            return False
        self.lang = "hi" if key == "1" else "en"
        self.state[LANG] = self.lang
        self.lang_chosen = True
        self.keys = "1"
        return True

    # The request --------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return current_helpline().settings

    @property
    def session(self) -> Session:
        return ivr_session()

    @property
    def directory(self) -> Snapshot:
        """Hospitals and departments (reference data, reused for a short time); one
        snapshot per webhook, so a prompt and its retries agree."""
        if "ivr_directory" not in g:
            directory: Directory = current_app.extensions[DIRECTORY]
            g.ivr_directory = directory.snapshot(self.session)
        snapshot: Snapshot = g.ivr_directory
        return snapshot

    @property
    def today(self) -> dt.date:
        """The helpline's local date (``Directory.today``): "today" and "tomorrow" in
        every prompt are counted from it."""
        directory: Directory = current_app.extensions[DIRECTORY]
        return directory.today()

    @property
    def call_sid(self) -> str:
        return (request.form.get("CallSid") or "unknown")[:64]

    @property
    def outbound(self) -> bool:
        """A call the helpline placed (Twilio's ``Direction`` "outbound-api": an offer,
        a follow-up), not one to it ("inbound")."""
        return (request.form.get("Direction") or "").startswith("outbound")

    @property
    def caller(self) -> str:
        """The person on the line: ``From`` on a call to the helpline, ``To`` on a call
        it placed (whose ``From`` is the helpline's own number, which must never be
        logged, texted or promised a callback as theirs)."""
        return (request.form.get("To" if self.outbound else "From") or "")[:32]

    @cached_property
    def caller_mobile(self) -> str | None:
        """The caller's number as an Indian mobile (E.164), or None (withheld, landline)."""
        return try_normalise_mobile(self.caller)

    @cached_property
    def caller_landline(self) -> bool:
        """We see the caller's number and it is no Indian mobile (a landline): it cannot
        get an SMS, though an agent can call it back. False for a withheld number."""
        return self.caller_mobile is None and callback_number(self.caller) is not None

    @property
    def digits(self) -> str:
        """The keys pressed. Anything a keypad cannot send ("²", "١", letters) is one
        wrong key, "?": handlers may trust ``isdigit()`` and ``int()`` to agree."""
        if self.keys is not None:
            return self.keys
        keys = (request.form.get("Digits") or "").strip()[:32]
        return keys if keys.strip(KEYPAD) == "" else "?"

    @property
    def speech(self) -> str:
        return (request.form.get("SpeechResult") or "").strip()[:200]

    @property
    def confidence(self) -> float:
        try:
            return min(1.0, max(0.0, float(request.form.get("Confidence") or 1.0)))
        except ValueError:
            return 0.0

    def read(self, flow: type[S]) -> S:
        """The part of the call's state that ``flow`` owns, typed (``ivr.state``)."""
        return flow.read(self.state)

    # Words --------------------------------------------------------------------
    def t(self, message: str, /, **params: object) -> str:
        """Message ``message`` in the call's language. A retry's first sentence says
        what went wrong and apologises ("Sorry, that is not one of the choices."), so a
        prompt that opens with an apology of its own has a ``<message>.retry`` form
        without it, used then: one apology per answer, never «माफ़ कीजिए … माफ़ कीजिए»."""
        if self.hints and has_message(f"{message}.retry"):
            message = f"{message}.retry"
        return render(self.lang, message, **params)

    def t_number(self, message: str, number: str, /, *, group: int = 4,
                 **params: object) -> list[Words]:
        """Message ``message`` whose ``{number}`` (once or more, also inside a parameter
        holding ``NUMBER_MARK``) is read as a number."""
        params.setdefault("number", NUMBER_MARK)
        pieces = self.t(message, **params).split(NUMBER_MARK)
        out: list[Words] = [pieces[0]]
        for piece in pieces[1:]:
            out += [SpokenNumber(number, group), piece]
        return out

    def say(self, parent: Any, text: str | list[Words], lang: str | None = None) -> None:
        say(parent, text, lang or self.lang, self.settings)

    # Moving on ----------------------------------------------------------------
    def own_state(self, *replaced: FlowState, **changes: Any) -> dict[str, Any]:
        """This step's state without the retry bookkeeping; each of ``replaced`` takes
        the place of its flow's part, and ``changes`` (short keys) are applied last."""
        state = {k: v for k, v in self.state.items() if k not in CONTROL}
        for part in replaced:
            for owned in wire_keys(type(part)):
                state.pop(owned, None)
            state.update(part.wire())
        state.update(changes)
        state[LANG] = self.lang
        if not self.both:
            state.pop(BOTH, None)
        return {k: v for k, v in state.items() if v is not None}

    def url(self, name: str, *parts: FlowState, **state: Any) -> str:
        values = {k: v for part in parts for k, v in part.wire().items()}
        values.update({k: v for k, v in state.items() if v is not None})
        if self.both:
            values[BOTH] = 1
        return step_url(name, {LANG: self.lang, **values})

    def go(self, name: str, *parts: FlowState, intro: Intro | None = None,
           **state: Any) -> VoiceResponse:
        """Answer with step ``name``'s prompt right away (no extra webhook round trip),
        carrying ``parts`` of the state (and ``state``, short keys). Before a language
        is known, the next step is bilingual too, and the main menu is the language menu."""
        if self.both and name == "main":
            name = "language"
        target = STEPS[name]
        values = {k: v for part in parts for k, v in part.wire().items()}
        values.update(state)
        clean = {k: v for k, v in values.items() if v is not None and k not in CONTROL}
        clean.pop(BOTH, None)
        if self.both:
            clean[BOTH] = 1
        return target.prompt(Ctx(target, {LANG: self.lang, **clean},
                                 [*self.then_say, *(intro or [])]))

    def again(self, reason_key: str = "ivr.retry.wrong_key", *, counted: bool = True,
              **params: object) -> VoiceResponse:
        """The same prompt once more after a wrong or missing answer; the fourth time
        the caller goes to an agent (or is offered a callback). An answer that was no
        mistake but cannot be taken (a time that is not free) is not ``counted``: the
        tries stay as they were; the step must bound how often that happens."""
        if counted and self.tries + 1 >= MAX_TRIES:
            return too_many_tries(self)
        state = {**self.own_state(), TRIES: self.tries + 1 if counted else self.tries}
        retry = Ctx(self.step, state, [Later(reason_key, **params)])
        retry.hints = True
        return self.step.prompt(retry)

    def follow(self, option: Option) -> VoiceResponse:
        """Where a declared option leads: a node (with the state it carries) or an action."""
        if option.to.startswith(ACTION_PREFIX):
            return FLOW.actions[option.to[len(ACTION_PREFIX):]](self)
        if option.carry == ALL:
            carried = self.own_state()
        else:
            carried = {k: self.state[k] for k in option.carry if k in self.state}
        return self.go(option.to, **carried, **dict(option.sets))

    def log_menu(self, name: str | None = None, *, retry_too: bool = False) -> None:
        """Add this menu to the call's path (once per visit, not per retry, unless
        ``retry_too``: the agent queue and the ambulance line are logged however reached)."""
        if retry_too or (self.tries == 0 and SILENT not in self.state):
            notes().add_menu(name or self.step.name, self.lang)

    def log_outcome(self, outcome: CallOutcome) -> None:
        """What the call achieved (a final outcome is never replaced by a lesser one)."""
        notes().set_outcome(outcome, self.lang)

    def log_start(self) -> None:
        """This is the call's first webhook: its row in the call log is made."""
        notes().start = True

    def log_done(self) -> None:
        """The answer reports something done for good (a booking, a grievance): it
        stands even when the call log cannot be written."""
        notes().stands = True

    def log_connects(self) -> None:
        """The answer connects the caller (agent queue, ambulance): it stands even when
        the call log cannot be written."""
        notes().stands = True
        notes().connects = True

    def log_stands(self) -> None:
        """The answer works without the database (a callback offer, a callback request
        the spool took): like a connecting answer, it stands when the call log cannot
        be written."""
        notes().stands = True

    def holds(self, name: str) -> bool:
        return FLOW.conditions[name](self)

    def spoken_key(self, key: str, lang: str | None = None) -> str:
        """How ``key`` is said (hash, star); in the English half of a bilingual prompt,
        an option's key is its English number (``english_keys``)."""
        if self.both and (lang or self.lang) == "en":
            key = self.english_keys().get(key, key)
        names = {"#": "ivr.key.hash", "*": "ivr.key.star"}
        return render(lang or self.lang, names[key]) if key in names else key

    def said_options(self, spoken_in: str | None = None) -> list[Option]:
        """This node's options announced now (those said in ``spoken_in``)."""
        first = bool(self.state.get(FIRST))
        return [option for option in self.step.node.keys(self.holds).values()
                if option.spoken_in == spoken_in and (first or not option.first_hearing_only)
                and (option.said_when is None or self.holds(option.said_when))]

    def option_lines(self, spoken_in: str | None = None) -> list[str]:
        """The sentences announcing this node's options (those said in ``spoken_in``)."""
        lang = self.lang if spoken_in in (None, "other") else spoken_in
        if spoken_in == "other":
            lang = OTHER_LANGUAGE[self.lang]
        return [render(lang, option.says, key=self.spoken_key(option.key, lang),
                       **self.option_params)
                for option in self.said_options(spoken_in)]

    def hint_lines(self) -> list[str]:
        """After a wrong key or silence: how to hear the menu again, reach a person and
        go back to the main menu (not read in every menu: it would lengthen every call).

        Each choice is announced once: a hint is left out where one of the node's own
        announced options already leads where its key does (the callback offer's "to
        be called back, press 1" and "for the main menu, press 2" say what "0" and "#"
        would; "to hear the booking number again, press 1" what "*" would), and where
        its key would only bring this same menu back ("0" at the callback offer, which
        is where "0" leads while no agent can take the call)."""
        node = self.step.node
        shared = node.shared()
        if not self.hints or not shared:
            return []
        leads_to = {o.to for o in self.said_options()} | {
            o.to for o in self.said_options("other")}
        lines = []
        number = node.input is Input.NUMBER
        if REPEAT_KEY in shared and node.name not in leads_to:
            # A number being typed has no choices to hear again, only its own question.
            repeat = "ivr.retry.repeat_number" if number else "ivr.retry.repeat"
            lines.append(self.t(repeat, key=self.spoken_key(REPEAT_KEY)))
        zero = shared.get(AGENT_KEY)
        if zero == "agent":
            # Where the caller would be offered a callback (off duty, nobody signed in,
            # a long wait: routing's own rule), "0" leads to the callback offer.
            agent_now = self.holds("zero_reaches_agent")
            zero_reaches = "agent" if agent_now else "callback"
            if zero_reaches != node.name and zero_reaches not in leads_to:
                agent = "ivr.retry.agent" if agent_now else "ivr.retry.agent_callback"
                lines.append(self.t(agent, key=AGENT_KEY))
        elif zero is not None and zero not in leads_to:
            # Where "0" goes back to the callback offer, the hint says so.
            lines.append(self.t("ivr.retry.back_to_offer", key=AGENT_KEY))
        main = MAIN_KEYS_IN_A_NUMBER if number else MAIN_KEY
        if main in shared and "main" not in leads_to and main not in node.keys(self.holds):
            lines.append(self.t("ivr.retry.main_number") if number
                         else self.t("ivr.opt.main", key=self.spoken_key(MAIN_KEY)))
        return lines

    def menu(self, lines: Lines | Callable[[Ctx], Lines], *, hints: list[str] | None = None,
             log_as: str | None = None, state: dict[str, Any] | None = None,
             with_options: bool = True, silence_to: str | None = None) -> VoiceResponse:
        """A ``<Gather>`` around the prompt and the node's declared options (keys
        pressed while it plays count), then the explicit no-input path: a
        ``<Redirect>`` back here with one more try counted."""
        self.log_menu(log_as)
        node = self.step.node
        own = state if state is not None else self.own_state()
        number = node.input is Input.NUMBER
        response = VoiceResponse()
        gather = response.gather(
            input="dtmf speech" if hints else "dtmf",
            action=step_url(self.step.name, {**own, INPUT: 1, TRIES: self.tries}),
            method="POST",
            timeout=NUMBER_TIMEOUT if number else MENU_TIMEOUT,
            num_digits=node.digits if number else 1,
            language=SPEECH_LANGUAGES[self.lang],
            # A one-key menu takes # as a key (back to the main menu); a number ends with it.
            finish_on_key="#" if number else "",
            hints=", ".join(list(dict.fromkeys(h for h in (hints or []) if h))[:90]) or None,
            speech_timeout="auto" if hints else None,
        )
        for half in self.halves():
            words: list[str | list[Words]] = list(half.intro)
            if self.state.get(SILENT):
                words.append(half.t("ivr.retry.silence"))
            words.extend(lines(half) if callable(lines) else lines)
            if with_options:
                words.extend(half.option_lines())
            words.extend(half.hint_lines())
            half.say(gather, sentences(words))
        # The other language's own option (the main menu's switch): never needed while
        # both are said.
        other = self.option_lines("other") if with_options and not self.both else []
        if other:
            self.say(gather, " ".join(other), OTHER_LANGUAGE[self.lang])
        if silence_to:
            response.redirect(step_url(silence_to, {LANG: self.lang, **(
                {"fault": True} if silence_to == "agent" else {}), **(
                {BOTH: 1} if self.both else {})}), method="POST")
        else:
            response.redirect(step_url(self.step.name, {**own, TRIES: self.tries + 1,
                                                        SILENT: 1}), method="POST")
        return response

    def speak(self, lines: list[str] | Callable[[Ctx], list[str]]) -> VoiceResponse:
        """Words with no input (the last words of a call, or before a connection); in
        both languages while the caller's is not known."""
        response = VoiceResponse()
        for half in self.halves():
            said: Lines = [*half.intro, *(lines(half) if callable(lines) else lines)]
            plain = [w for w in said if isinstance(w, str)]
            half.say(response, " ".join(plain) if len(plain) == len(said) else sentences(said))
        return response


def too_many_tries(ctx: Ctx) -> VoiceResponse:
    """The node's declared exit after three silences or wrong keys (the agent queue,
    or goodbye where the caller was already offered a person)."""
    log.info("caller %s ran out of tries at %s", mask_phone(ctx.caller_mobile), ctx.step.name)
    target = ctx.step.node.give_up
    if target == "goodbye":
        return goodbye(ctx)
    if target == "agent":
        return ctx.go(target, intro=[Later("ivr.retry.giving_up")])
    return ctx.go(target, **ctx.own_state())


def goodbye(ctx: Ctx) -> VoiceResponse:
    response = ctx.speak(lambda half: [half.t("ivr.goodbye")])
    response.hangup()
    return response


def apology(lang: str | None) -> VoiceResponse:
    """What a caller hears when the database or Redis fails: sorry, in their language
    (both when we do not know it yet), a key for a callback, else the agent queue."""
    settings = current_helpline().settings
    langs = [lang] if lang else ["hi", "en"]
    response = VoiceResponse()
    state: dict[str, object] = {LANG: langs[0], "why": "fault", INPUT: 1}
    if not lang:
        state[PICKS_LANGUAGE] = 1  # 1 for Hindi, 2 for English (``pick_language_by_key``)
    gather = response.gather(
        input="dtmf", num_digits=1, timeout=MENU_TIMEOUT, method="POST",
        action=step_url("callback", state), language=SPEECH_LANGUAGES[langs[0]],
    )
    for each in langs:
        key = "ivr.apology_press_2" if not lang and each == "en" else "ivr.apology"
        say(gather, render(each, key), each, settings)
    response.redirect(step_url("agent", {LANG: langs[0], "fault": True}), method="POST")
    return response


def _write_call_log(ctx: Ctx) -> bool:
    """Write what this webhook noted. False when the database failed and the caller
    should hear the apology instead (as with any other database failure), unless the
    answer connects them to a person or the ambulance or reports something done."""
    taken = take_notes()
    if taken is None:
        return True
    try:
        try:
            write_notes(ctx.session, ctx.call_sid, ctx.caller, taken, outbound=ctx.outbound)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            _rollback()  # the pooled connection had been dropped: once more on a new one
            write_notes(ctx.session, ctx.call_sid, ctx.caller, taken, outbound=ctx.outbound)
    except BACKEND_ERRORS:
        log.exception("could not write the call log of step %s", ctx.step.name)
        _rollback()
        return taken.stands
    return True


def _rollback() -> None:
    try:
        ivr_session().rollback()
    except Exception:  # the connection itself may be gone; the request ends anyway
        log.debug("rollback after a backend error failed", exc_info=True)


def _dispatch(s: Step, ctx: Ctx, expects_input: bool) -> VoiceResponse:
    node = s.node
    if not node.managed:
        return s.handle(ctx) if expects_input and s.handle else s.prompt(ctx)
    if expects_input:
        option = ctx.option_for_key() if not ctx.speech else None
        if option is not None:
            return ctx.follow(option)
        shared = node.shared().get(ctx.digits)
        if shared == node.name:  # * : the same menu again, tries kept
            return s.prompt(Ctx(s, ctx.own_state() | {TRIES: ctx.tries}))
        if shared is not None and shared == node.zero_to != "agent":
            return ctx.go(shared, **ctx.own_state())  # back to the offer, as it was
        if shared is not None:
            return ctx.go(shared)
        if not ctx.digits and not ctx.speech:
            return ctx.again("ivr.retry.silence")
        if s.handle is not None:
            return s.handle(ctx)
        return ctx.again()
    if ctx.state.get(SILENT):
        if node.on_silence == "goodbye":
            return goodbye(ctx)
        if node.on_silence:
            return ctx.go(node.on_silence)
        if ctx.tries >= MAX_TRIES:
            return too_many_tries(ctx)
    return s.prompt(ctx)


def _view(s: Step) -> Callable[[], Response]:
    @twilio_signed
    def view() -> Response:
        state = read_state(request.args.get("s", ""))
        if state is None:
            state = {}
        expects_input = bool(state.pop(INPUT, None))
        picks_language = bool(state.pop(PICKS_LANGUAGE, None))
        # A language is known once chosen or remembered; a bilingual step carries one
        # ("hi") for its URLs, not as the caller's.
        lang_known = LANG in state and not state.get(BOTH)
        current = s
        if s.needs_state and LANG not in state:
            # A missing or forged state: start this caller again from the top.
            current, expects_input = STEPS["voice"], False
        ctx = Ctx(current, dict(state))
        if picks_language and expects_input and not ctx.pick_language_by_key():
            # Not a key the apology offered, and the language is still not known: the
            # apology again, in both languages (silence there still reaches an agent).
            return twiml(apology(None))
        try:
            try:
                answer = _dispatch(current, ctx, expects_input)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                # A pooled connection the server had dropped (no pre-ping), found on its
                # first use: the pool has discarded it, so answer once more.
                log.info("IVR step %s: a dropped database connection, retried", current.name)
                take_notes()
                _rollback()
                ctx = Ctx(current, dict(state))
                answer = _dispatch(current, ctx, expects_input)
        except BACKEND_ERRORS as exc:
            # An outage is expected, and its traceback says nothing new: one line per
            # webhook (the driver's own first line, never the statement's parameters).
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            log.error("IVR step %s failed on the database or Redis: %s", current.name, reason)
            take_notes()  # the database just failed: answer at once
            _rollback()
            return twiml(apology(ctx.lang if lang_known or ctx.lang_chosen else None))
        except DomainError as exc:
            log.info("IVR step %s: %s", current.name, exc.code)
            _rollback()
            answer = ctx.go("main", intro=[ctx.t("ivr.not_possible")])
        if not _write_call_log(ctx):
            return twiml(apology(ctx.lang if lang_known or ctx.lang_chosen else None))
        return twiml(answer)

    view.__name__ = f"ivr_{s.name.replace('.', '_')}"
    return view
