"""My appointments, for a verified mobile: list, details, cancel, reschedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, redirect, request, url_for

from booking_core.appointments import (
    Appointment,
    AppointmentStatus,
    Channel,
    cancel_appointment,
    find_appointment,
    reminders_ahead,
    reschedule_appointment,
    upcoming_appointments,
)
from booking_core.base import DomainError, NotFound, utcnow, whole_number
from booking_core.card_print import qr_data_uri
from booking_core.opd_board import progress, todays_appointments
from booking_core.opd_day import booking_code, local_today
from booking_core.phones import last_digits
from booking_core.refs import normalise_reference
from booking_core.waiting_list import waiting_places
from helpline.app import current_helpline, get_session
from helpline.opd_jobs import booking_code_key
from locales.formatting import format_wait
from portal_api.errors import ApiError
from portal_api.reads import read_session
from portal_api.views_appointments import booking_rules
from portal_api.views_catalogue import department_availability
from portal_web import carry, i18n
from portal_web.blueprint import portal
from portal_web.pages import kept_on_outage, outage_message, page
from portal_web.verify import ask_first, check_in_place, current_check
from portal_web.views_booking import choose_times

# What a finished action may say on the appointment's page, by the status it left.
DONE = {"booked": AppointmentStatus.BOOKED, "rescheduled": AppointmentStatus.BOOKED,
        "cancelled": AppointmentStatus.CANCELLED}


def _asking_first(reference: str) -> Response:
    """A cancel or change link (the booking SMS's) followed before the mobile is
    proved: the appointment's page asks for the code, then goes on to the page the
    link named (``verify.step_location``), not to the appointment's page."""
    return ask_first(url_for("portal.appointment", reference=reference))


def _status(check: Any) -> int:
    """422 for a refused step answered in place (its carry too big), else 200."""
    return 422 if check.errors and request.method == "POST" else 200


@portal.route("/appointments", methods=["GET", "POST"])
def appointments() -> Any:
    """The verified mobile's coming appointments (as patient or as the one who booked),
    soonest first; the verification block until the mobile is proved."""
    check = check_in_place()
    if isinstance(check, Response):
        return check
    session = get_session()
    found = upcoming_appointments(session, check.phone) if check.phone else []
    settings = current_helpline().settings
    # Waiting lists: the active places, and those a closed OPD ended (said as ended).
    waiting = (waiting_places(session, check.phone,
                              today=local_today(utcnow(), settings.helpline_timezone))
               if check.phone else [])
    if check.phone:  # today's checked-in visits too: the queue may have passed them
        listed = {a.id for a in found}
        found = [a for a in todays_appointments(session, check.phone, utcnow(),
                                                settings.helpline_timezone)
                 if a.id not in listed] + found
    return page("appointments.html", _status(check), check=check, appointments=found,
                waiting=waiting, queue={a.id: _queue_words(a, check.phone) for a in found})


@portal.route("/appointments/<reference>", methods=["GET", "POST"])
def appointment(reference: str) -> Any:
    """One appointment of the verified mobile: booking number, token, time, what to
    bring; cancel and reschedule. The confirmation page after booking."""
    check = check_in_place()
    if isinstance(check, Response):
        return check
    if check.phone is None:
        return page("appointment_verify.html", _status(check), check=check,
                    reference=normalise_reference(reference)[:8])
    found = find_appointment(get_session(), reference, check.phone)
    done = carry.done()
    said = said_to(found, check.phone)
    # Seen by the mobile that booked it for someone else (an eHealth card's holder):
    # the SMS went to the patient's mobile, named by its last digits only.
    notice = said[done] if DONE.get(done) == found.status else ""
    error = i18n.again(carry.take().get("error", ""))
    active = found.status == AppointmentStatus.BOOKED
    return page("appointment.html", appointment=found, notice=notice, check=check,
                said=said, error=error, active=active, cancellable=found.may_cancel(utcnow()),
                queue=_queue_words(found, check.phone),
                sms_sent=_sms_sent(found, check.phone),
                qr=_booking_qr(found) if active else None)


# The sentences of the appointment's pages that speak of the patient, one whole sentence
# per reader: the patient's own mobile ("your appointment"), or the mobile that booked
# it for someone else (an eHealth card's holder, on a mobile of their own), naming the
# patient, or, the name unknown, saying "the patient". The move page's and the visit
# day's queue sentences too.
_WHOSE = {
    "title": ("portal.appointment.title", "portal.appointment.title_for",
              "portal.appointment.title_other"),
    "booked": ("portal.done.booked", "portal.done.booked_for", "portal.done.booked_other"),
    "rescheduled": ("portal.done.rescheduled", "portal.done.rescheduled_for",
                    "portal.done.rescheduled_other"),
    "cancelled": ("portal.done.cancelled", "portal.done.cancelled_for",
                  "portal.done.cancelled_other"),
    "bring_number": ("portal.appointment.bring_number", "portal.appointment.bring_number_other",
                     "portal.appointment.bring_number_other"),
    "bring_papers": ("portal.appointment.bring_papers", "portal.appointment.bring_papers_other",
                     "portal.appointment.bring_papers_other"),
    "bring_early": ("portal.appointment.bring_early", "portal.appointment.bring_early_other",
                    "portal.appointment.bring_early_other"),
    "no_cancel": ("portal.appointment.started_no_cancel",
                  "portal.appointment.started_no_cancel_other",
                  "portal.appointment.started_no_cancel_other"),
    "cancel_question": ("portal.cancel.question", "portal.cancel.question_for",
                        "portal.cancel.question_other"),
    "cancel_after": ("portal.cancel.after", "portal.cancel.after_other",
                     "portal.cancel.after_other"),
    "move": ("portal.reschedule.confirm", "portal.reschedule.confirm_for",
             "portal.reschedule.confirm_other"),
    "time_now": ("portal.reschedule.current_time", "portal.reschedule.current_time_for",
                 "portal.reschedule.current_time_other"),
    "own_day_full": ("portal.reschedule.own_day_full", "portal.reschedule.own_day_full_for",
                     "portal.reschedule.own_day_full_other"),
    **{f"opd_{state}": (f"portal.opd.{state}", f"portal.opd.{state}_for",
                        f"portal.opd.{state}_other")
       for state in ("not_started", "serving", "wait", "wait_soon", "called", "seen",
                     "passed", "skipped")},
}


class Said:
    """The sentences of ``_WHOSE`` for one appointment and one reader, each rendered when
    read: ``said["title"]`` (``said.title`` in a template), or ``said("opd_wait",
    wait=...)`` for one that needs more than the appointment's own words."""

    def __init__(self, found: Appointment, viewer: str) -> None:
        own, named = found.citizen.phone == viewer, bool(found.patient_name)
        self._case = 0 if own else 1 if named else 2
        self._params = {
            "patient_name": found.patient_name or "",
            "digits": "" if own else last_digits(found.citizen.phone),
            "hospital": i18n.hospital_name(found.hospital),
            "day": i18n.day_text(found.visit_day), "time": i18n.time_text(found.slot.starts_at)}

    def __call__(self, what: str, **more: object) -> str:
        return i18n.t(_WHOSE[what][self._case], **self._params, **more)

    def __getitem__(self, what: str) -> str:
        return self(what)


def said_to(found: Appointment, viewer: str) -> Said:
    """The appointment's sentences about its patient, as ``viewer`` (the verified mobile)
    reads them: "your" only when it is the patient's own mobile (``_WHOSE``)."""
    return Said(found, viewer)


def _queue_words(found: Appointment, viewer: str) -> list[str]:
    """On the visit day, where the patient stands in the OPD queue, in whole sentences,
    from ``opd_board.progress`` (the reading the phone line, the SMS STATUS reply and the
    API use), said to ``viewer`` as ``said_to`` says them: a token the queue passed is
    told to go to the counter, to check in or, called and skipped, to say they have
    come. Nothing on other days."""
    tz = current_helpline().settings.helpline_timezone
    if (found.status not in (AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED)
            or found.visit_day != local_today(utcnow(), tz)):
        return []
    said = said_to(found, viewer)
    where = progress(get_session(), found)
    if where.skipped:
        return [said("opd_skipped", token=where.token)]
    if where.passed:
        return [said("opd_passed", token=where.token, serving=where.serving)]
    if where.seen:
        return [said("opd_seen", token=where.token)]
    if where.called:
        return [said("opd_called", token=where.token)]
    if not where.serving:
        return [said("opd_not_started", token=where.token)]
    words = [said("opd_serving", token=where.token, serving=where.serving)]
    if where.ahead == 0 or where.wait_minutes == 0:
        words.append(said("opd_wait_soon"))
    elif where.wait_minutes is not None:
        words.append(said("opd_wait", wait=format_wait(
            i18n.current_language(), where.wait_minutes * 60)))
    return words


def _booking_qr(found: Appointment) -> str:
    """The booking's signed QR code (``booking_code``), the one the counter scans, as
    an image the page carries."""
    return qr_data_uri(booking_code(found.reference,
                                   booking_code_key(current_helpline().settings)))


# What the page says was and will be sent: one whole sentence per case, naming only the
# reminders still to come (``booking_core.appointments.reminders_ahead``).
_SMS_SENT = {
    ("appointment_reminder_evening", "appointment_reminder_morning"): "both",
    ("appointment_reminder_evening",): "evening",
    ("appointment_reminder_morning",): "morning",
    (): "none",
}


def _sms_sent(found: Appointment, viewer: str) -> str:
    """Where the booking's SMS and reminders go, said to ``viewer`` (the verified mobile):
    their own mobile, or the patient's, by its last digits only, when they booked it for
    someone else (an eHealth card's holder)."""
    if found.citizen.phone != viewer:
        return i18n.t("portal.appointment.sms_sent_other",
                      digits=last_digits(found.citizen.phone))
    return i18n.t(f"portal.appointment.sms_sent_{_SMS_SENT[reminders_ahead(get_session(), found)]}")


@portal.route("/appointments/<reference>/cancel", methods=["GET", "POST"])
def cancel(reference: str) -> Any:
    """Cancel in two steps: the appointment's page links here (GET), which asks "Cancel
    your appointment at X on <day>?" with [Yes, cancel] and [Keep it]; only that form's
    POST (``confirm=yes``) cancels, then a 303 to the appointment's page. A POST without
    the confirmation (an old page's one-tap button) is shown the question instead; a
    second confirmation is harmless (``cancel_appointment`` cancels once)."""
    check = current_check()
    if check.phone is None:  # the code first, then on to this page
        return _asking_first(reference)
    session = get_session()
    held = find_appointment(session, reference, check.phone)
    confirmed = request.method == "POST" and request.form.get("confirm") == "yes"
    if not confirmed:
        # The question only while the domain would cancel (``may_cancel``): not once the
        # patient is checked in, nor after the time began ("too late" after a "yes").
        cancellable = held.may_cancel(utcnow())
        if not cancellable or request.method == "POST":
            target = "portal.cancel" if cancellable else "portal.appointment"
            return redirect(url_for(target, reference=held.reference), code=303)
        return page("appointment_cancel.html", appointment=held,
                    said=said_to(held, check.phone))
    try:
        found = cancel_appointment(session, held.reference, channel=Channel.PORTAL,
                                   phone=check.phone, actor="portal-web", rules=booking_rules())
    except NotFound:
        raise
    except DomainError as exc:
        error = i18n.error_text(exc.code)
        held = find_appointment(session, reference, check.phone)
        # Back to the appointment's page, saying why (PRG); in place if it cannot carry.
        return carry.redirect_with(url_for("portal.appointment", reference=held.reference),
                                   sticky=True, error=i18n.keep(error)) \
            or page("appointment.html", 409, appointment=held, check=check, notice="",
                    said=said_to(held, check.phone), error=error,
                    active=held.status == AppointmentStatus.BOOKED,
                    cancellable=held.may_cancel(utcnow()), sms_sent=_sms_sent(held, check.phone))
    return carry.redirect_done(url_for("portal.appointment", reference=found.reference),
                               "cancelled")


@portal.route("/appointments/<reference>/reschedule", methods=["GET", "POST"])
def reschedule(reference: str) -> Any:
    """Another day and time in the same department, keeping the booking number."""
    check = current_check()
    if check.phone is None:  # the code first, then on to this page
        return _asking_first(reference)
    session = get_session()
    held = find_appointment(session, reference, check.phone)
    error, chosen = "", None
    if request.method == "GET":
        carried = carry.take()
        error, chosen = i18n.again(carried.get("error", "")), whole_number(
            str(carried.get("chosen", "")))
    else:
        chosen = whole_number(request.form.get("slot", ""))
        if chosen is None:
            error = i18n.t("portal.err.choose_time")
        else:
            try:
                moved = reschedule_appointment(
                    session, held.reference, chosen, channel=Channel.PORTAL, phone=check.phone,
                    actor="portal-web", rules=booking_rules())
            except DomainError as exc:
                error = i18n.error_text(exc.code)
            else:
                return carry.redirect_done(
                    url_for("portal.appointment", reference=moved.reference), "rescheduled")
        again = carry.redirect_with(
            url_for("portal.reschedule", reference=held.reference, day=request.args.get("day")),
            sticky=True, error=i18n.keep(error), chosen=chosen)
        if again is not None:  # back to the GET page, saying why (PRG)
            return again
    if not held.may_cancel(utcnow()):  # a move is refused where a cancel would be
        return redirect(url_for("portal.appointment", reference=held.reference), code=303)
    opening = _opening_day(held)
    # Opened on another day because the appointment's own has no other time: said, so
    # the citizen does not look for their day in vain.
    own_day_full = (not request.args.get("day") and opening is not None
                    and opening != held.visit_day)
    said = said_to(held, check.phone)
    return page("reschedule.html", 422 if error and request.method == "POST" else 200,
                appointment=held, error=error, current_slot=held.slot_id, chosen=chosen,
                said=said, own_day_note=said["own_day_full"] if own_day_full else "",
                **choose_times(held.department_id, opening_day=opening))


def _opening_day(held: Appointment) -> dt.date | None:
    """The day the move page opens on when asked for none: the appointment's own day
    while it has another free time (its own is shown as the time held now, disabled),
    else the first other day with free times, so the page never opens on a day with
    nothing to choose. None: no day has a time to move to."""
    try:
        found = department_availability(read_session(), held.department_id, held.visit_day)
    except ApiError:  # its day left the window (never while it may be moved)
        return None
    if any(s.id != held.slot_id for s in found.slots):
        return held.visit_day
    return next((d for d, _ in found.days if d != held.visit_day), None)


@kept_on_outage("appointments")
def _appointments_on_outage() -> Any:
    check = current_check(request.form)
    check.code_sent = request.form.get("step") == "check_code"
    return page("appointments.html", 503, check=check, appointments=[],
                outage=outage_message())
