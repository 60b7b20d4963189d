"""Booking an OPD appointment: hospital, department, day, time, then the mobile's
one-time code and a read-back to confirm. The confirmation SMS and reminders are
written by ``book_appointment`` as for the phone line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, redirect, request, url_for

from booking_core.appointments import (
    AlreadyBooked,
    Channel,
    book_appointment,
    booking_holding_day,
    booking_holding_department_day,
    check_bookable,
    day_held_by_patient,
)
from booking_core.base import DomainError, NotFound, calendar_day, utcnow, whole_number
from booking_core.ehealth import book_with_card, check_card_number
from booking_core.holidays import PublicHoliday
from booking_core.hospitals import find_hospitals, get_department, get_hospital
from booking_core.person_names import optional_person_name
from booking_core.slots import get_slot, holds_opd_on
from helpline.app import get_session
from portal_api.errors import ApiError
from portal_api.reads import read_session, retry_on_lost_connection
from portal_api.views_appointments import booking_rules
from portal_api.views_catalogue import Availability, bookable_departments, department_availability
from portal_web import carry, i18n, security
from portal_web.blueprint import portal
from portal_web.pages import kept_on_outage, outage_message, page
from portal_web.verify import STEPS, after_step, back_to_form, current_check, run_step
from portal_web.views_hospitals import text_arg
from portal_web.views_waiting import listed_full_days, waitable_days


def day_arg(name: str = "day") -> tuple[dt.date | None, str]:
    """A ``YYYY-MM-DD`` query value, or None with the citizen's words for what is wrong."""
    raw = request.args.get(name, "")
    if not raw:
        return None, ""
    try:
        return dt.date.fromisoformat(raw[:10]), ""
    except ValueError:
        return None, i18n.t("portal.err.bad_day")


def choose_times(department_id: int, *, for_mobile: str | None = None,
                 with_full_days: bool = False,
                 opening_day: dt.date | None = None) -> dict[str, Any]:
    """The days with free times and the chosen day's free times, for a page; with
    ``for_mobile`` (a new booking: the portal books for the verified mobile's own
    record, or for an eHealth card typed at the read-back), the days that patient
    already holds in the department stay in the list with their times, and the chosen
    one says so (``held_notice``, with the booking that holds it): booking there for the
    mobile's own patient would be refused, but a family member is a patient of their
    own with their card (``book_with_card``). The page opens on the first day the
    patient does not hold.

    ``days`` is the page's day list, ``(day, free)`` in date order. With
    ``with_full_days`` (a new booking) it also names the window's fully booked days
    (``free`` 0), so that a citizen who wants one of them finds its waiting list; only
    the days ``full_days`` gives, whose lists may be joined (an OPD held, no day the
    patient holds: the list would refuse the mobile). With no free day at all the page
    offers the full days' lists on their own (``waitable_days``).

    ``opening_day`` is the day shown when the page is asked for none (the move page:
    the appointment's own day); else the first day with free times."""
    day, problem = day_arg()
    if day is None and not problem:
        day = opening_day
    held = day_held_by_patient(for_mobile) if for_mobile else None
    try:
        found = department_availability(read_session(), department_id, day, held)
    except ApiError as exc:
        problem = i18n.error_text(exc.code)
        found = department_availability(read_session(), department_id, None, held)
    held_reference, held_notice = None, ""
    if found.held is not None and for_mobile:
        # A full day they hold: named, with a link to the booking that holds it; the
        # times shown below are another day's, and must not read as the day they hold.
        problem = i18n.t("portal.book.held_day", day=i18n.day_text(found.held))
        held_reference = booking_holding_department_day(read_session(), for_mobile,
                                                        department_id, found.held)
    elif found.day is not None and found.day in found.held_days and for_mobile:
        held_notice = i18n.t("portal.book.held_day_card", day=i18n.day_text(found.day))
        held_reference = booking_holding_department_day(read_session(), for_mobile,
                                                        department_id, found.day)
    days = list(found.days)
    if with_full_days and days:
        days = sorted(days + [(d, 0) for d in listed_full_days(department_id, held)])
    return dict(availability=found, problem=problem, days=days, held_reference=held_reference,
                held_notice=held_notice, held_days=held,
                day_notice="" if problem else _no_times_on(department_id, found, day))


