"""A full day's waiting list on the portal: join it (the verified mobile), see one's
place, leave it. The booking pages offer it where a department has no free day, or a
chosen day is full; "my appointments" lists the verified mobile's active entries. The
offer itself comes by SMS and an outbound call (``booking_core.waiting_list``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, redirect, request, url_for
from sqlalchemy import ColumnElement

from booking_core.appointments import AlreadyBooked, Channel
from booking_core.base import DomainError, InvalidInput, NotFound, whole_number
from booking_core.hospitals import Department
from booking_core.waiting_list import (
    OfferGone,
    OfferTaken,
    SeatAlreadyTaken,
    SeatsFree,
    WaitingListEntry,
    WaitStatus,
    accept_offer,
    check_joinable,
    decline_offer,
    find_entry,
    full_days,
    join_waiting_list,
    leave_waiting_list,
    people_ahead,
)
from helpline.app import current_helpline, get_session
from portal_api.reads import read_session
from portal_api.views_appointments import booking_rules
from portal_api.views_catalogue import Availability
from portal_web import carry, i18n
from portal_web.blueprint import portal
from portal_web.pages import kept_on_outage, outage_message, page
from portal_web.verify import ask_first, back_to_form, check_in_place, current_check

# At most this many full days are offered on a department's page with no free day: the
# soonest are the ones a seat is likeliest to free up for.
WAITABLE_SHOWN = 7

# What a finished action may say on the entry's page ("already_taken": a pass-on
# answered after the take, as from the offer's page again by the Back button).
DONE = {"joined": "portal.wait.joined", "left": "portal.wait.left",
        "passed_on": "portal.wait.passed_on", "already_taken": "portal.wait.already_taken"}


def waitable_days(department_id: int, availability: Availability, asked: dt.date | None,
                  held: ColumnElement[bool] | None = None) -> list[dt.date]:
    """The full days whose lists the booking page offers: with no free day at all, the
    soonest full days of the window; else the day asked for, when the domain says its
    list may be joined (every seat taken). None while the day shown has free times.
    ``held`` (``day_held_by_patient`` of the verified mobile) leaves out the days that
    patient holds, whose lists would refuse them."""
    rules = booking_rules()
    if not availability.days:
        return full_days(read_session(), department_id, rules=rules, excluding=held,
                         limit=WAITABLE_SHOWN)
    if asked is None or (availability.day == asked and availability.slots) or (
            asked == availability.held):
        return []
    try:
        check_joinable(read_session(), department_id, asked, rules=rules)
    except DomainError:
        return []
    return [asked]


def listed_full_days(department_id: int, held: ColumnElement[bool] | None
                     ) -> list[dt.date]:
    """The booking window's full days for the booking page's day list, among the days
    with free times; ``held`` (``day_held_by_patient`` of the verified mobile) leaves out
    the days that patient holds, whose lists would refuse them."""
    return full_days(read_session(), department_id, rules=booking_rules(), excluding=held)


def _entry_url(entry_id: int) -> str:
    return url_for("portal.waiting_entry", entry_id=entry_id)


def _refused(status: int, exc: DomainError, **context: Any) -> Response:
    """A join or leave the domain refused, as a page with the way on: a day still
    bookable, or the booking that already holds the day (``AlreadyBooked``)."""
    held = (str(exc.details.get("reference") or "") if isinstance(exc, AlreadyBooked)
            else None)
    return page("waiting_refused.html", status, message=i18n.error_text(exc.code, exc.details),
                seats_free=isinstance(exc, SeatsFree), held=held, **context)


@portal.route("/waiting-list/join", methods=["GET", "POST"])
def waiting_join() -> Any:
    """Join a full day's list: the day's read-back, the mobile's code, then
    ``join_waiting_list`` for the verified mobile; a 303 to the entry's page (joining
    twice shows the same entry). A tampered department or day is refused in words."""
    source = request.form if request.method == "POST" else request.args
    department_id = whole_number(source.get("department", ""))
    raw_day = source.get("day", "")
    try:
        day = dt.date.fromisoformat(raw_day[:10]) if raw_day else None
    except ValueError:
        day = None
    if department_id is None:
        return _refused(404, NotFound("no such department", entity="department"))
    if day is None:
        return page("waiting_refused.html", 400, message=i18n.t("portal.err.bad_day"),
                    seats_free=False, held=None)
    here = url_for("portal.waiting_join", department=department_id, day=day.isoformat())
    session = get_session()
    try:
        department = check_joinable(session, department_id, day, rules=booking_rules())
    except NotFound as exc:
        return _refused(404, exc)
    except SeatsFree as exc:
        return _refused(409, exc, department=session.get(Department, department_id), day=day)
    except InvalidInput as exc:
        return _refused(422, exc, department=session.get(Department, department_id), day=day)
    check = check_in_place(here)
    if isinstance(check, Response):
        return check
    if check.phone is not None and request.form.get("step") != "join":
        # No join button the domain can only refuse: the verified mobile already holds
        # an appointment in the department that day (joining asks again).
        try:
            check_joinable(session, department_id, day, rules=booking_rules(),
                           phone=check.phone)
        except AlreadyBooked as exc:
            return _refused(409, exc, department=department, day=day)
        except DomainError:
            pass  # the join itself says why
    error = ""
    if request.method == "GET":
        error = i18n.again_all(carry.take().get("refused")).get("form", "")
    elif request.form.get("step") == "join":
        if check.phone is None:
            check.errors.setdefault("mobile", i18n.t("portal.verify.needed"))
        else:
            settings = current_helpline().settings
            try:
                entry, _ = join_waiting_list(
                    session, department_id=department.id, day=day, phone=check.phone,
                    channel=Channel.PORTAL, language=i18n.current_language(),
                    hold_minutes=settings.waiting_list_hold_minutes, rules=booking_rules())
            except (SeatsFree, AlreadyBooked) as exc:  # book it / the day is held already
                return _refused(409, exc, department=department, day=day)
            except DomainError as exc:
                error = i18n.error_text(exc.code, exc.details)
            else:
                return carry.redirect_done(_entry_url(entry.id), "joined")
        again = back_to_form(check, here, refused=i18n.keep_all({"form": error}))
        if again is not None:
            return again
    return page("waiting_join.html", 422 if request.method == "POST" else 200,
                department=department, day=day, check=check, error=error,
                hold=current_helpline().settings.waiting_list_hold_minutes)


@kept_on_outage("waiting_join")
def _join_on_outage() -> Any:
    """The join form as sent (the mobile, the code step), drawn without the database."""
    check = current_check(request.form)
    check.code_sent = request.form.get("step") == "check_code"
    try:
        day: dt.date | None = dt.date.fromisoformat(request.form.get("day", "")[:10])
    except ValueError:
        day = None
    return page("waiting_join.html", 503, department=None,
                department_id=whole_number(request.form.get("department", "")), day=day,
                check=check, error="", outage=outage_message(),
                hold=current_helpline().settings.waiting_list_hold_minutes)


@portal.route("/waiting-list/<int:entry_id>", methods=["GET", "POST"])
def waiting_entry(entry_id: int) -> Any:
    """One entry of the verified mobile: the day, how many are ahead, how the offer
    comes; or what became of it. Another number's entry is not found."""
    check = check_in_place()
    if isinstance(check, Response):
        return check
    if check.phone is None:
        return page("waiting_verify.html", 422 if check.errors and request.method == "POST"
                    else 200, check=check)
    session = get_session()
    try:
        entry = find_entry(session, entry_id, check.phone)
    except NotFound as exc:
        return _refused(404, exc)
    done = carry.done()
    notice = ""
    if done == "joined" and entry.status in (WaitStatus.WAITING, WaitStatus.OFFERED):
        notice = i18n.t(DONE[done])
    elif done == "left" and entry.status == WaitStatus.LEFT:
        notice = i18n.t("portal.wait.left_offer" if entry.offered_at else DONE[done])
    elif done == "passed_on" and entry.status == WaitStatus.DECLINED:
        notice = i18n.t(DONE[done])
    elif done == "already_taken" and entry.status == WaitStatus.BOOKED:
        notice = i18n.t(DONE[done])
    error = i18n.again(carry.take().get("error", ""))
    return page("waiting_entry.html", entry=entry, ahead=people_ahead(session, entry),
                notice=notice, error=error, check=check)


