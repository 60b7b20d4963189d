"""How every IVR step works: state signed into the URL, one prompt, one input handler,
and the rules all menus share (``*`` repeats, ``0`` reaches an agent, no input or a
wrong key is retried, at most three tries).

No call state lives in a process: what a step needs (language, tries, chosen hospital,
...) travels in the ``s`` query parameter of the action and redirect URLs, encrypted
and authenticated with a key derived from ``SECRET_KEY`` (Fernet: AES-CBC and
HMAC-SHA256), so any web process can answer any webhook of any call, and the URLs that
Twilio's logs and any proxy's access log keep show nothing of it (the mobile or ABHA
number of someone booked for).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import zlib
from collections.abc import Callable
from functools import cached_property, lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import Blueprint, Response, current_app, g, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from booking_core.base import DomainError
from booking_core.phones import mask_phone, try_normalise_mobile
from contact_centre.models import CallOutcome
from helpline.app import current_helpline, get_session
from helpline.settings import Settings
from helpline.twilio_auth import twilio_signed
from ivr.call_notes import notes, take_notes, write_notes
from ivr.directory import Directory, Snapshot
from locales import SPEECH_LANGUAGES, normalise_language, render

log = logging.getLogger(__name__)

bp = Blueprint("ivr", __name__, url_prefix="/ivr")

MAX_TRIES = 3
KEYPAD = "0123456789*#"
MENU_TIMEOUT = 6  # seconds of silence before the no-input path
NUMBER_TIMEOUT = 10  # typing a 10- or 14-digit number takes longer
# Control keys in the state: language, tries, "came back after silence", "expects input".
LANG, TRIES, SILENT, INPUT = "l", "t", "r", "i"
CONTROL = {LANG, TRIES, SILENT, INPUT}
# The app extension holding the hospital and department lists (``ivr.directory``).
DIRECTORY = "ivr.directory"
# Failures of the database or Redis: the caller hears an apology, never a 500.
BACKEND_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, RedisError, OSError)


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    """The state's key: derived from ``SECRET_KEY`` for this one use, so it is never
    the key that signs sessions or tokens."""
    key = hmac.new(secret_key.encode(), b"ivr-state encryption", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def sign_state(state: dict[str, Any]) -> str:
    """``state`` encrypted and authenticated for a URL (compressed JSON in a Fernet
    token, its base64 padding dropped)."""
    data = zlib.compress(json.dumps(state, separators=(",", ":")).encode())
    token = _fernet(current_helpline().settings.secret_key).encrypt(data)
    return token.decode("ascii").rstrip("=")


def read_state(token: str) -> dict[str, Any] | None:
    """The state a URL carries, or None when it is missing, forged, made with
    another key, or junk."""
    if not token or len(token) > 2000 or not token.isascii():
        return None
    padded = token + "=" * (-len(token) % 4)
    try:
        data = _fernet(current_helpline().settings.secret_key).decrypt(padded.encode())
        value = json.loads(zlib.decompress(data))
    except (InvalidToken, ValueError, zlib.error):
        return None
    return value if isinstance(value, dict) else None


def step_url(name: str, state: dict[str, Any]) -> str:
    """The absolute public URL of step ``name`` carrying ``state``: Twilio requests it
    and signs exactly this URL."""
    base = current_helpline().settings.public_base_url.rstrip("/")
    return f"{base}{bp.url_prefix}{STEPS[name].rule}?s={sign_state(state)}"


def say(parent: Any, text: str, lang: str, settings: Settings) -> None:
    """A ``<Say>`` with the voice made for ``lang`` (a mismatched voice fails on Twilio)."""
    voice = settings.voice_hi if lang == "hi" else settings.voice_en
    parent.say(text, voice=voice, language=SPEECH_LANGUAGES[lang])


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), status=200, mimetype="text/xml")


class Step:
    """One webhook of the call flow: ``prompt`` says something (usually a menu), and
    ``handle`` acts on the caller's keys or speech."""

    def __init__(self, name: str, rule: str, prompt: Callable[[Ctx], VoiceResponse], *,
                 universal_keys: bool, ends_on_silence: bool, needs_state: bool,
                 managed: bool) -> None:
        self.name = name
        self.rule = rule
        self.prompt = prompt
        self.handle: Callable[[Ctx], VoiceResponse] | None = None
        self.universal_keys = universal_keys
        self.ends_on_silence = ends_on_silence
        self.needs_state = needs_state
        # Unmanaged steps (the queue's wait and result webhooks) get no retry rules.
        self.managed = managed

    def on_input(self, handler: Callable[[Ctx], VoiceResponse]) -> Callable[[Ctx], VoiceResponse]:
        self.handle = handler
        return handler