def _no_times_on(department_id: int, found: Availability, asked: dt.date | None) -> str:
    """Why the day asked for by name shows no times, in a sentence: the department
    holds no OPD that day, or none of its times is left (the booking page's waiting-list
    offer says so for a full day instead). "" when it has times or none was asked."""
    if asked is None or found.day != asked or found.slots:
        return ""
    if not holds_opd_on(read_session(), department_id, asked):
        holiday = read_session().get(PublicHoliday, asked)
        if holiday is not None:  # said by name: the citizen knows why
            return i18n.t("portal.book.holiday_on", day=i18n.day_text(asked),
                          name=holiday.display_name(i18n.current_language()))
        return i18n.t("portal.book.no_opd_on", day=i18n.day_text(asked))
    return i18n.t("portal.book.no_times_on", day=i18n.day_text(asked))


@portal.get("/book")
@retry_on_lost_connection
def book() -> Any:
    query = text_arg("q")
    return page("book_hospital.html", query=query,
                hospitals=find_hospitals(read_session(), query,
                                         lang=i18n.current_language()))


@portal.get("/book/<int:hospital_id>")
@retry_on_lost_connection
def book_department(hospital_id: int) -> Any:
    session = read_session()
    hospital = get_hospital(session, hospital_id)
    return page("book_department.html", hospital=hospital,
                departments=bookable_departments(session, hospital.id))


@portal.get("/book/<int:hospital_id>/<int:department_id>")
@retry_on_lost_connection
def book_time(hospital_id: int, department_id: int) -> Any:
    session = read_session()
    hospital = get_hospital(session, hospital_id)
    department = get_department(session, hospital.id, department_id)
    times = choose_times(department.id, for_mobile=security.verified_mobile(),
                         with_full_days=True)
    refused = i18n.again(carry.take().get("error", ""))  # sent on without a time
    if refused:
        times["problem"] = refused
    return page("book_time.html", 422 if refused else 200, hospital=hospital, department=department,
                waitable=waitable_days(department.id, times["availability"], day_arg()[0],
                                       times["held_days"]),
                **times)


def _choose_a_time_first(source: Any) -> Response:
    """Sent on with no time (or one that is no id): back to the times of the day the
    page showed, saying "Please choose a time."; to the list of hospitals only when the
    form did not say where it was."""
    hospital, department = (whole_number(source.get(name, ""))
                            for name in ("hospital", "department"))
    if hospital is None or department is None:
        return redirect(url_for("portal.book"), code=303)
    try:
        day: str | None = calendar_day(source.get("day", "")).isoformat()
    except DomainError:
        day = None  # the first day with times, as the page opens without one
    location = url_for("portal.book_time", hospital_id=hospital, department_id=department,
                       day=day) + "#times"
    return carry.redirect_with(location, error=i18n.keep(i18n.t("portal.err.choose_time"))) \
        or redirect(location, code=303)


