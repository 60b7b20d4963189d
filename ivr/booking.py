"""Booking an OPD appointment by phone: department, day, time, patient, read-back,
then the reference digit by digit.

A first-time caller who takes the first offer at each step books with ``1`` (book),
hospital, department, day, time, ``1`` (confirm): six keys; paging adds at most three.
The patient is the caller unless they choose otherwise at the read-back.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import replace

from twilio.twiml.voice_response import VoiceResponse

from booking_core.appointments import (
    DAY_HELD,
    AlreadyBooked,
    BookingRules,
    Channel,
    OutsideWindow,
    SlotFull,
    SlotUnavailable,
    book_appointment,
    held_by,
)
from booking_core.base import DomainError, NotFound
from booking_core.citizens import InvalidAbha, normalise_abha
from booking_core.demand import known_caller, next_visit_for
from booking_core.ehealth import book_with_card
from booking_core.phones import InvalidMobile, last_digits, mask_phone, normalise_mobile
from booking_core.slots import SlotView, days_with_free_seats, few_left, free_slots, get_slot
from contact_centre.models import CallOutcome
from ivr.choosers import Option, choice_input, choice_prompt
from ivr.engine import action, condition
from ivr.flow import Ctx, step
from ivr.speech import NUMBER_MARK
from ivr.state import Booking, Choosing, Complaint
from locales.formatting import format_date, format_number, local, spoken_day, spoken_time

log = logging.getLogger(__name__)

DAYS_PER_PAGE = 3


def rules(ctx: Ctx) -> BookingRules:
    return BookingRules(window_days=ctx.settings.booking_window_days,
                        tz=ctx.settings.helpline_timezone,
                        quiet_hours=ctx.settings.sms_quiet_hours)


def _department_options(ctx: Ctx, hospital_id: int) -> list[Option]:
    return [Option(d.id, d.name(ctx.lang), [d.name_en, d.name_hi, *(d.aliases or [])])
            for d in ctx.directory.departments.get(hospital_id, [])]


@action("start_booking")
def start_booking(ctx: Ctx) -> VoiceResponse:
    """A caller who booked before is offered the next free time in the department of
    their latest booking (one read, one key to book); anyone else chooses a hospital."""
    known = ctx.read(Choosing)
    last_department = known.last_department
    if last_department is None and known.last_hospital and ctx.caller_mobile:
        # Known only since they chose a language in this call (a citizen who booked
        # elsewhere, the portal say): read once.
        caller = known_caller(ctx.session, ctx.caller_mobile)
        last_department = caller.last_department_id if caller else 0
    department = ctx.directory.department_by_id.get(last_department or 0)
    if ctx.caller_mobile and department is not None and (
            department.hospital_id in ctx.directory.hospital_by_id):
        s = ctx.settings
        slot = next_visit_for(ctx.session, ctx.caller_mobile, department.id,
                              window_days=s.booking_window_days, tz=s.helpline_timezone)
        if slot is not None:
            offer = Booking(hospital=department.hospital_id, department=department.id,
                            day=slot.local_day.isoformat(), slot=slot.id,
                            starts=int(slot.starts_at.timestamp()),
                            # Names the offer: "1" books once per offer, however often
                            # Twilio delivers it (the booking's idempotency key).
                            readback=secrets.token_hex(4))
            return ctx.go("book.again", offer,
                          Choosing(last_hospital=known.last_hospital))
    return ctx.go("pick.hospital", Choosing(purpose="book", last_hospital=known.last_hospital))


def _offer_days_ahead(ctx: Ctx) -> int:
    day = ctx.read(Booking).day
    return (dt.date.fromisoformat(day) - ctx.today).days if day else -1


@condition("offer_today")
def offer_today(ctx: Ctx) -> bool:
    return _offer_days_ahead(ctx) == 0


@condition("offer_tomorrow")
def offer_tomorrow(ctx: Ctx) -> bool:
    return _offer_days_ahead(ctx) == 1


@condition("offer_later")
def offer_later(ctx: Ctx) -> bool:
    return _offer_days_ahead(ctx) not in (0, 1)


@step("book.again")
def book_again(ctx: Ctx) -> VoiceResponse:
    hospital_id, department_id, local_day, starts_at = _chosen_slot(ctx)
    ctx.option_params = {
        "hospital": ctx.directory.hospital(hospital_id).short_name(ctx.lang),
        "department": ctx.directory.department(department_id).name(ctx.lang),
        "date": format_date(ctx.lang, local_day),
        "time": spoken_time(ctx.lang, starts_at, ctx.settings.helpline_timezone)}
    return ctx.menu([])


@step("book.department")
def pick_department(ctx: Ctx) -> VoiceResponse:
    hospital = ctx.directory.hospital(ctx.read(Booking).hospital or 0)
    options = _department_options(ctx, hospital.id)
    if not options:
        return ctx.go("pick.hospital", Choosing(purpose="book"),
                      intro=[ctx.t("ivr.book.no_departments")])
    return choice_prompt(ctx, options, heading=ctx.t("ivr.book.department_heading",
                                                     hospital=hospital.short_name(ctx.lang)),
                         more_key="ivr.pick.more_departments")


@pick_department.on_input
def department_chosen(ctx: Ctx) -> VoiceResponse:
    hospital = ctx.read(Booking).hospital
    options = _department_options(ctx, hospital or 0)
    return choice_input(ctx, options, lambda c, dep: c.go(
        "book.day", Booking(hospital=hospital, department=int(dep))))


def _patient_mobile(ctx: Ctx, booking: Booking) -> str | None:
    """The mobile whose own appointments decide which days can be booked: the patient's
    typed for someone else, else the caller's; None for an eHealth card (its person's
    days are the card's, checked when booking) or a caller without a mobile."""
    if booking.card:
        return None
    return booking.patient_mobile or ctx.caller_mobile