STEPS: dict[str, Step] = {}


def step(name: str, rule: str | None = None, *, universal_keys: bool = True,
         ends_on_silence: bool = False, needs_state: bool = True, managed: bool = True
         ) -> Callable[[Callable[[Ctx], VoiceResponse]], Step]:
    """Register a step at ``/ivr/<rule>`` (default: the name with dots as slashes)."""

    def register(prompt: Callable[[Ctx], VoiceResponse]) -> Step:
        s = Step(name, rule or "/" + name.replace(".", "/"), prompt,
                 universal_keys=universal_keys, ends_on_silence=ends_on_silence,
                 needs_state=needs_state, managed=managed)
        STEPS[name] = s
        bp.add_url_rule(s.rule, endpoint=name.replace(".", "_"), view_func=_view(s),
                        methods=["POST"])
        return s

    return register


class Ctx:
    """What one step sees of the call: its state, the caller's input, the database."""

    def __init__(self, step: Step, state: dict[str, Any], intro: list[str] | None = None):
        self.step = step
        self.state = state
        self.lang = normalise_language(state.get(LANG))
        try:
            self.tries = max(0, int(state.get(TRIES, 0)))
        except (TypeError, ValueError):
            self.tries = 0
        self.intro = list(intro or [])
        # Set once the caller has picked a language in this webhook: an apology after a
        # failure later in the same webhook is then said in it alone.
        self.lang_chosen = False

    # The request --------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return current_helpline().settings

    @property
    def session(self) -> Session:
        return get_session()

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
    def call_sid(self) -> str:
        return (request.form.get("CallSid") or "unknown")[:64]

    @property
    def caller(self) -> str:
        return (request.form.get("From") or "")[:32]

    @cached_property
    def caller_mobile(self) -> str | None:
        """The caller's number as an Indian mobile (E.164), or None (withheld, landline)."""
        return try_normalise_mobile(self.caller)

    @property
    def digits(self) -> str:
        """The keys pressed. Anything a keypad cannot send ("²", "١", letters) is one
        wrong key, "?": handlers may trust ``isdigit()`` and ``int()`` to agree."""
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

    def get(self, key: str, default: Any = None) -> Any:
        return self.state.get(key, default)

    def num(self, key: str) -> int | None:
        value = self.state.get(key)
        return value if isinstance(value, int) else None

    # Words --------------------------------------------------------------------
    def t(self, message: str, /, **params: object) -> str:
        return render(self.lang, message, **params)

    def say(self, parent: Any, text: str, lang: str | None = None) -> None:
        say(parent, text, lang or self.lang, self.settings)

    # Moving on ----------------------------------------------------------------
    def own_state(self, **changes: Any) -> dict[str, Any]:
        """This step's state without the retry bookkeeping, with ``changes``."""
        state = {k: v for k, v in self.state.items() if k not in CONTROL}
        state.update(changes)
        state[LANG] = self.lang
        return {k: v for k, v in state.items() if v is not None}

    def url(self, name: str, **state: Any) -> str:
        return step_url(name, {LANG: self.lang, **{k: v for k, v in state.items()
                                                   if v is not None}})

    def go(self, name: str, intro: list[str] | None = None, **state: Any) -> VoiceResponse:
        """Answer with step ``name``'s prompt right away (no extra webhook round trip)."""
        target = STEPS[name]
        clean = {k: v for k, v in state.items() if v is not None and k not in CONTROL}
        return target.prompt(Ctx(target, {LANG: self.lang, **clean}, intro))

    def again(self, reason_key: str = "ivr.retry.wrong_key", **params: object) -> VoiceResponse:
        """The same prompt once more after a wrong or missing answer; the fourth time
        the caller goes to an agent (or is offered a callback)."""
        if self.tries + 1 >= MAX_TRIES:
            return too_many_tries(self)
        state = {**self.own_state(), TRIES: self.tries + 1}
        return self.step.prompt(Ctx(self.step, state, [self.t(reason_key, **params)]))

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

    def log_connects(self) -> None:
        """The answer connects the caller (agent queue, ambulance): it stands even when
        the call log cannot be written."""
        notes().connects = True

    def log_stands(self) -> None:
        """The answer works without the database (a callback offer, a callback request
        the spool took): like a connecting answer, it stands when the call log cannot
        be written."""
        notes().connects = True

    def menu(self, lines: list[str], *, hints: list[str] | None = None, num_digits: int = 1,
             timeout: int = MENU_TIMEOUT, finish_on_key: str | None = None,
             other_language: tuple[str, str] | None = None, log_as: str | None = None,
             state: dict[str, Any] | None = None) -> VoiceResponse:
        """A ``<Gather>`` around the prompt (keys pressed while it plays count), then the
        explicit no-input path: a ``<Redirect>`` back here with one more try counted."""
        self.log_menu(log_as)
        own = state if state is not None else self.own_state()
        response = VoiceResponse()
        gather = response.gather(
            input="dtmf speech" if hints else "dtmf",
            action=step_url(self.step.name, {**own, INPUT: 1, TRIES: self.tries}),
            method="POST",
            timeout=timeout,
            num_digits=num_digits,
            language=SPEECH_LANGUAGES[self.lang],
            finish_on_key=finish_on_key,
            hints=", ".join(list(dict.fromkeys(h for h in (hints or []) if h))[:90]) or None,
            speech_timeout="auto" if hints else None,
        )
        words = list(self.intro)
        if self.state.get(SILENT):
            words.append(self.t("ivr.retry.silence"))
        words.extend(lines)
        self.say(gather, " ".join(w for w in words if w))
        if other_language:
            self.say(gather, other_language[1], other_language[0])
        response.redirect(step_url(self.step.name, {**own, TRIES: self.tries + 1, SILENT: 1}),
                          method="POST")
        return response

    def speak(self, lines: list[str]) -> VoiceResponse:
        response = VoiceResponse()
        self.say(response, " ".join([*self.intro, *lines]))
        return response


