"""A full department's waiting list on the phone line (``book.full``), and the
waiting-list offer call: a freed seat is held for this person; ``1`` takes it,
``2`` passes it to the next person waiting. ``/calls/<row>/answer`` starts it; keys,
retries and exits are the engine's. Silence passes the seat on at once (the person may
still have the SMS, but the hold is for someone who answers)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

from twilio.twiml.voice_response import VoiceResponse

from booking_core.appointments import AlreadyBooked, Channel, day_held_by_patient
from booking_core.base import DomainError, NotFound
from booking_core.waiting_list import (
    OfferEndedDayHeld,
    SeatsFree,
    WaitStatus,
    accept_offer,
    decline_offer,
    earliest_full_day,
    find_offer,
    join_waiting_list,
)
from ivr.booking import rules
from ivr.engine import action
from ivr.flow import Ctx, Intro, step
from ivr.state import Booking, Offer
from locales.formatting import format_date, format_number, spoken_digits, spoken_time

log = logging.getLogger(__name__)


def full_days(ctx: Ctx, booking: Booking, said: Intro | None = None) -> VoiceResponse:
    """No day with a free seat: offer the earliest full day's waiting list that the
    caller (whose number joins it) does not already hold, or say there is nothing in the
    coming weeks (no OPD session at all). A caller with no mobile we can text (withheld,
    a landline) is told the days are full and that joining needs a mobile: the list
    tells a freed place by SMS and a call to the number that joined. What the day menu
    was to say first (why the caller is back at it), then ``said``, is said first."""
    intro = [*ctx.intro_messages, *(said or [])]
    held = day_held_by_patient(ctx.caller_mobile) if ctx.caller_mobile else None
    day = earliest_full_day(ctx.session, booking.department or 0, rules=rules(ctx),
                            excluding=held)
    if day is None or not ctx.caller_mobile:
        why = "ivr.book.no_days" if day is None else "ivr.wait.needs_mobile"
        return ctx.go("book.department", Booking(hospital=booking.hospital),
                      intro=[*intro, ctx.t(why)])
    where = Booking(hospital=booking.hospital, department=booking.department,
                    day=day.isoformat())
    return ctx.go("book.full", where, intro=intro)


@step("book.full")
def waiting_list_offer(ctx: Ctx) -> VoiceResponse:
    booking = ctx.read(Booking)
    day = booking.day or ""
    try:
        spoken = format_date(ctx.lang, dt.date.fromisoformat(day))
    except ValueError:
        return ctx.go("book.department", Booking(hospital=booking.hospital))
    return ctx.menu([ctx.t("ivr.wait.full", date=spoken)])


@action("join_waiting_list")
def join(ctx: Ctx) -> VoiceResponse:
    booking = ctx.read(Booking)
    where = Booking(hospital=booking.hospital, department=booking.department)
    try:
        _, ahead = join_waiting_list(
            ctx.session, department_id=booking.department or 0,
            day=dt.date.fromisoformat(booking.day or ""), phone=str(ctx.caller_mobile),
            channel=Channel.IVR, language=ctx.lang,
            hold_minutes=ctx.settings.waiting_list_hold_minutes, rules=rules(ctx))
    except AlreadyBooked as exc:  # booked that day meanwhile (the portal, another call)
        reference = exc.details.get("reference")
        said = (ctx.t_number("ivr.book.already_booked_ref", reference) if reference
                else ctx.t("ivr.book.already_booked"))
        return ctx.go("book.day", where, intro=[said])
    except (SeatsFree, DomainError, ValueError):  # a seat freed meanwhile: book it
        return ctx.go("book.day", where)
    return ctx.go("main", intro=[_joined_words(ctx, ahead)])


def _joined_words(ctx: Ctx, ahead: int) -> str:
    """"You are on the waiting list" with how many wait before the caller, a whole
    sentence for none, one and more (no "people ahead of you: 0")."""
    if ahead == 0:
        return ctx.t("ivr.wait.joined_first")
    if ahead == 1:
        return ctx.t("ivr.wait.joined_one")
    return ctx.t("ivr.wait.joined", ahead=format_number(ctx.lang, ahead))


@step("offer")
def offer_question(ctx: Ctx) -> VoiceResponse:
    entry = find_offer(ctx.session, ctx.read(Offer).entry)
    slot = entry.offered_slot
    if entry.status != WaitStatus.OFFERED or slot is None:
        return ctx.go("offer.gone")
    department = slot.department
    tz = ctx.settings.helpline_timezone
    question = {0: "ivr.offer.question_today", 1: "ivr.offer.question_tomorrow"}.get(
        (slot.local_day - ctx.today).days, "ivr.offer.question")
    return ctx.menu([ctx.t(question,
                           hospital=department.hospital.short_name(ctx.lang),
                           department=department.name(ctx.lang),
                           date=format_date(ctx.lang, slot.local_day),
                           time=spoken_time(ctx.lang, slot.starts_at, tz))])


@action("offer_take")
def take(ctx: Ctx) -> VoiceResponse:
    call = ctx.read(Offer)
    try:
        appointment = accept_offer(ctx.session, call.entry, rules=rules(ctx),
                                   idempotency_key=f"offer:{call.entry}",
                                   tz=ctx.settings.helpline_timezone)
    except OfferEndedDayHeld:  # booked that day elsewhere: the place went to the next
        return ctx.go("offer.day_held")
    except DomainError as exc:
        log.info("waiting-list offer %s not taken: %s", call.entry, exc.code)
        return ctx.go("offer.gone")
    return ctx.go("offer.taken", replace(call, reference=appointment.reference))


@action("offer_decline")
def decline(ctx: Ctx) -> VoiceResponse:
    try:
        decline_offer(ctx.session, ctx.read(Offer).entry, tz=ctx.settings.helpline_timezone,
                      quiet_hours=ctx.settings.sms_quiet_hours)
    except DomainError:
        return ctx.go("offer.gone")
    return ctx.go("offer.declined")


def _end(ctx: Ctx, key: str, **params: object) -> VoiceResponse:
    response = ctx.speak([ctx.t(key, **params)])
    response.hangup()
    return response


@step("offer.taken")
def taken(ctx: Ctx) -> VoiceResponse:
    reference = ctx.read(Offer).reference
    if not reference:
        raise NotFound("no booking number", entity="appointment")
    return _end(ctx, "ivr.offer.taken", number=spoken_digits(reference))


@step("offer.declined")
def declined(ctx: Ctx) -> VoiceResponse:
    return _end(ctx, "ivr.offer.declined")


@step("offer.gone")
def gone(ctx: Ctx) -> VoiceResponse:
    return _end(ctx, "ivr.offer.gone")


@step("offer.day_held")
def day_held(ctx: Ctx) -> VoiceResponse:
    return _end(ctx, "ivr.offer.day_held")


@step("offer.unanswered")
def unanswered(ctx: Ctx) -> VoiceResponse:
    try:
        decline_offer(ctx.session, ctx.read(Offer).entry, tz=ctx.settings.helpline_timezone,
                      quiet_hours=ctx.settings.sms_quiet_hours)
    except DomainError:
        pass  # already taken, declined or lapsed
    return _end(ctx, "ivr.offer.unanswered")