def _where(booking: Booking) -> Booking:
    """The hospital, department and patient of ``booking``: what choosing another day or
    time keeps."""
    return Booking(hospital=booking.hospital, department=booking.department,
                   patient_mobile=booking.patient_mobile, abha=booking.abha,
                   card=booking.card)


def _days(ctx: Ctx, *, all_days: bool = False) -> tuple[int, list[tuple[dt.date, int]], bool]:
    """A page of days with free seats, leaving out days on which the patient already
    holds an appointment in the department (the booking would refuse them); with
    ``all_days``, those too."""
    page = ctx.read(Choosing).page
    want = DAYS_PER_PAGE * (page + 1)
    s = ctx.settings
    booking = ctx.read(Booking)
    department = booking.department or 0
    patient = None if all_days else _patient_mobile(ctx, booking)
    rows = days_with_free_seats(ctx.session, department, window_days=s.booking_window_days,
                                tz=s.helpline_timezone, limit=want + 1,
                                excluding=DAY_HELD if patient else None,
                                params=held_by(patient) if patient else None)
    if page and len(rows) <= page * DAYS_PER_PAGE:
        page, rows = 0, rows[:DAYS_PER_PAGE + 1]
    items = rows[page * DAYS_PER_PAGE:(page + 1) * DAYS_PER_PAGE]
    return page, items, len(rows) > (page + 1) * DAYS_PER_PAGE


@step("book.day")
def pick_day(ctx: Ctx) -> VoiceResponse:
    page, items, more = _days(ctx)
    booking = ctx.read(Booking)
    if not items:
        if _patient_mobile(ctx, booking) and _days(ctx, all_days=True)[1]:
            # Free days, but the patient already holds each of them in this department.
            return ctx.go("book.department", Booking(hospital=booking.hospital),
                          intro=[ctx.t("ivr.book.every_day_held")])
        from ivr.offer import full_days  # the waiting list's menu, if a day is full

        return full_days(ctx, booking)
    lines = [ctx.t("ivr.book.day_heading")]
    today = ctx.today
    for number, (day, seats) in enumerate(items, 1):
        # No seat counts ("1 seats"): only a warning when few places are left.
        key = "ivr.book.day_item_few" if few_left(seats) else "ivr.book.day_item"
        lines.append(ctx.t(key, date=spoken_day(ctx.lang, day, today), digit=number))
    if more:
        lines.append(ctx.t("ivr.book.more_days"))
    # What the prompt offered travels in the (signed) state: the answer maps the key
    # pressed onto what the caller heard, without reading it again.
    offered = replace(booking, offered_days=[day.isoformat() for day, _ in items],
                      more_days=more)
    return ctx.menu(lines, state=ctx.own_state(offered, Choosing(page=page)))