@portal.route("/book/review", methods=["GET", "POST"])
def book_review() -> Any:
    """The read-back: what will be booked, the patient's name, the mobile's code; then
    ``book_appointment`` for the verified mobile, or, with an eHealth card number typed,
    ``book_with_card`` for the card holder (its SMS to the card's mobile, told that the
    verified mobile booked).

    On a day the verified mobile's own patient already holds in the department
    (``held``: that booking's reference) the page offers the card only: a family
    member is a patient of their own, while a booking for the mobile's own patient
    could only be refused (and is, sent without a card, before anything is booked)."""
    source = request.form if request.method == "POST" else request.args
    slot_id = whole_number(source.get("slot", ""))
    if slot_id is None:
        return _choose_a_time_first(source)
    slot = get_slot(get_session(), slot_id)
    # The name and card number as typed, whole: a refused one comes back to be
    # corrected, never cut.
    draft = {"patient_name": request.form.get("patient_name", "").strip(),
             "card_number": request.form.get("card_number", "").strip()[:CARD_TYPED_MAX]}
    step = request.form.get("step", "")
    check = current_check(request.form)
    error = name_error = card_error = ""
    held: str | None = None  # refused as already booked: the booking that holds the day
    if request.method == "GET":
        carried = carry.take()
        kept = carried.get("draft", {})
        draft = {field: str(kept.get(field, "")) for field in draft}
        refused = i18n.again_all(carried.get("refused"))
        error, name_error = refused.get("form", ""), refused.get("patient_name", "")
        card_error = refused.get("card_number", "")
        held = carried.get("held")
    unbookable = _unbookable(slot)
    if unbookable:  # the time passed (or the day closed) since the list was shown
        error = unbookable
    elif request.method == "POST" and step in STEPS:
        check = run_step(step, request.form)
        done = after_step(check, url_for("portal.book_review", slot=slot.id), **draft)
        if done is not None:
            return done
    elif request.method == "POST":
        if check.phone is None:  # said with a refused name, not one after the other
            check.errors.setdefault("mobile", i18n.t("portal.verify.needed"))
            try:
                optional_person_name(draft["patient_name"], field="patient_name")
            except DomainError as exc:
                name_error = i18n.error_text(exc.code)
            if draft["card_number"]:
                try:
                    check_card_number(draft["card_number"])
                except DomainError as exc:
                    card_error = i18n.error_text(exc.code, exc.details)
        elif not draft["card_number"] and (
                holding := booking_holding_day(get_session(), check.phone, slot.id)) is not None:
            # Refused before the name or anything else is looked at. The page offered the
            # card only: its one field was left empty, and is said to be needed there;
            # else the day was taken since the page was drawn, which is why.
            held = holding
            if request.form.get("offered") == "card":
                card_error = i18n.t("portal.book.card_needed")
            else:
                error = i18n.error_text(AlreadyBooked.code)
        else:
            try:
                appointment = _book(slot.id, check.phone, draft)
            except DomainError as exc:
                if draft["card_number"]:
                    card_error, error = _card_refusal(exc)
                elif exc.details.get("field") == "patient_name":
                    name_error = i18n.error_text(exc.code)
                else:
                    error = i18n.error_text(exc.code)
                    if isinstance(exc, AlreadyBooked):  # no way on but another day
                        held = str(exc.details.get("reference", ""))
            else:
                return carry.redirect_done(
                    url_for("portal.appointment", reference=appointment.reference), "booked")
    if (request.method == "GET" and held is None and not unbookable
            and check.phone is not None):
        # A confirm button only where booking can succeed: on a day the mobile's own
        # patient already holds (after Back from a booking made, too), the page says so
        # and offers a family member's eHealth card only, with the ways on (another day,
        # the booking that holds it).
        held = booking_holding_day(get_session(), check.phone, slot.id)
    refused = bool(error or name_error or card_error or check.errors)
    if request.method == "POST" and refused:
        # Back to the GET page with what was typed and why (PRG), unless too big.
        again = back_to_form(check, url_for("portal.book_review", slot=slot.id), draft,
                             refused=i18n.keep_all({"form": "" if unbookable else error,
                                                    "patient_name": name_error,
                                                    "card_number": card_error}),
                             **({"held": held} if held is not None else {}))
        if again is not None:
            return again
    status = 422 if (refused and request.method == "POST") or unbookable else 200
    return page("book_review.html", status, slot=slot, draft=draft, check=check, error=error,
                name_error=name_error, card_error=card_error, unbookable=bool(unbookable),
                held=None if held is None else str(held))


# A card number is 11 digits; typed with spaces or hyphens it is longer, never this long.
CARD_TYPED_MAX = 40


def _book(slot_id: int, phone: str, draft: dict[str, str]) -> Any:
    """Book for the verified mobile, or for the eHealth card typed (same rules)."""
    if draft["card_number"]:
        return book_with_card(
            get_session(), card_number=draft["card_number"], slot_id=slot_id,
            channel=Channel.PORTAL, language=i18n.current_language(), booked_by_phone=phone,
            actor="portal-web", rules=booking_rules())
    return book_appointment(
        get_session(), slot_id=slot_id, phone=phone, channel=Channel.PORTAL,
        language=i18n.current_language(), patient_name=draft["patient_name"] or None,
        actor="portal-web", rules=booking_rules())


def _card_refusal(exc: DomainError) -> tuple[str, str]:
    """A booking with a card refused: ``(beside the card field, for the whole form)``.
    The card holder's day already held is said without its booking number or a link
    to it: whoever types a card number would otherwise learn where its holder goes and
    the number that cancels it (as the phone line says it, ``ivr.booking``)."""
    if isinstance(exc, AlreadyBooked):
        return i18n.t("portal.book.card_already_booked"), ""
    if exc.details.get("field") == "card_number" or (
            isinstance(exc, NotFound) and exc.details.get("entity") == "ehealth_card"):
        return i18n.error_text(exc.code, exc.details), ""
    return "", i18n.error_text(exc.code)


@kept_on_outage("book_review")
def _review_on_outage() -> Any:
    check = current_check(request.form)
    check.code_sent = request.form.get("step") == "check_code"
    draft = {"patient_name": request.form.get("patient_name", "").strip(),
             "card_number": request.form.get("card_number", "").strip()[:CARD_TYPED_MAX]}
    return page("book_review.html", 503, slot=None, slot_id=whole_number(
        request.form.get("slot", "")), draft=draft, check=check, error="",
        name_error="", card_error="", outage=outage_message(), unbookable=False, held=None)


def _unbookable(slot: Any) -> str:
    """Why ``slot`` cannot be booked now, in the citizen's words, or ""."""
    try:
        check_bookable(slot, utcnow(), booking_rules())
    except DomainError as exc:
        return i18n.error_text(exc.code)
    return ""
