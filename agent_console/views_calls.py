"""The agent's desk (state, the routed call, wrap-up and its disposition), their own
profile, callbacks waiting, and booking on a caller's behalf."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, redirect, render_template, request, url_for
from flask import session as browser_session

from agent_console import bp
from agent_console.auth import flash_done, flash_error, helpline_oversight, helpline_work
from agent_console.i18n import current_language
from agent_console.views_grievances import _int
from agent_console.views_phone import callback_pops, caller_from_args, caller_key
from booking_core.appointments import (
    BookingRules,
    Channel,
    book_appointment,
    cancel_appointment,
    overlapping_appointments,
    reschedule_appointment,
    upcoming_appointments,
)
from booking_core.base import (
    DomainError,
    InvalidDay,
    InvalidInput,
    calendar_day,
    utcnow,
    whole_number,
)
from booking_core.ehealth import Sex, book_with_card, cards_for_phone, find_card
from booking_core.hospitals import in_name_order, list_departments, list_hospitals
from booking_core.phones import mask_phone, try_normalise_mobile
from booking_core.refs import spaced_card_number
from booking_core.slots import days_with_free_seats, free_slots
from contact_centre.agents import agent_desk, update_agent_profile
from contact_centre.callbacks import (
    OUTCOMES,
    call_back,
    claim_callback,
    claimed_callbacks,
    my_callbacks,
    record_callback_outcome,
    release_callback,
    waiting_callbacks,
)
from contact_centre.models import CallDevice, Disposition
from contact_centre.routing import finish_wrap_up
from helpline.app import current_helpline, get_session
from locales import DEFAULT_LANGUAGE, LANGUAGES


def _wrap_up_seconds() -> int:
    return current_helpline().settings.wrap_up_seconds


@bp.get("/me/desk")
@helpline_work
def desk() -> Any:
    """The desk panel every page shows and refreshes (``_desk.html``)."""
    return render_template("console/_desk.html",
                           desk=agent_desk(get_session(), g.staff.id,
                                           wrap_up_seconds=_wrap_up_seconds()),
                           dispositions=list(Disposition), mask_phone=mask_phone)


@bp.post("/me/wrap-up")
@helpline_work
def wrap_up() -> Any:
    """The disposition of the call the form names (else the agent's last call); in
    that call's wrap-up it also ends it."""
    try:
        finish_wrap_up(get_session(), g.staff.id, request.form.get("disposition", ""),
                       wrap_up_seconds=_wrap_up_seconds(),
                       call_id=whole_number(request.form.get("call")))
    except DomainError as exc:
        flash_error(exc)
    else:
        flash_done("console.done_wrap_up")
    return redirect(_back())


def _back() -> str:
    from agent_console.auth import safe_next

    return safe_next(request.form.get("next"))


@bp.route("/me/profile", methods=["GET", "POST"])
def profile() -> Any:
    """The agent's own phone number and where they take routed calls."""
    form = request.form
    if request.method == "POST":
        try:
            update_agent_profile(get_session(), g.staff.id, phone=form.get("phone", ""),
                                 call_device=form.get("call_device", ""))
        except DomainError as exc:
            flash_error(exc)
            return render_template("console/profile.html", devices=list(CallDevice),
                                   phone=form.get("phone", ""),
                                   device=form.get("call_device", "")), 422
        flash_done("console.done_profile")
        return redirect(url_for("console.profile"))
    return render_template("console/profile.html", devices=list(CallDevice),
                           phone=g.staff.phone or "", device=g.staff.call_device.value)


@bp.get("/callbacks")
@helpline_work
def callbacks() -> Any:
    """The agent's callbacks (in hand, then finished today) and those waiting; for
    the helpline's supervisors also every callback in an agent's hands, to return
    one to the waiting list. ``?change=<id>`` opens the form correcting that
    finished callback's result (the page's refreshes keep it open: they fetch the
    same address)."""
    session = get_session()
    mine = my_callbacks(session, g.staff.id, tz=current_helpline().settings.helpline_timezone)
    held = claimed_callbacks(session) if g.staff.oversees_the_helpline else None
    context = dict(waiting=waiting_callbacks(session), mine=mine, mask_phone=mask_phone,
                   outcomes=list(OUTCOMES), pops=callback_pops(session, mine),
                   changing=whole_number(request.args.get("change")), held=held,
                   now=utcnow())
    if request.headers.get("X-Fragment"):
        return render_template("console/_callbacks.html", **context)
    return render_template("console/callbacks.html", **context)


@bp.post("/callbacks/<int:callback_id>/release")
@helpline_work
@helpline_oversight
def release_callback_view(callback_id: int) -> Any:
    """A supervisor returns a claimed callback to the waiting list. The form carries
    the claim its page showed (``agent``, ``claimed``: the claim's time, ISO 8601); a
    claim that changed since is refused with a sentence saying how."""
    try:
        release_callback(get_session(), callback_id, by=g.staff,
                         expected_agent_id=whole_number(request.form.get("agent")) or 0,
                         seen_claimed_at=_moment(request.form.get("claimed")))
    except DomainError as exc:
        flash_error(exc)
    else:
        flash_done("console.done_callback_release")
    return redirect(url_for("console.callbacks"))  # the message in view, at the top


def _moment(text: str | None) -> dt.datetime | None:
    """An aware time a form sent back as it was drawn; None for anything else."""
    try:
        moment = dt.datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@bp.post("/callbacks/<int:callback_id>/<action>")
@helpline_work
def callback_action(callback_id: int, action: str) -> Any:
    session = get_session()
    try:
        if action == "claim":
            claim_callback(session, callback_id, agent_id=g.staff.id)
        elif action == "call":
            call_back(session, callback_id, agent=g.staff)
        elif action in ("outcome", "correct"):  # the result, or the change of one saved
            # The result version the form was drawn with; a form without one (forged,
            # junk) is a page that changed: no callback has -1.
            seen = whole_number(request.form.get("version"))
            record_callback_outcome(session, callback_id, agent_id=g.staff.id,
                                    outcome=request.form.get("outcome", ""),
                                    notes=request.form.get("notes", ""),
                                    seen_version=-1 if seen is None else seen,
                                    tz=current_helpline().settings.helpline_timezone)
        else:
            raise InvalidInput("no such action", field="action")
    except DomainError as exc:
        flash_error(exc)  # at the top of the page, where the agent reads it
        if action == "correct" and isinstance(exc, InvalidInput):  # the form again
            return redirect(url_for("console.callbacks", change=callback_id))
        return redirect(url_for("console.callbacks"))
    flash_done(f"console.done_callback_{action}")
    if action in ("outcome", "correct"):  # the card, now finished, in view
        return redirect(url_for("console.callbacks", _anchor=f"callback-{callback_id}"))
    return redirect(url_for("console.callbacks"))


def _rules() -> BookingRules:
    settings = current_helpline().settings
    return BookingRules(window_days=settings.booking_window_days, tz=settings.helpline_timezone,
                        quiet_hours=settings.sms_quiet_hours)


@bp.route("/booking", methods=["GET", "POST"])
def booking() -> Any:
    """Step by step on one page: the caller's number, hospital, department, day, slot.
    The find form is posted, so a typed mobile never enters an address (browser
    history, a proxy's log): the page it leads to carries a key for it (``?who=``)."""
    session = get_session()
    args = request.form if request.method == "POST" else request.args
    rules = _rules()
    typed = try_normalise_mobile(args.get("phone"))
    if typed:  # the number leaves the address: the page's links carry a key for it
        rest = {k: v for k, v in args.items() if k not in ("phone", "who", "csrf_token")}
        return redirect(url_for("console.booking", who=caller_key(typed), **rest), code=303)
    caller = caller_from_args()  # "book for them": a caller on screen, a search hit, a key
    phone = caller[0] if caller else None
    who = caller_key(phone) if phone else ""
    # A hospital's staff book, see and act on their hospital's appointments only.
    within = g.staff.grievance_hospital
    hospitals = in_name_order([h for h in list_hospitals(session) if within in (None, h.id)],
                              current_language(), short=True)
    hospital_id = _int(args.get("hospital"))
    if hospital_id not in {h.id for h in hospitals}:
        hospital_id = None
    department_id = _int(args.get("department"))
    try:
        day = calendar_day(args.get("day")) if args.get("day") else None
    except InvalidDay as exc:
        flash_error(exc)
        day = None
    departments = list_departments(session, hospital_id) if hospital_id else []
    if department_id not in {d.id for d in departments}:
        department_id = None
    days = (days_with_free_seats(session, department_id, window_days=rules.window_days,
                                 tz=rules.tz, limit=10) if department_id else [])
    slots = (free_slots(session, department_id, day, window_days=rules.window_days,
                        tz=rules.tz) if department_id and day else [])
    appointments = (upcoming_appointments(session, phone, within_hospital=within)
                    if phone else [])
    cards = cards_for_phone(session, phone) if phone else []
    overlaps = (overlapping_appointments(session, phone, slots, within_hospital=within)
                if phone else {})
    move = args.get("move")
    return render_template(
        "console/booking.html", phone=phone, who=who,
        # A link whose caller this browser no longer holds (another session, signed in
        # again): say so, rather than show an empty number as if none had been chosen.
        caller_lost=bool(args.get("who")) and caller is None,
        raw_phone=args.get("phone", "") or phone or "",
        hospitals=hospitals, hospital_id=hospital_id, departments=departments,
        department_id=department_id, days=days, day=day, slots=slots,
        appointments=appointments, overlaps=overlaps, mask_phone=mask_phone, move=move,
        # Cancel and move are offered only where the domain allows them.
        changeable={a.id for a in appointments if a.may_cancel(utcnow())},
        cards=cards, spaced_card_number=spaced_card_number, sexes=list(Sex),
        tz=rules.tz, patient_name=str(browser_session.pop(TYPED_NAME, "")),
        language=_citizens_language(args.get("language"), caller[1] if caller else None),
    )


def _citizens_language(asked: str | None, callers: str | None) -> str:
    """The language the booking form starts with: the address's when it is one of the
    helpline's, else the caller's own, else Hindi. An address is only read here (a
    forged one shows nothing of itself); the booking refuses one it is sent
    (``booking_action``)."""
    for language in (asked, callers):
        if language in LANGUAGES:
            return str(language)
    return DEFAULT_LANGUAGE


# A refused patient name comes back in the booking form after the redirect, as typed
# (in the signed session cookie, never the URL: a name is personal). Bounded only so
# that a pasted page cannot overflow the cookie.
TYPED_NAME = "typed_patient_name"
TYPED_NAME_KEPT = 1000


@bp.post("/booking/<action>")
def booking_action(action: str) -> Any:
    """Book, cancel or move an appointment for a caller. A booking's language is the
    citizen's (their SMS): one that is not the helpline's is refused by the domain
    (``book_appointment``) and not carried back to the page; left out, it is Hindi, as
    the booking page starts with for a caller of no known language."""
    session = get_session()
    form = request.form
    rules = _rules()
    actor = g.staff.username
    within = g.staff.grievance_hospital  # a hospital's staff: its appointments only
    back = {k: form.get(k) for k in ("hospital", "department", "day") if form.get(k)}
    if form.get("language") in LANGUAGES:
        back["language"] = form.get("language")
    phone = try_normalise_mobile(form.get("phone"))
    if phone:
        back["who"] = caller_key(phone)
    try:
        if action == "book" and form.get("card"):  # a card of the caller's mobile
            card = find_card(session, form.get("card", ""), form.get("phone", ""))
            appointment = book_with_card(
                session, card_number=card.number, slot_id=_int(form.get("slot")) or 0,
                channel=Channel.AGENT, language=form.get("language", DEFAULT_LANGUAGE),
                actor=actor, rules=rules, within_hospital=within)
            flash_done("console.done_booked", reference=appointment.reference,
                       token=appointment.day_token)
        elif action == "book":
            appointment = book_appointment(
                session, slot_id=_int(form.get("slot")) or 0, phone=form.get("phone", ""),
                channel=Channel.AGENT, language=form.get("language", DEFAULT_LANGUAGE),
                patient_name=form.get("patient_name") or None,
                abha_number=form.get("abha") or None, actor=actor, rules=rules,
                within_hospital=within)
            flash_done("console.done_booked", reference=appointment.reference,
                       token=appointment.day_token)
        elif action == "cancel":
            cancel_appointment(session, form.get("reference", ""), channel=Channel.AGENT,
                               actor=actor, rules=rules, within_hospital=within)
            flash_done("console.done_cancelled")
        elif action == "reschedule":
            reschedule_appointment(session, form.get("reference", ""),
                                   _int(form.get("slot")) or 0, channel=Channel.AGENT,
                                   actor=actor, rules=rules, within_hospital=within)
            flash_done("console.done_rescheduled")
        else:
            raise InvalidInput("no such action", field="action")
    except DomainError as exc:
        flash_error(exc)
        if action == "book" and exc.details.get("field") == "patient_name":
            browser_session[TYPED_NAME] = form.get("patient_name", "")[:TYPED_NAME_KEPT]
    return redirect(url_for("console.booking", **back))