@pick_day.on_input
def day_chosen(ctx: Ctx) -> VoiceResponse:
    booking = ctx.read(Booking)
    offered = booking.offered_days
    if not offered:  # a URL from before days were carried in the state
        page, items, more = _days(ctx)
        offered = [day.isoformat() for day, _ in items]
    else:
        page, more = ctx.read(Choosing).page, booking.more_days
    where = _where(booking)
    if ctx.digits == "8" and more:
        return ctx.go("book.day", where, Choosing(page=page + 1))
    if ctx.digits.isdigit() and 1 <= int(ctx.digits) <= len(offered):
        day = dt.date.fromisoformat(str(offered[int(ctx.digits) - 1]))
        return ctx.go("book.slot", replace(where, day=day.isoformat()))
    return ctx.again()


def _free_slots(ctx: Ctx) -> list[SlotView]:
    s = ctx.settings
    booking = ctx.read(Booking)
    try:
        day = dt.date.fromisoformat(str(booking.day))
    except ValueError:
        return []
    return free_slots(ctx.session, booking.department or 0, day,
                      window_days=s.booking_window_days, tz=s.helpline_timezone)


def _slot_options(ctx: Ctx, slots: list[SlotView]) -> list[Option]:
    """The free times as the menu reads them; each knows its clock time, so the caller
    may say a time ("10 am", «साढ़े दस») as well as press its key."""
    tz = ctx.settings.helpline_timezone
    return [Option(slot.id, spoken_time(ctx.lang, slot.starts_at, tz),
                   item_key="ivr.book.slot_item_few" if few_left(slot.free) else None,
                   at=local(slot.starts_at, tz).time())
            for slot in slots]




@step("book.slot")
def pick_slot(ctx: Ctx) -> VoiceResponse:
    slots = _free_slots(ctx)
    options = _slot_options(ctx, slots)
    booking = ctx.read(Booking)
    if not options:
        return ctx.go("book.day", _where(booking), intro=[ctx.t("ivr.book.day_gone")])
    ctx.state.update(replace(booking, offered_slots=[slot.id for slot in slots],
                             offered_starts=[int(slot.starts_at.timestamp())
                                             for slot in slots]).wire())
    return choice_prompt(ctx, options, heading=ctx.t("ivr.book.slot_heading"),
                         more_key="ivr.book.more_slots")


@pick_slot.on_input
def slot_chosen(ctx: Ctx) -> VoiceResponse:
    booking = ctx.read(Booking)
    offered, starts = booking.offered_slots, booking.offered_starts
    # A key needs only the ids and times the prompt offered (a slot that filled since is
    # caught by the booking, which offers the next one); a spoken time is matched
    # against the words of the times, read again.
    if offered and starts and len(starts) == len(offered) and not ctx.speech:
        options = [Option(slot_id, "") for slot_id in offered]
        start_of = dict(zip(offered, starts, strict=True))
    else:
        slots = _free_slots(ctx)
        options = _slot_options(ctx, slots)
        start_of = {slot.id: int(slot.starts_at.timestamp()) for slot in slots}
    return choice_input(ctx, options, lambda c, slot_id: _to_readback(
        c, int(slot_id), start_of.get(int(slot_id))))


def _to_readback(ctx: Ctx, slot_id: int, starts: int | None, *, day: dt.date | None = None,
                 intro: list[str] | None = None) -> VoiceResponse:
    """The read-back of ``slot_id``, whose start time (Unix seconds; on ``day`` when not
    the day chosen) the caller was offered: it travels in the state, so the read-back
    reads nothing."""
    booking = ctx.read(Booking)
    booking = replace(booking, slot=slot_id, readback=secrets.token_hex(4),
                      offered_days=None, offered_slots=None, offered_starts=None,
                      starts=starts, more_days=False,
                      day=day.isoformat() if day else booking.day)
    state = ctx.own_state(booking, Choosing())
    if not booking.patient_mobile and not booking.card and not ctx.caller_mobile:
        return ctx.go("book.mobile", intro=intro, **state)
    return ctx.go("book.confirm", intro=intro, **state)


