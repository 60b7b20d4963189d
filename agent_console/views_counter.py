"""The hospital's OPD counter and the waiting-hall display.

The counter (``/console/opd``) is for staff attached to a hospital (``hospital_id`` on
their account), whatever their role, and shows only that hospital's departments: check
a patient in by typing or scanning the booking number or the eHealth card (number or QR
code), give walk-in tokens, call the next token to a room, skip and recall.

The display (``/opd/display/<department>``) needs no sign-in: it shows what the hall's
own screen shows anyone in the hall (room numbers and token numbers, never a name or a
phone number), so the television by the door only needs the URL. Its page fetches
``.json`` every 3 seconds and redraws, in Hindi and English at once.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as cookie,
)

from agent_console import bp
from agent_console.auth import flash_done, flash_error
from agent_console.i18n import current_language, t, when_day
from booking_core.appointments import Appointment
from booking_core.base import DomainError, utcnow, whole_number
from booking_core.hospitals import Department, Hospital, get_hospital, list_departments
from booking_core.opd_board import board, no_shows, queue_lines, session_for
from booking_core.opd_counter import (
    MobileAppointments,
    MobileHasNoAppointmentToday,
    SeveralCardAppointments,
    check_in_at_counter,
)
from booking_core.opd_day import (
    MAX_ROOMS,
    WrongDay,
    WrongDepartment,
    WrongHospital,
    add_walk_in,
    call_next,
    counter_quota,
    local_today,
    open_session,
    recall,
    skip,
)
from booking_core.phones import spaced_mobile
from helpline.app import current_helpline, get_session
from helpline.opd_jobs import booking_code_key, opd_rules
from helpline.settings import card_signing_key
from locales import render

display = Blueprint("opd_display", __name__, url_prefix="/opd")

# How often the hall display asks for news (the issue allows 5 s).
DISPLAY_POLL_MS = 3000


def _department() -> Department:
    """The department the form or URL names, one of the staff member's hospital's."""
    if g.staff.hospital_id is None:
        abort(403)
    departments = list_departments(get_session(), g.staff.hospital_id)
    wanted = whole_number(request.values.get("department"))
    for department in departments:
        if wanted is None or department.id == wanted:
            return department
    abort(404)


def _back(department: Department) -> Any:
    return redirect(url_for("console.opd_counter", department=department.id), code=303)


@bp.get("/opd")
def opd_counter() -> Any:
    if g.staff.hospital_id is None:
        abort(403)
    session = get_session()
    hospital = get_hospital(session, g.staff.hospital_id)
    if not list_departments(session, hospital.id):
        return render_template("console/opd_counter.html", hospital=hospital,
                               departments=[], department=None)
    return _counter_page(_department())


def _counter_page(department: Department, choices: list[Appointment] | None = None) -> Any:
    """The counter of ``department``; with ``choices``, first the card holder's
    appointments to pick from (a card naming several)."""
    session = get_session()
    hospital = get_hospital(session, g.staff.hospital_id)
    departments = list_departments(session, hospital.id)
    settings = current_helpline().settings
    today = local_today(utcnow(), settings.helpline_timezone)
    # Read only: the session's row is made by the first check-in, walk-in or call.
    opd = session_for(session, department.id, today)
    template = ("console/_opd_queue.html" if request.headers.get("X-Fragment")
                else "console/opd_counter.html")
    return render_template(
        template, hospital=hospital, departments=departments,
        department=department, board=board(session, department.id, today),
        lines=queue_lines(session, opd.id) if opd else [],
        no_shows=no_shows(session, department.id, today),
        counter_left=max(0, counter_quota(session, department.id, today, opd_rules(settings))
                         - (opd.walk_ins if opd else 0)),
        rooms=range(1, MAX_ROOMS + 1), room=whole_number(request.args.get("room")) or 1,
        choices=choices or [], typed=cookie.pop(TYPED_KEY, ""),
    )


@bp.post("/opd/check-in")
def opd_check_in() -> Any:
    department = _department()
    settings = current_helpline().settings
    session = get_session()
    typed = request.form.get("code", "")[:200]
    try:
        done = check_in_at_counter(
            session, typed, hospital_id=g.staff.hospital_id,
            department_id=department.id, booking_key=booking_code_key(settings),
            card_key=card_signing_key(settings).public_key(),
            actor=f"console:{g.staff.username}", rules=opd_rules(settings))
    except MobileAppointments as exc:
        flash(t("console.opd.mobile_choose", mobile=spaced_mobile(exc.mobile)), "info")
        return _counter_page(department, choices=exc.appointments)
    except SeveralCardAppointments as exc:
        flash(t("console.opd.card_several"), "info")
        return _counter_page(department, choices=exc.appointments)
    except MobileHasNoAppointmentToday as exc:
        flash(t("console.opd.mobile_no_appointment", mobile=spaced_mobile(exc.mobile)),
              "error")
    except WrongDepartment as exc:
        named = session.get(Department, exc.details.get("department_id"))
        flash(t("console.opd.wrong_department_named", department=named.name(current_language()))
              if named else t("console.err.opd_wrong_department"), "error")
    except WrongHospital as exc:
        hospital = session.get(Hospital, exc.details.get("hospital_id"))
        flash(t("console.opd.wrong_hospital_named", hospital=hospital.name(current_language()))
              if hospital else t("console.err.opd_wrong_hospital"), "error")
    except WrongDay as exc:
        flash(t("console.opd.wrong_day_named", day=when_day(exc.details["day"])), "error")
    except DomainError as exc:
        flash_error(exc)
    else:
        name = (done.appointment.patient_name if done.appointment else None) or t(
            "console.opd.patient_unnamed")
        flash_done("console.opd.done_already" if done.already else "console.opd.done_checked_in",
                   name=name, token=done.visit.token)
        return _back(department)
    # Refused: the box comes back with what was typed, beside the sentence that says
    # what is wrong with it, to be corrected, not typed again (once: the next GET).
    cookie[TYPED_KEY] = typed
    return _back(department)


# The session key of a refused check-in's typed text, shown once in the counter's box.
TYPED_KEY = "counter_typed"


@bp.post("/opd/walk-in")
def opd_walk_in() -> Any:
    department = _department()
    settings = current_helpline().settings
    session = get_session()
    opd = open_session(session, g.staff.hospital_id, department.id,
                       local_today(utcnow(), settings.helpline_timezone))
    try:
        visit = add_walk_in(session, opd.id, actor=f"console:{g.staff.username}",
                            rules=opd_rules(settings))
    except DomainError as exc:
        flash_error(exc)
    else:
        flash_done("console.opd.done_walk_in", token=visit.token)
    return _back(department)


def _room() -> int:
    return whole_number(request.form.get("room")) or 0


@bp.post("/opd/call-next")
def opd_call_next() -> Any:
    department = _department()
    settings = current_helpline().settings
    session = get_session()
    opd = open_session(session, g.staff.hospital_id, department.id,
                       local_today(utcnow(), settings.helpline_timezone))
    room = _room()
    try:
        visit = call_next(session, opd.id, room, rules=opd_rules(settings))
    except DomainError as exc:
        flash_error(exc)
    else:
        flash_done("console.opd.done_called", token=visit.token, room=room)
    return redirect(url_for("console.opd_counter", department=department.id, room=room or None),
                    code=303)


@bp.post("/opd/skip")
def opd_skip() -> Any:
    department = _department()
    try:
        visit = skip(get_session(), whole_number(request.form.get("visit")) or 0,
                     hospital_id=g.staff.hospital_id)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash_done("console.opd.done_skipped", token=visit.token)
    return _back(department)


@bp.post("/opd/recall")
def opd_recall() -> Any:
    department = _department()
    room = _room()
    try:
        visit = recall(get_session(), whole_number(request.form.get("visit")) or 0, room,
                       hospital_id=g.staff.hospital_id)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash_done("console.opd.done_recalled", token=visit.token, room=room)
    return _back(department)


# --- the waiting-hall display (public) ---------------------------------------------------

def _board_json(department_id: int) -> dict[str, Any]:
    session = get_session()
    department = session.get(Department, department_id)
    if department is None:
        abort(404)
    today = local_today(utcnow(), current_helpline().settings.helpline_timezone)
    shown = board(session, department_id, today)
    return {
        "department": {"en": department.name("en"), "hi": department.name("hi")},
        "hospital": {"en": department.hospital.short_name("en"),
                     "hi": department.hospital.short_name("hi")},
        "day": today.isoformat(),
        "rooms": [{"room": r.room, "token": r.token} for r in shown.rooms],
        "waiting": shown.waiting,
        "skipped": list(shown.skipped),
        # Some token was called today: an empty hall is "none being served now", not
        # "none called yet".
        "called_today": shown.front_token > 0,
    }


def render_display_error(status: int, code: str, message: str) -> Response:
    """Errors under ``/opd/display/``: the hall's screen (and whoever typed its address)
    gets a page in Hindi and English, never the JSON meant for the display's script;
    the script's own ``.json`` requests keep their JSON."""
    if request.path.endswith(".json"):
        response = jsonify(error={"code": code, "message": message})
    else:
        key = "opd.display.not_found" if status == 404 else "opd.display.unavailable"
        response = make_response(render_template(
            "opd/display_error.html", words={lang: render(lang, key) for lang in ("hi", "en")},
            title={lang: render(lang, "opd.display.title") for lang in ("hi", "en")}))
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@display.get("/display/<int:department_id>.json")
def display_json(department_id: int) -> Response:
    response = jsonify(_board_json(department_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@display.get("/display/<int:department_id>")
def display_page(department_id: int) -> Any:
    data = _board_json(department_id)
    words = {key: {lang: render(lang, f"opd.display.{key}") for lang in ("hi", "en")}
             for key in ("title", "token", "none", "none_now")}
    room_words = {lang: render(lang, "opd.display.room", room="{room}") for lang in ("hi", "en")}
    waiting_words = {lang: render(lang, "opd.display.waiting", n="{n}") for lang in ("hi", "en")}
    skipped_words = {lang: render(lang, "opd.display.skipped", tokens="{tokens}")
                     for lang in ("hi", "en")}
    return render_template("opd/display.html", data=data, words=words, room_words=room_words,
                           waiting_words=waiting_words, skipped_words=skipped_words,
                           department_id=department_id, poll_ms=DISPLAY_POLL_MS)