def _active(entry: WaitingListEntry) -> bool:
    return entry.status in (WaitStatus.WAITING, WaitStatus.OFFERED)


@portal.route("/waiting-list/<int:entry_id>/leave", methods=["GET", "POST"])
def waiting_leave(entry_id: int) -> Any:
    """Leave in two steps, as a cancellation: the question (GET) with [Yes, leave] (a
    POST with ``confirm=yes``) and [Stay] (a link back); then ``leave_waiting_list``
    and a 303 to the entry's page. Leaving twice is harmless."""
    check = current_check()
    if check.phone is None:  # the code first, then on to this question
        return ask_first(_entry_url(entry_id))
    session = get_session()
    confirmed = request.method == "POST" and request.form.get("confirm") == "yes"
    if not confirmed:
        try:
            entry = find_entry(session, entry_id, check.phone)
        except NotFound as exc:
            return _refused(404, exc)
        if request.method == "POST" or not _active(entry):
            target = (url_for("portal.waiting_leave", entry_id=entry_id) if _active(entry)
                      else _entry_url(entry_id))
            return redirect(target, code=303)
        return page("waiting_leave.html", entry=entry)
    try:
        settings = current_helpline().settings
        leave_waiting_list(session, entry_id, check.phone, tz=settings.helpline_timezone,
                           quiet_hours=settings.sms_quiet_hours)
    except NotFound as exc:
        return _refused(404, exc)
    except SeatAlreadyTaken as exc:
        return carry.redirect_with(_entry_url(entry_id), sticky=True,
                                   error=i18n.keep(i18n.error_text(exc.code))) \
            or _refused(409, exc)
    return carry.redirect_done(_entry_url(entry_id), "left")


