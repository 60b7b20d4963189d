"""The call's front door: greeting and language, the main menu, emergency, the status
callback, and a static endpoint for benchmarks."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from booking_core.base import whole_number
from booking_core.citizens import remember_language
from booking_core.demand import known_caller
from contact_centre.call_log import finish_call
from contact_centre.models import CallOutcome
from helpline.app import current_helpline
from helpline.twilio_auth import twilio_signed
from ivr.call_notes import live_path
from ivr.engine import action, condition
from ivr.flow import (
    BACKEND_ERRORS,
    BOTH,
    FIRST,
    INPUT,
    LANG,
    MENU_TIMEOUT,
    OTHER_LANGUAGE,
    SILENT,
    TRIES,
    Ctx,
    _rollback,
    bp,
    goodbye,
    ivr_session,
    step,
    step_url,
    twiml,
)
from ivr.speech import say
from ivr.state import Choosing
from locales import LANGUAGES, SPEECH_LANGUAGES, render

log = logging.getLogger(__name__)

@step("voice", "/voice", needs_state=False)
def incoming_call(ctx: Ctx) -> VoiceResponse:
    """A new call: a known caller goes straight to the main menu in their language."""
    ctx.log_start()
    caller = known_caller(ctx.session, ctx.caller_mobile) if ctx.caller_mobile else None
    if caller is None or caller.language not in LANGUAGES:
        return ctx.go("language", **{FIRST: 1})
    ctx.lang = caller.language
    # What the call needs later about the caller (their last hospital and department)
    # travels with it.
    return ctx.go("main", Choosing(last_hospital=caller.last_hospital_id,
                                   last_department=caller.last_department_id),
                  intro=[ctx.t("ivr.welcome_back")], **{FIRST: 1})


@step("language")
def language_menu(ctx: Ctx) -> VoiceResponse:
    """The greeting, in Hindi then English: each language's own sentences and keys
    (the emergency key first in both). The welcome is said once, as the call's first
    words: a retry (a wrong key, silence), ``*`` and a way back to it before a language
    is chosen say the sorry, if any, and the choice alone, still in both languages and
    with ``9`` first."""
    ctx.log_menu()
    response = VoiceResponse()
    # No language is known here: the keys that lead on from this menu (0, 9, three
    # wrong keys) keep saying everything in both (``BOTH``) until one is chosen.
    own = {LANG: "hi", BOTH: 1}
    gather = response.gather(input="dtmf", action=step_url("language", {
        **own, INPUT: 1, TRIES: ctx.tries}), method="POST", timeout=MENU_TIMEOUT, num_digits=1,
        language=SPEECH_LANGUAGES["hi"], finish_on_key="")
    for lang in ctx.step.node.languages:
        # The intro (a retry's "sorry") in each language's own words.
        half = ctx.in_language(lang)
        words = [str(w) for w in half.intro]
        if ctx.state.get(SILENT):
            words.append(render(lang, "ivr.retry.silence"))
        if ctx.state.get(FIRST):
            words += [render(lang, key) for key in ctx.step.node.says]
        words += [render(lang, option.says, key=option.key) for option in ctx.step.node.options
                  if option.spoken_in in (None, lang)]
        say(gather, " ".join(words), lang, ctx.settings)
    response.redirect(step_url("language", {**own, TRIES: ctx.tries + 1, SILENT: 1}),
                      method="POST")
    return response


@action("hindi")
def hindi_chosen(ctx: Ctx) -> VoiceResponse:
    return _switch_to(ctx, "hi")


@action("english")
def english_chosen(ctx: Ctx) -> VoiceResponse:
    return _switch_to(ctx, "en")


@action("switch_language")
def other_language(ctx: Ctx) -> VoiceResponse:
    return _switch_to(ctx, OTHER_LANGUAGE[ctx.lang], greeted=False)


@condition("other_language_offered")
def other_language_offered(ctx: Ctx) -> bool:
    """The main menu says its switch to the other language (``8``) except on its first
    hearing right after the caller chose this one at the greeting: they have just made
    that choice, and the sentence would lengthen every first call. After a wrong key or
    silence, after a switch (the way back) and to a caller whose language was
    remembered, it is said. The key works either way."""
    return not (ctx.read(Choosing).greeted and ctx.tries == 0)


def _switch_to(ctx: Ctx, lang: str, *, greeted: bool = True) -> VoiceResponse:
    known = ctx.read(Choosing)
    last_hospital = known.last_hospital
    # Chosen before it is stored: if storing it fails, the apology is in this language.
    ctx.lang, ctx.lang_chosen = lang, True
    if ctx.caller_mobile:
        last_hospital = remember_language(ctx.session, ctx.caller_mobile, lang)
    # The department of their last booking stays unknown (None) unless the call's
    # first webhook read it: booking looks it up then, if they have a last hospital.
    return ctx.go("main", Choosing(last_hospital=last_hospital or 0,
                                   last_department=known.last_department, greeted=greeted))


@step("main")
def main_menu(ctx: Ctx) -> VoiceResponse:
    return ctx.menu([])


@action("emergency")
def to_the_ambulance(ctx: Ctx) -> VoiceResponse:
    return ctx.go("emergency")


@step("goodbye")
def say_goodbye(ctx: Ctx) -> VoiceResponse:
    return goodbye(ctx)


@step("emergency")
def emergency(ctx: Ctx) -> VoiceResponse:
    """``9``: straight to the ambulance line (the call log is written after the answer
    is ready, and a failure to write it does not stop the call)."""
    number = ctx.settings.ambulance_number
    response = ctx.speak(lambda half: [half.t("ivr.emergency", number=" ".join(number))])
    response.dial(number)
    ctx.log_menu("emergency", retry_too=True)
    ctx.log_connects()
    ctx.log_outcome(CallOutcome.EMERGENCY)
    return response


ENDED_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@bp.post("/status")
@twilio_signed
def call_status() -> Response:
    """Twilio's status callback: the call's final status and duration."""
    record_call_status(request.form)
    return twiml(VoiceResponse())


def record_call_status(form: Mapping[str, str], *, placed: bool = False) -> None:
    """A status callback's news for the call log (status, duration, the whole path from
    the live path) and, once the call ended, for agent routing (an agent it reached goes
    into wrap-up). ``placed``: a call the helpline placed (``/calls/status``), logged
    only if its person asked for an agent; its ``From`` is the helpline's number."""
    routed = True  # not knowing, the agent routing may concern is freed anyway
    call_sid = (form.get("CallSid") or "unknown")[:64]
    path, language = live_path(call_sid)
    try:
        routed = finish_call(ivr_session(), call_sid,
                             status=(form.get("CallStatus") or "unknown")[:20],
                             duration_seconds=whole_number(form.get("CallDuration")),
                             from_phone=None if placed else form.get("From"),
                             path=path, language=language, placed=placed)
    except BACKEND_ERRORS:
        log.exception("could not record a call status")
        _rollback()
    if routed and (form.get("CallStatus") or "") in ENDED_STATUSES:
        from ivr.agent import caller_hung_up

        caller_hung_up(call_sid)


@bp.post("/ping")
@twilio_signed
def static_ping() -> Response:
    """Fixed TwiML behind the same signature check as every webhook, with no database
    work: the benchmarks' yardstick for what Flask, twilio's ``RequestValidator`` and
    its TwiML builder cost under the same gunicorn (``bench/ivr_load.py``)."""
    action = step_url_of("/ping")
    response = VoiceResponse()
    gather = response.gather(input="dtmf", action=action, method="POST", num_digits=1,
                             timeout=MENU_TIMEOUT, language=SPEECH_LANGUAGES["en"])
    say(gather, render("en", "ivr.ping"), "en", current_helpline().settings)
    response.redirect(action, method="POST")
    return twiml(response)


def step_url_of(path: str) -> str:
    """The public URL of ``/ivr<path>`` (what Twilio signs)."""
    return f"{current_helpline().settings.public_base_url.rstrip('/')}{bp.url_prefix}{path}"
