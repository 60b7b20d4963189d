"""Menu ``4``: the caller's upcoming appointments (hear, cancel) and a grievance's
status by its reference number."""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import g
from twilio.twiml.voice_response import VoiceResponse

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    Channel,
    InvalidReference,
    TooLateToCancel,
    cancel_appointment,
    find_appointment,
    upcoming_appointments,
)
from booking_core.base import DomainError, NotFound, utcnow
from booking_core.opd_board import progress, todays_appointments
from booking_core.phones import last_digits, mask_phone
from booking_core.slots import Slot
from booking_core.waiting_list import (
    OfferEndedDayHeld,
    OfferNews,
    WaitingListEntry,
    WaitStatus,
    accept_offer,
    offer_news,
    people_ahead,
    waiting_for,
)
from contact_centre.models import CallOutcome
from grievances.models import Grievance
from grievances.services import (
    InvalidGrievanceReference,
    find_grievance,
    grievances_for_phone,
)
from grievances.workflow import REPLY_KINDS
from ivr.booking import rules
from ivr.choosers import PAGE_SIZE
from ivr.engine import REPEAT_KEY, action, condition
from ivr.flow import FIRST, Ctx, step
from ivr.speech import Words
from ivr.state import Booking, Mine
from locales import render_count
from locales.formatting import format_age, format_date, format_number, format_wait, spoken_time

log = logging.getLogger(__name__)


def describe_appointment(ctx: Ctx, appointment: Appointment, *,
                         department: bool = True) -> str:
    """Where and when, with the day said as the booking read-back says it: «आज»/"today",
    «कल»/"tomorrow", else the weekday and date. Without ``department``, the hospital,
    day and time only (``_where``: a card typed from a phone not its own)."""
    tz = ctx.settings.helpline_timezone
    sentence = {0: "ivr.mine.appointment_today", 1: "ivr.mine.appointment_tomorrow"}.get(
        (appointment.visit_day - ctx.today).days, "ivr.mine.appointment")
    if not department:
        sentence += "_where"
    return ctx.t(sentence, hospital=appointment.hospital.short_name(ctx.lang),
                 department=appointment.department.name(ctx.lang),
                 date=format_date(ctx.lang, appointment.visit_day),
                 time=spoken_time(ctx.lang, appointment.slot.starts_at, tz))


def booked_for(ctx: Ctx, appointment: Appointment) -> tuple[str, str] | None:
    """Whom an appointment in the caller's list is for, when not the caller: booked
    from this phone for another patient's mobile ("mobile") or for a patient known by
    an ABHA number that is not the phone owner's ("abha"), with the last digits to
    read one by one; None for the caller's own."""
    patient = appointment.citizen
    if ctx.caller_mobile is None:
        return None
    if patient.phone != ctx.caller_mobile:
        return "mobile", " ".join(last_digits(patient.phone))
    abha = appointment.abha_number
    if abha and abha != patient.abha_number:
        return "abha", " ".join(abha[-4:])
    return None


def _phone(ctx: Ctx) -> str | None:
    """Whose appointments: the caller's own number (None when we cannot see it)."""
    return ctx.caller_mobile


def _typed_booking(ctx: Ctx) -> list[Appointment]:
    """The upcoming appointment whose booking number a hidden caller typed, if any."""
    typed = ctx.read(Mine).booking
    if not typed:
        return []
    try:
        appointment = find_appointment(ctx.session, typed)
    except (InvalidReference, NotFound):
        return []
    if appointment.status != AppointmentStatus.BOOKED or appointment.slot.ends_at <= utcnow():
        return []
    return [appointment]