def _patient_words(ctx: Ctx) -> tuple[str, str | None]:
    """Who the booking is for, and a number to read back whole: a mobile typed for
    someone else is read back in full (a slip of one key would text a stranger)."""
    booking = ctx.read(Booking)
    if booking.card:
        return ctx.t("ivr.book.patient_card", last=" ".join(booking.card[-4:])), None
    if booking.abha:
        return ctx.t("ivr.book.patient_abha", last=" ".join(booking.abha[-4:])), None
    if booking.patient_mobile:
        return (ctx.t("ivr.book.patient_other", number=NUMBER_MARK),
                booking.patient_mobile.removeprefix("+91"))
    return ctx.t("ivr.book.patient_self"), None


def _chosen_slot(ctx: Ctx) -> tuple[int, int, dt.date, dt.datetime]:
    """(hospital id, department id, local day, start) of the slot being read back: from
    the state when the offer carried them, else read."""
    booking = ctx.read(Booking)
    if booking.starts and booking.hospital and booking.department and booking.day:
        return (booking.hospital, booking.department, dt.date.fromisoformat(booking.day),
                dt.datetime.fromtimestamp(booking.starts, dt.UTC))
    slot = get_slot(ctx.session, booking.slot or 0)
    return slot.hospital_id, slot.department_id, slot.local_day, slot.starts_at


@step("book.confirm")
def readback(ctx: Ctx) -> VoiceResponse:
    hospital_id, department_id, local_day, starts_at = _chosen_slot(ctx)
    hospital = ctx.directory.hospital(hospital_id)
    department = ctx.directory.department(department_id)
    tz = ctx.settings.helpline_timezone
    days_ahead = (local_day - ctx.today).days
    sentence = {0: "ivr.book.readback_today", 1: "ivr.book.readback_tomorrow"}.get(
        days_ahead, "ivr.book.readback")
    patient, number = _patient_words(ctx)
    return ctx.menu([
        ctx.t_number(sentence, number or "", group=5, hospital=hospital.short_name(ctx.lang),
                     department=department.name(ctx.lang),
                     date=format_date(ctx.lang, local_day),
                     time=spoken_time(ctx.lang, starts_at, tz), patient=patient),
    ])


@condition("caller_mobile")
def caller_has_a_mobile(ctx: Ctx) -> bool:
    return ctx.caller_mobile is not None


@action("patient_is_caller")
def patient_is_caller(ctx: Ctx) -> VoiceResponse:
    booking = replace(ctx.read(Booking), patient_mobile=None, abha=None, card=None)
    return ctx.go("book.confirm", **ctx.own_state(booking))


@step("book.mobile")
def ask_mobile(ctx: Ctx) -> VoiceResponse:
    """A mobile number: the patient's (booking) or where to text a grievance's reference.
    A caller with no mobile we can text hears why, the first time: we cannot see their
    number, or it cannot get an SMS (a landline), and the booking's SMS goes to the
    patient's mobile, or the complaint number is sent by SMS; a retry (a wrong number,
    silence) keeps the short form."""
    if ctx.caller_mobile is None and ctx.tries == 0:
        complaint = ctx.read(Choosing).purpose == "griev"
        return ctx.menu([ctx.t(_WHY_WE_ASK[complaint, ctx.caller_landline])])
    return ctx.menu([ctx.t("ivr.book.type_mobile")])


# Why a caller with no mobile we can text is asked for one, by (for a complaint,
# calling from a landline): their number is withheld, or it cannot get an SMS.
_WHY_WE_ASK = {
    (False, False): "ivr.book.type_mobile_hidden",
    (False, True): "ivr.book.type_mobile_landline",
    (True, False): "ivr.griev.type_mobile_hidden",
    (True, True): "ivr.griev.type_mobile_landline",
}