def too_many_tries(ctx: Ctx) -> VoiceResponse:
    log.info("caller %s ran out of tries at %s", mask_phone(ctx.caller_mobile), ctx.step.name)
    return ctx.go("agent", intro=[ctx.t("ivr.retry.giving_up")])


def goodbye(ctx: Ctx) -> VoiceResponse:
    response = VoiceResponse()
    ctx.say(response, ctx.t("ivr.goodbye"))
    response.hangup()
    return response


def apology(lang: str | None) -> VoiceResponse:
    """What a caller hears when the database or Redis fails: sorry, in their language
    (both when we do not know it yet), a key for a callback, else the agent queue."""
    settings = current_helpline().settings
    langs = [lang] if lang else ["hi", "en"]
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf", num_digits=1, timeout=MENU_TIMEOUT, method="POST",
        action=step_url("callback", {LANG: langs[0], "why": "fault", INPUT: 1}),
        language=SPEECH_LANGUAGES[langs[0]],
    )
    for each in langs:
        say(gather, render(each, "ivr.apology"), each, settings)
    response.redirect(step_url("agent", {LANG: langs[0], "fault": 1}), method="POST")
    return response


def _write_call_log(ctx: Ctx) -> bool:
    """Write what this webhook noted. False when the database failed and the caller
    should hear the apology instead (as with any other database failure), unless the
    answer connects them to a person or the ambulance."""
    taken = take_notes()
    if taken is None:
        return True
    try:
        write_notes(ctx.session, ctx.call_sid, ctx.caller, taken)
    except BACKEND_ERRORS:
        log.exception("could not write the call log of step %s", ctx.step.name)
        _rollback()
        return taken.connects
    return True


def _rollback() -> None:
    try:
        get_session().rollback()
    except Exception:  # the connection itself may be gone; the request ends anyway
        log.debug("rollback after a backend error failed", exc_info=True)


def _dispatch(s: Step, ctx: Ctx, expects_input: bool) -> VoiceResponse:
    if not s.managed:
        return s.handle(ctx) if expects_input and s.handle else s.prompt(ctx)
    if expects_input and s.handle is not None:
        if s.universal_keys and ctx.digits == "*":
            return s.prompt(Ctx(s, ctx.own_state() | {TRIES: ctx.tries}))
        if s.universal_keys and ctx.digits == "0":
            return ctx.go("agent")
        if not ctx.digits and not ctx.speech:
            return ctx.again("ivr.retry.silence")
        return s.handle(ctx)
    if ctx.state.get(SILENT):
        if s.ends_on_silence:
            return goodbye(ctx)
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
        lang_known = LANG in state
        current = s
        if s.needs_state and not lang_known:
            # A missing or forged state: start this caller again from the top.
            current, expects_input = STEPS["voice"], False
        ctx = Ctx(current, state)
        try:
            answer = _dispatch(current, ctx, expects_input)
        except BACKEND_ERRORS:
            log.exception("IVR step %s failed on the database or Redis", current.name)
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