def _entry_refusal(entry_id: int, exc: DomainError) -> Response:
    """The entry's page again with why the domain refused (the offer ended, the day is
    held already); a 409 page where the refusal cannot travel."""
    return (carry.redirect_with(_entry_url(entry_id), sticky=True,
                                error=i18n.keep(i18n.error_text(exc.code)))
            or _refused(409, exc))


@portal.post("/waiting-list/<int:entry_id>/take")
def waiting_take(entry_id: int) -> Any:
    """Take the appointment held for the verified mobile, as pressing 1 on the offer call
    does (``accept_offer``: the same conditional claim decides a race with the call, a
    decline or the lapse); a 303 to the appointment's page. Refused in words on the
    entry's page: the hold lapsed, the place was passed on, the day is held already."""
    check = current_check()
    if check.phone is None:
        return redirect(_entry_url(entry_id), code=303)
    settings = current_helpline().settings
    try:
        appointment = accept_offer(
            get_session(), entry_id, rules=booking_rules(), phone=check.phone,
            channel=Channel.PORTAL, tz=settings.helpline_timezone,
            idempotency_key=f"offer:{entry_id}")
    except NotFound as exc:
        return _refused(404, exc)
    except DomainError as exc:
        return _entry_refusal(entry_id, exc)
    return carry.redirect_done(url_for("portal.appointment", reference=appointment.reference),
                               "booked")


@portal.post("/waiting-list/<int:entry_id>/pass-on")
def waiting_pass_on(entry_id: int) -> Any:
    """Not wanted: the held appointment goes to the next person waiting
    (``decline_offer``, as pressing 2 on the call); a 303 to the entry's page, which
    says it was passed on, or, the offer taken already, that it was taken."""
    check = current_check()
    if check.phone is None:
        return redirect(_entry_url(entry_id), code=303)
    settings = current_helpline().settings
    try:
        decline_offer(get_session(), entry_id, phone=check.phone,
                      tz=settings.helpline_timezone, quiet_hours=settings.sms_quiet_hours)
    except NotFound as exc:
        return _refused(404, exc)
    except OfferTaken:  # taken already: the page says so and shows the booking
        return carry.redirect_done(_entry_url(entry_id), "already_taken")
    except OfferGone as exc:
        return _entry_refusal(entry_id, exc)
    return carry.redirect_done(_entry_url(entry_id), "passed_on")