@ask_mobile.on_input
def mobile_typed(ctx: Ctx) -> VoiceResponse:
    try:
        phone = normalise_mobile(ctx.digits)
    except InvalidMobile:
        return ctx.again("ivr.book.bad_mobile")
    if ctx.read(Choosing).purpose == "griev":
        return ctx.go("pick.hospital", **ctx.own_state(
            replace(ctx.read(Complaint), mobile=phone)))
    return ctx.go("book.confirm", **ctx.own_state(
        replace(ctx.read(Booking), patient_mobile=phone, card=None)))


@step("book.abha")
def ask_abha(ctx: Ctx) -> VoiceResponse:
    return ctx.menu([ctx.t("ivr.book.type_abha")])


@ask_abha.on_input
def abha_typed(ctx: Ctx) -> VoiceResponse:
    try:
        abha = normalise_abha(ctx.digits)
    except InvalidAbha:
        return ctx.again("ivr.book.bad_abha")
    booking = replace(ctx.read(Booking), abha=abha, card=None)
    state = ctx.own_state(booking)
    if not booking.patient_mobile and not ctx.caller_mobile:
        return ctx.go("book.mobile", **state)
    return ctx.go("book.confirm", **state)


@action("book")
def book(ctx: Ctx) -> VoiceResponse:
    """Book once per read-back (key: the call and the read-back's ``n``), however often
    Twilio delivers the ``1``: the booking core claims the key, books and records the
    reference in one transaction, and a repeat hears the same reference."""
    booking = ctx.read(Booking)
    if booking.card:
        return _book_with_card(ctx, booking)
    patient = booking.patient_mobile or ctx.caller_mobile
    try:
        appointment = book_appointment(
            ctx.session, slot_id=booking.slot or 0, phone=patient, channel=Channel.IVR,
            language=ctx.lang, abha_number=booking.abha,
            booked_by_phone=ctx.caller_mobile if patient != ctx.caller_mobile else None,
            actor="ivr", rules=rules(ctx),
            idempotency_key=f"ivr:{ctx.call_sid}:book:{booking.readback}",
            # An ABHA typed without the patient's own mobile is a relative's: never the
            # caller's record.
            abha_of_phone_owner=bool(booking.patient_mobile),
            requested_by=ctx.call_sid,
        )
    except DomainError as exc:
        return _booking_refused(ctx, exc)
    ctx.log_outcome(CallOutcome.BOOKED)
    ctx.log_done()
    log.info("IVR booking %s for %s", appointment.id, mask_phone(appointment.citizen.phone))
    return ctx.go("book.done", Booking(reference=appointment.reference, token=appointment.day_token,
                                       patient_mobile=booking.patient_mobile,
                                       for_patient=not _patient_is_caller(ctx, booking)))


def _book_with_card(ctx: Ctx, booking: Booking) -> VoiceResponse:
    """Book for the eHealth card typed at the read-back: the appointment is the card's,
    its SMS go to the card's mobile (told who booked, when another phone called)."""
    try:
        appointment = book_with_card(
            ctx.session, card_number=str(booking.card), slot_id=booking.slot or 0,
            channel=Channel.IVR, language=ctx.lang, booked_by_phone=ctx.caller_mobile,
            actor="ivr", rules=rules(ctx),
            idempotency_key=f"ivr:{ctx.call_sid}:book:{booking.readback}",
            requested_by=ctx.call_sid,
        )
    except DomainError as exc:
        return _booking_refused(ctx, exc)
    ctx.log_outcome(CallOutcome.BOOKED)
    ctx.log_done()
    log.info("IVR booking %s with an eHealth card", appointment.id)
    patient = appointment.citizen.phone
    return ctx.go("book.done", Booking(
        reference=appointment.reference, token=appointment.day_token,
        patient_mobile=patient if patient != ctx.caller_mobile else None,
        for_patient=not _patient_is_caller(ctx, booking)))