def _page(ctx: Ctx) -> tuple[int, list[Appointment], bool, list[Appointment]]:
    """The page to read, its appointments, whether there are more, and all of them."""
    phone = _phone(ctx)
    appointments = (upcoming_appointments(ctx.session, phone) if phone
                    else _typed_booking(ctx))
    page = ctx.read(Mine).page
    if page * PAGE_SIZE >= len(appointments):
        page = 0
    items = appointments[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    return page, items, len(appointments) > PAGE_SIZE, appointments


def _on_the_day(ctx: Ctx) -> tuple[list[str], set[int]]:
    """For each of today's appointments still to be seen: the now-serving token, the
    caller's token and the expected wait at the session's measured pace
    (``booking_core.opd_board.progress``), or, when the queue passed the patient, what
    to do at the counter: check in (not checked in), or ask to be called again (called
    and skipped). A patient not yet checked in whose token the queue has not reached
    hears that they must check in first. Also the ids of the appointments these words
    spoke of (the list does not read them again)."""
    phone = _phone(ctx)
    if not phone or ctx.read(Mine).page:
        return [], set()
    words = []
    told: set[int] = set()
    for appointment in todays_appointments(ctx.session, phone, utcnow(),
                                           ctx.settings.helpline_timezone):
        where = progress(ctx.session, appointment)
        told.add(appointment.id)
        place = {"hospital": appointment.hospital.short_name(ctx.lang),
                 "department": appointment.department.name(ctx.lang), "token": where.token}
        # Still to be seen: when (the caller may be ringing to ask what time to come).
        at = spoken_time(ctx.lang, appointment.slot.starts_at, ctx.settings.helpline_timezone)
        if where.skipped:  # called and not there: the counter can call them again
            words.append(ctx.t("ivr.opd.skipped", **place))
            continue
        if where.seen:  # the room has called the next patient since
            words.append(ctx.t("ivr.opd.seen", **place))
            continue
        if where.called:
            words.append(ctx.t("ivr.opd.called", **place))
            continue
        if where.passed:
            words.append(ctx.t("ivr.opd.passed", serving=where.serving, **place))
            continue
        if not where.serving:
            words.append(ctx.t("ivr.opd.not_started", time=at, **place))
        else:
            words.append(ctx.t("ivr.opd.serving", serving=where.serving, time=at, **place))
            if where.ahead == 0 or where.wait_minutes == 0:
                words.append(ctx.t("ivr.opd.wait_soon"))
            elif where.wait_minutes is not None:
                words.append(ctx.t("ivr.opd.wait",
                                   wait=format_wait(ctx.lang, where.wait_minutes * 60)))
        if not where.checked_in:
            words.append(CHECK_IN_FIRST)
    # Said after the one appointment it is about; for several, once, after all of them.
    if words.count(CHECK_IN_FIRST) > 1:
        words = [w for w in words if w != CHECK_IN_FIRST] + [CHECK_IN_FIRST_EACH]
    return [ctx.t(w) if w in (CHECK_IN_FIRST, CHECK_IN_FIRST_EACH) else w for w in words], told


CHECK_IN_FIRST, CHECK_IN_FIRST_EACH = "ivr.opd.check_in_first", "ivr.opd.check_in_first_each"


# A list of one appointment: its sentence without a number.
ALONE = {"ivr.mine.item": "ivr.mine.item_alone", "ivr.mine.item_heard": "ivr.mine.item_alone",
         "ivr.mine.item_for_mobile": "ivr.mine.item_alone_for_mobile",
         "ivr.mine.item_for_abha": "ivr.mine.item_alone_for_abha"}


def _named_today(ctx: Ctx, appointment: Appointment, whom: tuple[str, str] | None,
                 digit: int, *, several: bool) -> str:
    """The key of an appointment today's words just named, in a sentence that refers to
    it ("today's appointment") instead of describing it again; with the place today's
    words said when they named more than one, and for whom when booked for another
    patient (a patient holds one appointment per department a day, so the place and
    the patient tell today's apart)."""
    key = "ivr.mine.item_today" + ("_at" if several else "") + (f"_for_{whom[0]}" if whom else "")
    return ctx.t(key, digit=digit, last=whom[1] if whom else "",
                 hospital=appointment.hospital.short_name(ctx.lang),
                 department=appointment.department.name(ctx.lang))


def _waiting_lines(ctx: Ctx) -> list[str]:
    """A sentence per waiting list the caller's mobile is on, soonest day first: where,
    which day («आज»/"today", «कल»/"tomorrow", else the date), how many wait before
    them ("first on it", "one person", "3 people"), so a caller who joined one does
    not hear "no appointments" and wonder. An entry whose
    place was already offered is left to the offer's own call and SMS."""
    lines = []
    for entry in waiting_for(ctx.session, str(ctx.caller_mobile)):
        if entry.status != WaitStatus.WAITING:
            continue
        ahead = people_ahead(ctx.session, entry)
        department = entry.department
        # Today's and tomorrow's lists are called so, as the appointments above are.
        family = {0: "ivr.mine.waiting_today", 1: "ivr.mine.waiting_tomorrow"}.get(
            (entry.local_day - ctx.today).days, "ivr.mine.waiting")
        lines.append(render_count(
            ctx.lang, family, ahead, n=format_number(ctx.lang, ahead),
            department=department.name(ctx.lang),
            hospital=department.hospital.short_name(ctx.lang),
            date=format_date(ctx.lang, entry.local_day)))
    return lines


@step("mine.appointments")
def my_appointments(ctx: Ctx) -> VoiceResponse:
    """The caller's appointments today and to come, a page at a time, with the day's
    token queue; each one still to come is read with a number that cancels it.

    A caller whose number we cannot see (withheld, a landline, a placeholder) is asked
    for a booking number, not a mobile: anyone can type anyone's mobile and would hear
    where and when that person sees a doctor, while a booking number reaches only the
    patient and the phone that booked (by SMS and on the call). As a complaint typed
    from another phone hears its status but never its notes, a typed booking number
    only *hears* its appointment: cancelling needs the patient's or the booking phone
    (or the booking's SMS, ``CANCEL <number>``)."""
    if _phone(ctx) is None and not ctx.read(Mine).booking:
        return ctx.go("mine.booking")
    typed = ctx.caller_mobile is None
    page, items, more, _ = _page(ctx)
    today, told_today = _on_the_day(ctx)
    waiting = [] if typed else _waiting_lines(ctx)
    if not items and not today:
        none = "ivr.mine.none_typed" if typed else "ivr.mine.none"
        return ctx.go("mine", intro=[ctx.t(none), *waiting])
    # Today's words (the token queue, a skipped or passed token: go to the counter) are
    # part of the list, followed by its ways on, never by menu 4 again: pressing 1 there
    # would only say them once more. An appointment today's words named is never
    # described again: still to come, a short sentence gives its key ("to cancel
    # today's appointment, press 1"); begun, one sentence says why it has no key. An
    # appointment whose time has begun gets no key (only what the domain would cancel,
    # ``Appointment.may_cancel``, gets one, so no "yes" meets "too late"); any other
    # begun one is a sentence of its own. The keys number the appointments that can be
    # cancelled in the order they are read, 1, 2, 3: today's named ones first, then
    # the rest under a heading that introduces them ("your other upcoming ...").
    now = utcnow()
    begun: list[str] = []
    begun_today = False
    # Today's named appointments still to come, with whom they are for.
    named: list[tuple[Appointment, tuple[str, str] | None]] = []
    # (catalog key, its values) per appointment described with a number; said once the
    # list is known, as one appointment or as numbered ones.
    listed: list[tuple[str, dict[str, object]]] = []
    listed_ids: list[int] = []
    for appointment in items:
        described = describe_appointment(ctx, appointment)
        if typed:  # heard only: numbered as read, no key (no words of today's queue)
            listed.append(("ivr.mine.item_heard", {"appointment": described}))
            listed_ids.append(appointment.id)
            continue
        whom = booked_for(ctx, appointment)
        if not appointment.may_cancel(now):
            if appointment.id in told_today and whom is None:
                begun_today = True
            elif appointment.id in told_today and whom is not None:
                begun.append(ctx.t(f"ivr.mine.begun_today_for_{whom[0]}", last=whom[1]))
            elif whom is not None:
                begun.append(ctx.t(f"ivr.mine.item_started_for_{whom[0]}",
                                   appointment=described, last=whom[1]))
            else:
                begun.append(ctx.t("ivr.mine.item_started", appointment=described))
            continue
        if appointment.id in told_today:
            named.append((appointment, whom))
            continue
        listed_ids.append(appointment.id)
        if whom is None:
            listed.append(("ivr.mine.item", {"appointment": described}))
        else:  # booked from this phone for someone else: a sentence that says for whom
            listed.append((f"ivr.mine.item_for_{whom[0]}", {
                "appointment": described, "last": whom[1]}))
    if begun_today:
        begun.insert(0, ctx.t("ivr.mine.begun_today"))
    lines = [*today, *begun]
    offered = [appointment.id for appointment, _ in named] + listed_ids
    lines += [_named_today(ctx, appointment, whom, digit, several=len(told_today) > 1)
              for digit, (appointment, whom) in enumerate(named, 1)]
    # One appointment is said as one ("your upcoming appointment: ... to cancel it,
    # press 1"), never "appointments: number 1".
    alone = len(listed) == 1 and not more
    if listed:
        heading = "ivr.mine.heading_other" if named else "ivr.mine.heading"
        if typed:  # a booking number typed: maybe someone else's, never "your"
            lines.append(ctx.t("ivr.mine.heading_typed"))
        else:
            lines.append(ctx.t(f"{heading}_one" if alone else heading))
        lines += [ctx.t(ALONE.get(key, key) if alone else key, digit=digit, **values)
                  for digit, (key, values) in enumerate(listed, len(named) + 1)]
    if more:
        lines.append(ctx.t("ivr.mine.more_heard", key="8") if typed else ctx.t("ivr.mine.more"))
    if typed:
        lines.append(ctx.t("ivr.mine.cancel_own_phone"))
    elif listed:  # today's named ones said their keys in their own sentences
        lines.append(ctx.t("ivr.mine.pick_one", key=str(len(offered))) if alone
                     else ctx.t("ivr.mine.pick"))
    lines += waiting
    # Whatever the list holds, its ways on: hear it again (a retry's hints say it
    # already), and the main menu (the node's declared "#").
    if not ctx.hints:
        # "them" when several appointments were read, "it" for one (or today's words).
        again = "ivr.mine.hear_list_again" if len(items) > 1 else "ivr.mine.hear_again"
        lines.append(ctx.t(again, key=ctx.spoken_key("*")))
    # A key means the appointment read out with it (``Mine.offered``), even when one was
    # booked or cancelled elsewhere meanwhile.
    heard = replace(ctx.read(Mine), page=page, offered=offered)
    return ctx.menu(lines, state=ctx.own_state(heard))


@my_appointments.on_input
def appointment_picked(ctx: Ctx) -> VoiceResponse:
    page, _, more, appointments = _page(ctx)
    mine = ctx.read(Mine)
    if ctx.digits == "8" and more:
        return ctx.go("mine.appointments", Mine(page=page + 1, booking=mine.booking))
    if ctx.caller_mobile is None:  # a typed number hears, never cancels
        return ctx.again()
    offered = mine.offered or []
    if ctx.digits.isdigit() and 1 <= int(ctx.digits) <= len(offered):
        wanted = offered[int(ctx.digits) - 1]
        if not wanted:  # a list read before keys skipped what had begun
            return ctx.again()
        chosen = next((a for a in appointments if a.id == wanted), None)
        if chosen is None:  # cancelled or moved meanwhile
            return ctx.go("mine.appointments", Mine(page=page, booking=mine.booking),
                          intro=[ctx.t("ivr.pick.gone")])
        if not chosen.may_cancel(utcnow()):  # its time began since the list was read
            return ctx.go("mine.appointments", Mine(page=page, booking=mine.booking),
                          intro=[ctx.t("ivr.mine.too_late")])
        return ctx.go("mine.cancel", Mine(appointment=chosen.reference))
    return ctx.again()


@step("mine.booking")
def ask_booking_number(ctx: Ctx) -> VoiceResponse:
    return ctx.menu([ctx.t("ivr.mine.type_booking_landline" if ctx.caller_landline
                           else "ivr.mine.type_booking")])


@ask_booking_number.on_input
def booking_number_typed(ctx: Ctx) -> VoiceResponse:
    try:
        appointment = find_appointment(ctx.session, ctx.digits)
    except InvalidReference:
        return ctx.again("ivr.mine.bad_booking")
    except NotFound:
        return ctx.again("ivr.mine.booking_not_found")
    return ctx.go("mine.appointments", Mine(booking=appointment.reference))


@step("mine.cancel")
def confirm_cancel(ctx: Ctx) -> VoiceResponse:
    appointment = find_appointment(ctx.session, str(ctx.read(Mine).appointment),
                                   ctx.caller_mobile)
    described = describe_appointment(ctx, appointment)
    whom = booked_for(ctx, appointment)
    if whom is None:
        return ctx.menu([ctx.t("ivr.mine.cancel_question", appointment=described)])
    return ctx.menu([ctx.t(f"ivr.mine.cancel_question_for_{whom[0]}", appointment=described,
                           last=whom[1])])


@action("cancel")
def cancel(ctx: Ctx) -> VoiceResponse:
    try:
        appointment = cancel_appointment(ctx.session, str(ctx.read(Mine).appointment),
                                         channel=Channel.IVR,
                                         phone=ctx.caller_mobile, actor="ivr", rules=rules(ctx))
    except TooLateToCancel:
        return ctx.go("mine.appointments", intro=[ctx.t("ivr.mine.too_late")])
    ctx.log_outcome(CallOutcome.CANCELLED)
    log.info("IVR cancelled appointment %s for %s", appointment.id,
             mask_phone(ctx.caller_mobile))
    # The SMS goes to the patient's mobile: someone else's, when booked for them.
    whom = booked_for(ctx, appointment)
    if whom is None:
        return ctx.go("main", intro=[ctx.t("ivr.mine.cancelled")])
    return ctx.go("main", intro=[ctx.t(f"ivr.mine.cancelled_for_{whom[0]}", last=whom[1])])


@step("mine.grievance")
def ask_grievance_reference(ctx: Ctx) -> VoiceResponse:
    return ctx.menu([ctx.t("ivr.status.type_reference")])


@action("complaint_status")
def complaint_status(ctx: Ctx) -> VoiceResponse:
    """From the phone that filed it, the latest complaint's status needs no typing (the
    first time this call asks); otherwise, or asked again, the number is typed."""
    if ctx.caller_mobile and not ctx.read(Mine).heard_latest:
        latest = grievances_for_phone(ctx.session, ctx.caller_mobile, limit=1)
        if latest:
            return _status(ctx, latest[0], own=True)
    return ctx.go("mine.grievance")


@ask_grievance_reference.on_input
def grievance_reference_typed(ctx: Ctx) -> VoiceResponse:
    try:
        grievance = find_grievance(ctx.session, ctx.digits)
    except InvalidGrievanceReference:
        return ctx.again("ivr.status.bad_reference")
    except NotFound:
        return ctx.again("ivr.status.not_found")
    own = ctx.caller_mobile is not None and grievance.citizen.phone == ctx.caller_mobile
    return _status(ctx, grievance, own=own)


# Replies whose words ask the caller to press 0 for a person (``ivr.status.reply_*``);
# each has a ``_callback`` variant for when 0 leads to the callback offer.
ASK_FOR_ZERO = ("called", "details")


def _status(ctx: Ctx, grievance: Grievance, *, own: bool) -> VoiceResponse:
    seconds = (utcnow() - grievance.updated_at).total_seconds()
    words: list[str | list[Words]] = [ctx.t_number(
        "ivr.status.result", grievance.reference,
        status=ctx.t(f"ivr.status.is_{grievance.shown_status}"),
        age=format_age(ctx.lang, seconds))]
    # The latest reply an agent sent, in the phone's own words (never an SMS template,
    # whose placeholders and "Delhi Health Helpline:" prefix are for a text), and only
    # to the phone that filed it: typed from another phone, the status alone.
    reply = grievance.standing_reply
    if own and reply in REPLY_KINDS:
        # Their "press 0" says what 0 will do now: an agent, or the callback offer.
        callback = reply in ASK_FOR_ZERO and not ctx.holds("zero_reaches_agent")
        words.append(ctx.t(f"ivr.status.reply_{reply}{'_callback' if callback else ''}"))
    # The menu that follows offers "2" for another complaint (``status_heard``).
    ctx.log_outcome(CallOutcome.INFORMATION)
    return ctx.go("mine", Mine(heard_latest=True), intro=words)


@condition("number_hidden")
def number_is_hidden(ctx: Ctx) -> bool:
    """We cannot see the caller's mobile (withheld, a landline): a number they type
    only hears its appointments."""
    return ctx.caller_mobile is None


@condition("status_heard")
def status_was_heard(ctx: Ctx) -> bool:
    return ctx.read(Mine).heard_latest


@condition("status_not_heard")
def status_not_heard(ctx: Ctx) -> bool:
    return not ctx.read(Mine).heard_latest


# Menu 4 with a place held for the caller ---------------------------------------------
# A freed place is offered by SMS and a call; a caller who missed the call and rings
# the helpline while the hold lasts hears it first in menu 4 and takes it with "4".


# At most this many ran-out places are said (soonest day first): a caller who missed
# more than that hears the rest on the portal's "my appointments".
RAN_OUT_SAID = 3


def _offer_news(ctx: Ctx) -> OfferNews:
    """The caller's held and ran-out places (one read per webhook, none without a mobile)."""
    if "ivr_offer_news" not in g:
        g.ivr_offer_news = (offer_news(ctx.session, str(ctx.caller_mobile), today=ctx.today)
                            if ctx.caller_mobile else OfferNews(None, []))
    news: OfferNews = g.ivr_offer_news
    return news


def _held_place(ctx: Ctx) -> WaitingListEntry | None:
    """The waiting-list place held for the caller's mobile now."""
    return _offer_news(ctx).held


def _held_days_ahead(ctx: Ctx) -> int | None:
    """Saying menu 4: days from today to the held place's day, None when no place is
    held (one read). Answering it: the key follows what the caller heard, the place
    announced in the signed state (no read), so a place whose hold ran out before the
    key still takes "4", to be told it has ended, rather than "not one of the
    choices"; and a menu heard without one gives "4" no meaning."""
    if not g.get("ivr_mine_said"):
        return -1 if ctx.read(Mine).held_offer else None
    entry = _held_place(ctx)
    return None if entry is None else (entry.local_day - ctx.today).days


@condition("held_today")
def held_today(ctx: Ctx) -> bool:
    return _held_days_ahead(ctx) == 0


@condition("held_tomorrow")
def held_tomorrow(ctx: Ctx) -> bool:
    return _held_days_ahead(ctx) == 1


@condition("held_later")
def held_later(ctx: Ctx) -> bool:
    return _held_days_ahead(ctx) not in (None, 0, 1)


@step("mine")
def mine_menu(ctx: Ctx) -> VoiceResponse:
    """Menu 4: the places held for the caller that ran out unanswered (where and when;
    "you are no longer on that list"), then a place held for them now (with where, when
    and until when it is held, taken with "4"), then the appointments, the complaint
    status and the card."""
    g.ivr_mine_said = True
    # Places that ran out unanswered are said before the choices on entering menu 4
    # from the main menu and on "*", not again after each answer here.
    lines = []
    if ctx.state.get(FIRST) or ctx.digits == REPEAT_KEY:
        for gone in _offer_news(ctx).ran_out[:RAN_OUT_SAID]:
            if gone.offered_slot is not None:
                family = {0: "ivr.mine.lapsed_today", 1: "ivr.mine.lapsed_tomorrow"}.get(
                    (gone.local_day - ctx.today).days, "ivr.mine.lapsed_later")
                lines.append(ctx.t(family, **_offer_params(ctx, gone, gone.offered_slot)))
    entry = _held_place(ctx)
    if entry is not None and entry.offered_slot is not None:
        ctx.option_params = _offer_params(ctx, entry, entry.offered_slot)
        return ctx.menu(lines, state=ctx.own_state(wo=entry.id, **{FIRST: None}))
    return ctx.menu(lines, state=ctx.own_state(wo=None, **{FIRST: None}))


def _offer_params(ctx: Ctx, entry: WaitingListEntry, slot: Slot) -> dict[str, str]:
    """Where and when an offered place (``slot``) is, and until when it was held, as
    spoken."""
    tz = ctx.settings.helpline_timezone
    return {"hospital": slot.department.hospital.short_name(ctx.lang),
            "department": slot.department.name(ctx.lang),
            "date": format_date(ctx.lang, slot.local_day),
            "time": spoken_time(ctx.lang, slot.starts_at, tz),
            "until": spoken_time(ctx.lang, entry.hold_until or slot.starts_at, tz)}


@action("take_held_place")
def take_held_place(ctx: Ctx) -> VoiceResponse:
    """"4" in menu 4: book the held place for the caller (``accept_offer`` with the
    caller's mobile: only their own entry). Pressed again (Twilio's retry), the same
    appointment. Ended meanwhile, or the caller's day in that department taken
    elsewhere (then the place passes on), menu 4 again with why."""
    entry_id = ctx.read(Mine).held_offer or 0
    try:
        appointment = accept_offer(
            ctx.session, entry_id, rules=rules(ctx), phone=str(ctx.caller_mobile),
            channel=Channel.IVR, tz=ctx.settings.helpline_timezone, language=ctx.lang,
            idempotency_key=f"ivr:{ctx.call_sid}:held:{entry_id}")
    except OfferEndedDayHeld:
        return ctx.go("mine", intro=[ctx.t("ivr.offer.day_held")])
    except DomainError as exc:
        log.info("held place %s not taken: %s", entry_id, exc.code)
        return ctx.go("mine", intro=[ctx.t("ivr.offer.gone")])
    ctx.log_outcome(CallOutcome.BOOKED)
    ctx.log_done()
    return ctx.go("book.done", Booking(reference=appointment.reference,
                                       token=appointment.day_token))
