"""The call's front door: greeting and language, the main menu, emergency, the status
callback, and a static endpoint for benchmarks."""

from __future__ import annotations

import logging

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from booking_core.base import whole_number
from booking_core.citizens import find_citizen, remember_language
from contact_centre.call_log import finish_call
from contact_centre.models import CallOutcome
from helpline.twilio_auth import twilio_signed
from ivr.agent import agents_on_duty
from ivr.flow import BACKEND_ERRORS, LANG, Ctx, bp, step, twiml
from locales import LANGUAGES, render

log = logging.getLogger(__name__)

OTHER = {"hi": "en", "en": "hi"}


@step("voice", "/voice", needs_state=False)
def incoming_call(ctx: Ctx) -> VoiceResponse:
    """A new call: a known caller goes straight to the main menu in their language."""
    ctx.log_start()
    known = None
    if ctx.caller_mobile:
        citizen = find_citizen(ctx.session, ctx.caller_mobile)
        if citizen is not None and citizen.preferred_language in LANGUAGES:
            known = citizen.preferred_language
    if known is None:
        return ctx.go("language")
    ctx.lang = known
    return ctx.go("main", intro=[ctx.t("ivr.welcome_back")])


@step("language")
def language_menu(ctx: Ctx) -> VoiceResponse:
    hindi = render("hi", "ivr.language.prompt")
    english = render("en", "ivr.language.prompt")
    ctx.lang = "hi"
    return ctx.menu([hindi], other_language=("en", english), state={LANG: "hi"})


@language_menu.on_input
def language_chosen(ctx: Ctx) -> VoiceResponse:
    choice = {"1": "hi", "2": "en"}.get(ctx.digits)
    if choice is None:
        return ctx.again()
    return _switch_to(ctx, choice)


def _switch_to(ctx: Ctx, lang: str) -> VoiceResponse:
    # Chosen before it is stored: if storing it fails, the apology is in this language.
    ctx.lang, ctx.lang_chosen = lang, True
    if ctx.caller_mobile:
        remember_language(ctx.session, ctx.caller_mobile, lang)
    return ctx.go("main")


@step("main")
def main_menu(ctx: Ctx) -> VoiceResponse:
    agent_line = "ivr.main.agent" if agents_on_duty(ctx.settings) else "ivr.main.callback"
    other = OTHER[ctx.lang]
    return ctx.menu([ctx.t("ivr.main.menu"), ctx.t(agent_line), ctx.t("ivr.repeat_hint")],
                    other_language=(other, render(other, "ivr.main.switch_language")))


@main_menu.on_input
def main_choice(ctx: Ctx) -> VoiceResponse:
    match ctx.digits:
        case "1":
            return ctx.go("pick.hospital", f="book")
        case "2":
            return ctx.go("beds")
        case "3":
            return ctx.go("griev.category")
        case "4":
            return ctx.go("mine")
        case "9":
            return emergency(ctx)
        case "8":
            return _switch_to(ctx, OTHER[ctx.lang])
    return ctx.again()


def emergency(ctx: Ctx) -> VoiceResponse:
    """``9``: straight to the ambulance line (the call log is written after the answer
    is ready, and a failure to write it does not stop the call)."""
    number = ctx.settings.ambulance_number
    response = VoiceResponse()
    ctx.say(response, ctx.t("ivr.emergency", number=" ".join(number)))
    response.dial(number)
    ctx.log_menu("emergency", retry_too=True)
    ctx.log_connects()
    ctx.log_outcome(CallOutcome.EMERGENCY)
    return response


@bp.post("/status")
@twilio_signed
def call_status() -> Response:
    """Twilio's status callback: the call's final status and duration."""
    from helpline.app import get_session

    form = request.form
    duration = whole_number(form.get("CallDuration"))
    try:
        finish_call(get_session(), (form.get("CallSid") or "unknown")[:64],
                    status=(form.get("CallStatus") or "unknown")[:20],
                    duration_seconds=duration, from_phone=form.get("From"))
    except BACKEND_ERRORS:
        log.exception("could not record a call status")
    return twiml(VoiceResponse())


@bp.route("/ping", methods=["GET", "POST"])
def static_ping() -> Response:
    """Fixed TwiML with no signature check and no database work: the benchmark's
    yardstick for what the web stack alone costs."""
    response = VoiceResponse()
    gather = response.gather(input="dtmf", action="/ivr/ping", method="POST", num_digits=1,
                             timeout=6, language="en-IN")
    gather.say(render("en", "ivr.ping"), voice="Polly.Aditi", language="en-IN")
    response.redirect("/ivr/ping", method="POST")
    return twiml(response)