def _booking_refused(ctx: Ctx, exc: DomainError) -> VoiceResponse:
    booking = ctx.read(Booking)
    where = _where(booking)
    if isinstance(exc, SlotFull):
        slot = get_slot(ctx.session, booking.slot or 0)
        s = ctx.settings
        later = [v for v in free_slots(ctx.session, slot.department_id, slot.local_day,
                                       window_days=s.booking_window_days, tz=s.helpline_timezone)
                 if v.starts_at >= slot.starts_at] or free_slots(
            ctx.session, slot.department_id, window_days=s.booking_window_days,
            tz=s.helpline_timezone, limit=1)
        if not later:  # the department's last free appointments went meanwhile
            from ivr.offer import full_days

            return full_days(ctx, Booking(hospital=booking.hospital,
                                          department=slot.department_id),
                             said=[ctx.t("ivr.book.all_filled")])
        return _to_readback(ctx, later[0].id, int(later[0].starts_at.timestamp()),
                            day=later[0].local_day, intro=[ctx.t("ivr.book.slot_filled")])
    if isinstance(exc, AlreadyBooked):
        # The day was taken meanwhile (another call, the portal): choose another day at
        # the same hospital and department, for the same patient; the day menu now
        # leaves that day out.
        # Its number and department only to the patient calling from their own number:
        # anyone who types a mobile (or a card) would otherwise learn where that person
        # goes and the number that cancels it by SMS.
        reference = exc.details.get("reference")
        if not _patient_is_caller(ctx, booking):
            said = ctx.t("ivr.book.already_booked_patient")
        elif reference:
            said = ctx.t_number("ivr.book.already_booked_ref", reference)
        else:
            said = ctx.t("ivr.book.already_booked")
        return ctx.go("book.day", where, intro=[said])
    if isinstance(exc, SlotUnavailable | OutsideWindow | NotFound):
        return ctx.go("book.day", where, intro=[ctx.t("ivr.book.slot_gone")])
    raise exc


def _patient_is_caller(ctx: Ctx, booking: Booking) -> bool:
    """Whether the patient is the caller, the one rule for "booked for someone else"
    (what the caller hears after booking, what a refusal may reveal): the caller's
    number is seen, no card was typed, the patient's mobile is the caller's own caller
    id (typed or not), and no ABHA number was typed without the patient's own mobile
    (a relative without a mobile, booked on the caller's phone: its SMS then speak of
    "the patient", ``booking_core.appointments.for_reader``)."""
    return (ctx.caller_mobile is not None and not booking.card
            and (booking.patient_mobile or ctx.caller_mobile) == ctx.caller_mobile
            and not (booking.abha and not booking.patient_mobile))


@step("book.done")
def booked(ctx: Ctx) -> VoiceResponse:
    """The booking number, read twice, slowly; where the SMS went; what to do next."""
    booking = ctx.read(Booking)
    reference = str(booking.reference)
    token = format_number(ctx.lang, booking.token or 0)
    if booking.for_patient or booking.patient_mobile:
        # Booked for someone else: it is the patient's booking. Its SMS went to the
        # patient's mobile, or to the caller's own when the patient has none (by ABHA).
        sent = (ctx.t("ivr.book.sent_to_patient",
                      last=" ".join(last_digits(booking.patient_mobile)))
                if booking.patient_mobile else ctx.t("ivr.book.sent_to_you"))
        return ctx.menu([
            ctx.t("ivr.book.done_patient", token=token),
            ctx.t_number("ivr.book.number_twice_patient", reference),
            sent,
            ctx.t("ivr.book.at_hospital_patient"),
        ])
    return ctx.menu([
        ctx.t("ivr.book.done", token=token),
        ctx.t_number("ivr.book.number_twice", reference),
        ctx.t("ivr.book.sent_to_you"),
        ctx.t("ivr.book.at_hospital"),
    ])


@step("book.number")
def booking_number(ctx: Ctx) -> VoiceResponse:
    """"Hear again": only the number."""
    booking = ctx.read(Booking)
    key = ("ivr.book.number_patient" if booking.for_patient or booking.patient_mobile
           else "ivr.book.number")
    return ctx.menu([ctx.t_number(key, str(booking.reference))])
