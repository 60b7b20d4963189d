"""Reaching a person: the agent queue (``<Enqueue>``), what callers hear while they
wait, and callback requests (outside service hours, on a long wait, on request, or when
our own systems fail)."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import replace
from zoneinfo import ZoneInfo

from flask import g, request
from twilio.twiml.voice_response import VoiceResponse

from booking_core.base import utcnow, whole_number
from booking_core.phones import (
    InvalidMobile,
    callback_number,
    last_digits,
    mask_phone,
    normalise_mobile,
)
from contact_centre.call_queue import (
    QueueEstimate,
    estimate_queue,
    mark_queued,
    note_queue_exit,
    record_queue_result,
)
from contact_centre.callbacks import request_callback
from contact_centre.models import AGENT_QUEUE_NAME
from contact_centre.routing import connect_waiting_callers, end_routed_call
from helpline.app import current_helpline, get_session
from helpline.settings import Settings
from helpline.spool import CALLBACK_REQUEST
from ivr.engine import REPEAT_KEY, action, condition
from ivr.flow import BACKEND_ERRORS, INPUT, LANG, Ctx, Later, _rollback, step, step_url
from ivr.speech import Words
from ivr.state import Agent
from locales.formatting import format_number, spoken_time

log = logging.getLogger(__name__)

# What one caller ahead in the queue adds to the wait we announce.
SECONDS_PER_CALLER_AHEAD = 120
WAIT_ANNOUNCE_EVERY = 20  # seconds between position announcements


def agent_hours(settings: Settings) -> tuple[dt.time, dt.time]:
    """``AGENT_HOURS`` ("08:00-20:00", local time); a malformed value means always."""
    try:
        start, end = (dt.time.fromisoformat(part.strip())
                      for part in settings.agent_hours.split("-", 1))
    except ValueError:
        log.warning("AGENT_HOURS %r is not HH:MM-HH:MM; treating agents as always on",
                    settings.agent_hours)
        return dt.time(0, 0), dt.time(0, 0)
    return start, end


def agents_on_duty(settings: Settings, now: dt.datetime | None = None) -> bool:
    start, end = agent_hours(settings)
    if start == end:
        return True
    local = (now or utcnow()).astimezone(ZoneInfo(settings.helpline_timezone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # hours across midnight


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def callback_first(ctx: Ctx) -> Agent | None:
    """Whether a caller asking for a person now ("0", or a menu's give-up) is offered a
    callback instead of the queue, and why (``Agent.why``): outside ``AGENT_HOURS``
    (``after_hours``), nobody signed in to answer (``no_agent``: no agent available, on
    a call or in wrap-up), or an expected wait over ``IVR_LONG_WAIT_SECONDS``
    (``long_wait``); None: into the queue. The one rule: ``to_agent`` routes by it and
    every prompt announcing "0" (the retry hint, a complaint status's "press 0") says
    what it will do by it (``zero_reaches_agent``). A caller who chose to wait anyway,
    or whom our own fault sends to the queue, is queued."""
    if not agents_on_duty(ctx.settings):
        return Agent(why="after_hours")
    agent = ctx.read(Agent)
    if agent.fault or agent.anyway:
        return None
    estimate = _new_caller_estimate(ctx)
    if estimate.nobody_to_answer:
        return Agent(why="no_agent")
    wait = estimate.wait_seconds
    if wait > ctx.settings.ivr_long_wait_seconds:
        return Agent(why="long_wait", wait_minutes=_minutes(wait))
    return None


def _new_caller_estimate(ctx: Ctx) -> QueueEstimate:
    """The queue as a caller joining now would find it (``estimate_queue``), read once
    per webhook however many prompts ask."""
    estimate = getattr(g, "ivr_new_caller_estimate", None)
    if estimate is None:
        estimate = estimate_queue(ctx.session, default_wait_seconds=SECONDS_PER_CALLER_AHEAD)
        g.ivr_new_caller_estimate = estimate
    return estimate  # type: ignore[no-any-return]


def _nobody_to_answer(ctx: Ctx) -> bool:
    """Nobody is signed in to answer (a caller who chose to wait anyway): "we connect
    you to an agent" would be a promise the wait music's "no agent is available right
    now" takes back. Not knowing (the database failing), someone may be."""
    try:
        return bool(_new_caller_estimate(ctx).nobody_to_answer)
    except BACKEND_ERRORS:
        _rollback()
        return False


@step("agent")
def to_agent(ctx: Ctx) -> VoiceResponse:
    """Into the agent queue, unless a callback is offered first (``callback_first``:
    off duty, nobody signed in to answer, a long wait), keeping the choice to wait but
    for off duty."""
    offer = callback_first(ctx)
    if offer is not None and offer.why == "after_hours":
        return ctx.go("callback", intro=ctx.intro_messages)  # its default reason
    if offer is not None:
        return ctx.go("callback", offer, intro=ctx.intro_messages)
    return enqueue(ctx, fault=ctx.read(Agent).fault)


def enqueue(ctx: Ctx, *, fault: bool = False) -> VoiceResponse:
    ctx.log_menu("agent", retry_too=True)
    ctx.log_connects()
    try:
        mark_queued(ctx.session, ctx.call_sid, from_phone=ctx.caller,
                    direction="outbound" if ctx.outbound else "inbound")
    except BACKEND_ERRORS:
        # The queue itself lives at Twilio: callers still reach a person.
        log.exception("could not log a queued call")
        _rollback()
    route_waiting_callers()
    connecting = "ivr.agent.stay_on_line" if not fault and _nobody_to_answer(ctx) \
        else "ivr.agent.connecting"
    response = ctx.speak(lambda half: [half.t(connecting)])
    response.enqueue(
        AGENT_QUEUE_NAME,
        action=ctx.url("queue.done", Agent(fault=fault)),
        method="POST",
        wait_url=ctx.url("queue.wait"),
        wait_url_method="POST",
    )
    return response


def route_waiting_callers() -> None:
    """Connect waiting callers to free agents now (``contact_centre.routing``); the
    redirects go out through the outbox after the commit. A failure here only delays
    routing to the next trigger or the scheduler's sweep: the caller waits in the queue
    meanwhile, never hears an error."""
    session = get_session()
    try:
        connect_waiting_callers(session, wrap_up_seconds=current_helpline().settings
                                .wrap_up_seconds)
    except BACKEND_ERRORS:
        log.exception("could not route waiting callers")
        _rollback()


def caller_hung_up(call_sid: str) -> None:
    """The call ended (Twilio's status callback): an agent it had reached goes into
    wrap-up, an agent it was ringing is free again and takes the next caller."""
    session = get_session()
    try:
        if end_routed_call(session, call_sid):
            route_waiting_callers()
    except BACKEND_ERRORS:
        log.exception("could not free the agent of an ended call")
        _rollback()


def requeue(lang: str) -> VoiceResponse:
    """TwiML putting a caller back in the agents' queue (the agent routed to them did
    not answer): the same queue, wait music and exits as their first entry. Their place
    in line is kept by routing (``Call.waiting_since``), not by Twilio's queue."""
    response = VoiceResponse()
    response.enqueue(
        AGENT_QUEUE_NAME,
        action=step_url("queue.done", {LANG: lang}),
        method="POST",
        wait_url=step_url("queue.wait", {LANG: lang}),
        wait_url_method="POST",
    )
    return response


@step("callback")
def callback_offer(ctx: Ctx) -> VoiceResponse:
    agent = ctx.read(Agent)
    why = agent.why

    def lines(half: Ctx) -> list[str | list[Words]]:
        if why == "long_wait":
            one = "_one" if agent.wait_minutes == 1 else ""
            return [half.t(f"ivr.callback.long_wait{one}",
                           minutes=format_number(half.lang, agent.wait_minutes))]
        if why == "fault":
            return [half.t("ivr.callback.fault")]
        if why == "no_agent":
            return [half.t("ivr.callback.no_agent")]
        if why == "queue_full":
            return [half.t("ivr.callback.queue_full")]
        start, end = agent_hours(ctx.settings)
        return [half.t("ivr.callback.after_hours", start=spoken_time(half.lang, start),
                       end=spoken_time(half.lang, end))]

    # The offer and the request both work without the database (the spool).
    ctx.log_stands()
    # After our own fault, silence means "stay on the line for an agent", as promised.
    return ctx.menu(lines, log_as="callback.offer",
                    silence_to="agent" if why == "fault" else None)


@condition("zero_reaches_agent")
def zero_reaches_an_agent(ctx: Ctx) -> bool:
    """"0" now puts the caller in the agent queue (``callback_first`` finds no reason
    to offer a callback instead). Without the database, as ``to_agent`` then answers
    (the apology offers the queue), a person is what "0" reaches."""
    try:
        return callback_first(ctx) is None
    except BACKEND_ERRORS:
        log.warning("queue estimate unavailable; announcing an agent for 0")
        _rollback()
        return True


@condition("may_keep_waiting")
def offered_instead_of_waiting(ctx: Ctx) -> bool:
    """The callback was offered for a long wait or because nobody is signed in to
    answer: the caller may still choose to wait in the queue."""
    return ctx.read(Agent).why in ("long_wait", "no_agent")


@condition("callback_declines_to_main")
def declining_returns_to_the_main_menu(ctx: Ctx) -> bool:
    return ctx.read(Agent).why in ("after_hours", "queue_full")


@action("take_callback")
def callback_taken(ctx: Ctx) -> VoiceResponse:
    return take_callback(ctx, ctx.read(Agent).why)


def take_callback(ctx: Ctx, reason: str) -> VoiceResponse:
    agent = ctx.read(Agent)
    phone = agent.callback_phone or callback_number(ctx.caller)
    if phone is None:  # withheld: ask for a number rather than store a placeholder
        return ctx.go("callback.number", replace(agent, why=reason))
    already_booked = _store_callback(ctx, phone, reason)
    if already_booked is None:
        if agents_on_duty(ctx.settings):
            return enqueue(ctx, fault=True)
        response = ctx.speak(lambda half: [half.t("ivr.callback.failed")])
        response.hangup()
        return response
    log.info("callback %s by %s (%s)", "already booked" if already_booked else "requested",
             mask_phone(phone), reason)
    ctx.log_stands()
    # An open request made by an earlier call: nothing new is queued, and the caller
    # hears that rather than thanks for a new one.
    later = "" if agents_on_duty(ctx.settings) else "_later"
    response = VoiceResponse()
    if agent.callback_phone:  # a number typed now is read back whole
        words = ("ivr.callback.already_booked_number" if already_booked
                 else f"ivr.callback.confirmed_number{later}")
        ctx.say(response, ctx.t_number(words, phone.removeprefix("+91"), group=5))
    else:
        words = ("ivr.callback.already_booked" if already_booked
                 else f"ivr.callback.confirmed{later}")
        ctx.say(response, ctx.t(words, last=" ".join(last_digits(phone))))
    response.hangup()
    return response


@step("callback.number")
def ask_callback_number(ctx: Ctx) -> VoiceResponse:
    return ctx.menu([ctx.t("ivr.callback.type_number")])


@ask_callback_number.on_input
def callback_number_typed(ctx: Ctx) -> VoiceResponse:
    try:
        phone = normalise_mobile(ctx.digits)
    except InvalidMobile:
        return ctx.again("ivr.book.bad_mobile")
    agent = replace(ctx.read(Agent), callback_phone=phone)
    ctx.state.update(agent.wire())
    return take_callback(ctx, agent.why)


def _store_callback(ctx: Ctx, phone: str, reason: str) -> bool | None:
    """Record the caller's callback request: in the database, or while it is down in
    the spool, from which the request is made when it is back. Returns whether the
    number already had an open request (``request_callback``; False when spooled: the
    replay makes the request, or finds the open one); None when neither could take it."""
    direction = "outbound" if ctx.outbound else "inbound"
    try:
        return request_callback(ctx.session, phone=phone, language=ctx.lang,
                                call_sid=ctx.call_sid, caller=ctx.caller,
                                direction=direction, reason=reason).already_booked
    except BACKEND_ERRORS as exc:
        _rollback()
        failure = exc
    try:
        current_helpline().spool.put(CALLBACK_REQUEST, {
            "phone": phone, "language": ctx.lang, "call_sid": ctx.call_sid, "reason": reason,
            "caller": ctx.caller, "direction": direction})
    except OSError:
        log.exception("could not store or keep a callback request for %s", mask_phone(phone))
        return None
    log.warning("could not store a callback request for %s: kept for later",
                mask_phone(phone), exc_info=failure)
    return False


def _queue_position() -> int:
    return max(1, whole_number(request.form.get("QueuePosition")) or 1)


def _expected_wait(ctx: Ctx, position: int) -> int | None:
    """Seconds the caller at ``position`` can expect to wait; 0 when an agent is
    available for them, None when nobody is signed in to answer (``estimate_queue``)."""
    try:
        estimate = estimate_queue(ctx.session, position=position, call_sid=ctx.call_sid,
                                  default_wait_seconds=SECONDS_PER_CALLER_AHEAD)
    except BACKEND_ERRORS:
        log.warning("queue estimate unavailable; announcing the default wait")
        _rollback()
        return position * SECONDS_PER_CALLER_AHEAD
    return None if estimate.nobody_to_answer else estimate.wait_seconds


@step("queue.wait")
def queue_wait(ctx: Ctx) -> VoiceResponse:
    """Twilio's ``waitUrl``: position and expected wait, then the declared ways out (the
    ambulance, a callback instead, the main menu), then round again. The wait is the
    wallboard's estimate for this position (three small reads every
    ``WAIT_ANNOUNCE_EVERY`` seconds); without the database, the default per caller
    ahead. While nobody is signed in to answer, no place and no wait is promised: the
    caller hears that no agent is there yet, and the callback key. Silence keeps the
    caller waiting: no tries are counted in a queue."""
    position = _queue_position()
    seconds = _expected_wait(ctx, position)
    g.queue_agent_free = seconds == 0
    response = VoiceResponse()
    # "#" is a key here (back to the main menu): with Twilio's default finish key a lone
    # "#" would end the input and arrive as no key at all.
    gather = response.gather(input="dtmf", num_digits=1, timeout=WAIT_ANNOUNCE_EVERY,
                             method="POST", action=step_url("queue.wait", {**ctx.own_state(),
                                                                             INPUT: 1}),
                             language="hi-IN" if ctx.lang == "hi" else "en-IN",
                             finish_on_key="")
    for half in ctx.halves():  # both languages while the caller's is not known
        words: list[str] = [str(w) for w in half.intro]
        if seconds is None:  # nobody could answer: no number, no wait promised
            words.append(half.t("ivr.queue.no_agent"))
        elif seconds == 0:  # an agent is free for them: no queue number, no wait, no callback
            words.append(half.t("ivr.queue.agent_free"))
        else:
            minutes = _minutes(seconds)
            words.append(half.t("ivr.queue.position_one" if minutes == 1
                                else "ivr.queue.position",
                                position=format_number(half.lang, position),
                                minutes=format_number(half.lang, minutes)))
        half.say(gather, " ".join([*words, *half.option_lines()]))
    response.redirect(step_url("queue.wait", ctx.own_state()), method="POST")
    return response


@condition("queue_callback")
def queue_offers_a_callback(ctx: Ctx) -> bool:
    """Never to a number we cannot see, nor while an agent is free for the caller."""
    return callback_number(ctx.caller) is not None and not g.get("queue_agent_free", False)


@queue_wait.on_input
def queue_wait_key(ctx: Ctx) -> VoiceResponse:
    """A key while waiting: a declared way out, ``*`` the wait prompt again (as in every
    menu), anything else a wrong key (the caller stays in the queue either way)."""
    option = ctx.option_for_key()
    if option is not None:
        return ctx.follow(option)
    if ctx.digits == REPEAT_KEY:
        return queue_wait.prompt(Ctx(queue_wait, ctx.own_state()))
    return _wait_again(ctx, "ivr.retry.wrong_key")


def _wait_again(ctx: Ctx, reason: str, **params: object) -> VoiceResponse:
    """Still in the queue: the wait prompt once more, after ``reason``."""
    return queue_wait.prompt(Ctx(queue_wait, ctx.own_state(), [Later(reason, **params)]))


def _leave_for(ctx: Ctx, exit_to: str) -> bool:
    """Note where the caller asked to go, for the queue's action after ``<Leave/>``."""
    try:
        # A key from one half of the bilingual wait prompt chose its language: the
        # queue's action (its URL set before) says the rest in it alone.
        note_queue_exit(ctx.session, ctx.call_sid, exit_to,
                        language=ctx.lang if ctx.lang_chosen else None)
    except BACKEND_ERRORS:
        log.exception("could not note a caller leaving the queue")
        _rollback()
        return False
    return True


def _leave() -> VoiceResponse:
    response = VoiceResponse()
    response.leave()
    return response


@action("queue_to_callback")
def queue_to_callback(ctx: Ctx) -> VoiceResponse:
    phone = callback_number(ctx.caller)
    if phone is None:
        return _wait_again(ctx, "ivr.retry.wrong_key")
    already_booked = _store_callback(ctx, phone, "queue_wait")
    if already_booked is None:
        return queue_wait.prompt(ctx)  # still in the queue: an agent will answer
    # The words are said after <Leave/>, by the queue's action: it reads them from the
    # exit. "callback" is the default after a leave, noted or not.
    _leave_for(ctx, "callback_already_booked" if already_booked else "callback")
    return _leave()


@action("queue_to_main")
def queue_to_main(ctx: Ctx) -> VoiceResponse:
    if not _leave_for(ctx, "main"):
        return _wait_again(ctx, "ivr.not_possible")
    return _leave()


@action("queue_to_emergency")
def queue_to_emergency(ctx: Ctx) -> VoiceResponse:
    """``9`` always reaches the ambulance: out of the queue and on to the ambulance line;
    if the way out cannot be noted (the database is down), the caller is told the
    number to dial rather than left in the queue unanswered."""
    if not _leave_for(ctx, "emergency"):
        number = " ".join(ctx.settings.ambulance_number)
        return _wait_again(ctx, "ivr.queue.emergency_dial", number=number)
    return _leave()


@step("queue.done")
def queue_done(ctx: Ctx) -> VoiceResponse:
    """``<Enqueue action>``: how the caller left the queue (Twilio's ``QueueResult``)."""
    result = (request.form.get("QueueResult") or "unknown")[:30]
    seconds = whole_number(request.form.get("QueueTime")) or 0
    if result == "redirected":
        # Routing moved the caller out of the queue to ring an agent
        # (``messaging.routing_calls``): that TwiML runs now, nothing ends here.
        response = VoiceResponse()
        response.pause(length=1)
        return response
    exit_to = None
    try:
        left = record_queue_result(ctx.session, ctx.call_sid, result, seconds)
    except BACKEND_ERRORS:
        log.exception("could not record a queue result")
        _rollback()
        left = None
    if left is not None:
        exit_to = left.to
        if left.language and ctx.both:
            ctx.choose_language(left.language)
    if result in ("bridged", "bridging-in-process"):
        response = ctx.speak(lambda half: [half.t("ivr.goodbye")])
        response.hangup()
        return response
    if result == "hangup":
        return VoiceResponse()
    if result == "leave" and exit_to == "emergency":
        return ctx.go("emergency")
    if result == "leave" and exit_to == "main":
        return ctx.go("main")
    if result == "leave":
        phone = callback_number(ctx.caller) or ""
        words = ("ivr.callback.already_booked" if exit_to == "callback_already_booked"
                 else "ivr.callback.confirmed")
        response = ctx.speak(lambda half: [half.t(words, last=" ".join(last_digits(phone)))])
        response.hangup()
        return response
    return ctx.go("callback", Agent(why="fault" if ctx.read(Agent).fault else "queue_full"))
