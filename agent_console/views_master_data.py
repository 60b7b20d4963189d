"""Master data: hospitals (administrators), their OPD departments, weekly schedules and
closures (administrators, and staff for their own hospital), public holidays and the
change log. Each view parses the form, calls one service in ``booking_core.master_data``
or ``booking_core.opd_calendar`` and renders; a refused form comes back with what was
typed and a message at each field at fault (422)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from agent_console import bp
from agent_console.auth import flash_done
from agent_console.i18n import current_language
from booking_core.audit import changed_fields, recent_entries
from booking_core.base import Forbidden, InvalidDay, NotFound, calendar_day, utcnow, whole_number
from booking_core.hospitals import (
    Department,
    Hospital,
    Ownership,
    districts_in_name_order,
    in_name_order,
    list_departments,
)
from booking_core.master_data import (
    DELHI_DISTRICTS,
    DepartmentInput,
    Editor,
    HospitalInput,
    InvalidFields,
    may_edit_hospital_opd,
    save_department,
    save_hospital,
    split_aliases,
)
from booking_core.opd_calendar import (
    ClosureInput,
    HolidayInput,
    SessionInput,
    SlotHorizon,
    add_holiday,
    close_opd,
    list_sessions,
    remove_holiday,
    reopen_opd,
    save_schedule,
    upcoming_closures,
    upcoming_holidays,
)
from contact_centre.accounts import display_names
from helpline.app import current_helpline, get_session
from locales.formatting import format_date

WEEKDAYS = range(7)


def _editor() -> Editor:
    staff = g.staff
    return Editor(staff.username, staff.role.value, staff.hospital_id)


def _horizon() -> SlotHorizon:
    settings = current_helpline().settings
    return SlotHorizon(days=settings.slot_weeks_ahead * 7, tz=settings.helpline_timezone,
                       helpline_number=settings.helpline_number_to_call)


def _today() -> dt.date:
    return _horizon().today(utcnow())


def _hospital_or_404(hospital_id: int) -> Hospital:
    hospital = get_session().get(Hospital, hospital_id)
    if hospital is None:
        abort(404)
    if not may_edit_hospital_opd(_editor(), hospital.id):
        abort(403)
    return hospital


def _admin_only() -> None:
    if not _editor().is_admin:
        abort(403)


def _form(cls: type[Any], *names: str) -> Any:
    return cls(**{name: request.form.get(name, "") for name in names})


# Hospitals ---------------------------------------------------------------------------

HOSPITAL_FIELDS = ("code", "name_en", "name_hi", "short_en", "short_hi", "district",
                   "address", "phone", "ownership", "aliases_en", "aliases_hi")


@bp.get("/admin/hospitals")
def md_hospitals() -> Any:
    editor = _editor()
    if not editor.is_admin:
        if editor.hospital_id is None:
            abort(403)
        return redirect(url_for("console.md_hospital", hospital_id=editor.hospital_id))
    session = get_session()
    counts = dict(session.execute(select(Department.hospital_id, func.count())
                                  .group_by(Department.hospital_id)).all())
    hospitals = in_name_order(session.scalars(select(Hospital)), current_language())
    return render_template("console/md_hospitals.html", hospitals=hospitals, counts=counts)


def _hospital_input(hospital: Hospital | None) -> HospitalInput:
    if hospital is None:
        return HospitalInput()
    latin, hindi = split_aliases(hospital.aliases or [])
    return HospitalInput(
        code=hospital.code, name_en=hospital.name_en, name_hi=hospital.name_hi,
        short_en=hospital.short_en, short_hi=hospital.short_hi, district=hospital.district,
        address=hospital.address, phone=hospital.phone,
        ownership=getattr(hospital.ownership, "value", hospital.ownership),
        active=hospital.active, aliases_en="\n".join(latin), aliases_hi="\n".join(hindi))


def _hospital_form(hospital: Hospital | None) -> Any:
    _admin_only()
    errors: dict[str, str] = {}
    form = _hospital_input(hospital)
    if request.method == "POST":
        form = _form(HospitalInput, *HOSPITAL_FIELDS)
        form.active = request.form.get("active") == "1"
        try:
            saved = save_hospital(get_session(), form, editor=_editor(),
                                  hospital_id=hospital.id if hospital else None)
        except InvalidFields as exc:
            errors = exc.errors
        except NotFound:
            abort(404)
        else:
            flash_done("console.md.done_hospital", name=saved.short_name(_lang()))
            return redirect(url_for("console.md_hospital", hospital_id=saved.id))
    html = render_template("console/md_hospital_form.html", hospital=hospital, form=form,
                           errors=errors,
                           districts=districts_in_name_order(DELHI_DISTRICTS.items(), _lang()),
                           ownerships=list(Ownership))
    return html, 422 if errors else 200


@bp.route("/admin/hospitals/new", methods=["GET", "POST"])
def md_hospital_new() -> Any:
    return _hospital_form(None)


@bp.route("/admin/hospitals/<int:hospital_id>/edit", methods=["GET", "POST"])
def md_hospital_edit(hospital_id: int) -> Any:
    _admin_only()
    return _hospital_form(_hospital_or_404(hospital_id))


@bp.get("/admin/hospitals/<int:hospital_id>")
def md_hospital(hospital_id: int) -> Any:
    return _hospital_page(_hospital_or_404(hospital_id))


def _hospital_page(hospital: Hospital, *, department_form: DepartmentInput | None = None,
                   closure_form: ClosureInput | None = None,
                   errors: dict[str, str] | None = None, which: str = "") -> Any:
    session = get_session()
    departments = list_departments(session, hospital.id)
    sessions = {d.id: list_sessions(session, d.id) for d in departments}
    html = render_template(
        "console/md_hospital.html", hospital=hospital, departments=departments,
        sessions=sessions, closures=upcoming_closures(session, hospital.id, _today()),
        department_by_id={d.id: d for d in departments},
        department_form=department_form or DepartmentInput(),
        closure_form=closure_form or ClosureInput(), errors=errors or {}, which=which,
        today=_today())
    return html, 422 if errors else 200


# Departments and schedules -----------------------------------------------------------

DEPARTMENT_FIELDS = ("code", "name_en", "name_hi", "aliases_en", "aliases_hi", "position")


@bp.post("/admin/hospitals/<int:hospital_id>/departments")
def md_department_new(hospital_id: int) -> Any:
    hospital = _hospital_or_404(hospital_id)
    form = _form(DepartmentInput, *DEPARTMENT_FIELDS)
    try:
        department = save_department(get_session(), hospital.id, form, editor=_editor())
    except InvalidFields as exc:
        return _hospital_page(hospital, department_form=form, errors=exc.errors,
                              which="department")
    flash_done("console.md.done_department", name=department.name(_lang()))
    return redirect(url_for("console.md_department", department_id=department.id))


def _lang() -> str:
    from agent_console.i18n import current_language

    return current_language()


def _department_or_404(department_id: int) -> Department:
    department = get_session().get(Department, department_id)
    if department is None:
        abort(404)
    _hospital_or_404(department.hospital_id)
    return department


def _department_input(department: Department) -> DepartmentInput:
    latin, hindi = split_aliases(department.aliases or [])
    return DepartmentInput(code=department.code, name_en=department.name_en,
                           name_hi=department.name_hi, aliases_en="\n".join(latin),
                           aliases_hi="\n".join(hindi), position=str(department.position))


SESSION_FIELDS = ("weekday", "start", "end", "slot_minutes", "capacity", "counter_seats")


def _session_rows(department: Department) -> list[tuple[bool, SessionInput]]:
    """The schedule grid: every saved session, then an empty row for each weekday
    without one (one session a day is what the form adds)."""
    saved = list_sessions(get_session(), department.id)
    rows = [(True, SessionInput(str(s.weekday), s.start_time.strftime("%H:%M"),
                                s.end_time.strftime("%H:%M"), str(s.slot_minutes),
                                str(s.capacity), str(s.counter_seats))) for s in saved]
    used = {s.weekday for s in saved}
    rows += [(False, SessionInput(str(day), "09:00", "13:00", "60", "", "0"))
             for day in WEEKDAYS if day not in used]
    return sorted(rows, key=lambda row: int(row[1].weekday))


def _department_page(department: Department, *, form: DepartmentInput | None = None,
                     rows: list[tuple[bool, SessionInput]] | None = None,
                     errors: dict[str, str] | None = None, which: str = "") -> Any:
    html = render_template(
        "console/md_department.html", department=department,
        hospital=get_session().get(Hospital, department.hospital_id),
        form=form or _department_input(department), rows=rows or _session_rows(department),
        errors=errors or {}, which=which)
    return html, 422 if errors else 200


@bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
def md_department(department_id: int) -> Any:
    department = _department_or_404(department_id)
    if request.method == "GET":
        return _department_page(department)
    form = _form(DepartmentInput, *DEPARTMENT_FIELDS)
    try:
        save_department(get_session(), department.hospital_id, form, editor=_editor(),
                        department_id=department.id)
    except InvalidFields as exc:
        return _department_page(department, form=form, errors=exc.errors, which="department")
    flash_done("console.md.done_department", name=department.name(_lang()))
    return redirect(url_for("console.md_department", department_id=department.id))


@bp.post("/admin/departments/<int:department_id>/schedule")
def md_schedule(department_id: int) -> Any:
    """The grid posts ``row`` indexes; a row counts when its ``open-<i>`` box is ticked.
    Errors come back per submitted session (``s<n>.<field>``) and are shown on the grid
    row they came from."""
    department = _department_or_404(department_id)
    rows: list[tuple[bool, SessionInput]] = []
    chosen: list[SessionInput] = []
    row_of: dict[int, int] = {}
    saved_days = {s.weekday for s in list_sessions(get_session(), department.id)}
    forgotten: dict[str, str] = {}
    for raw in request.form.getlist("row")[:14]:
        index = whole_number(raw)
        if index is None:
            continue
        row = SessionInput(**{name: request.form.get(f"{name}-{index}", "")
                              for name in SESSION_FIELDS})
        is_open = request.form.get(f"open-{index}") == "1"
        # The weekday is the grid's own hidden field: a forged one is refused by the
        # service and its row is not drawn again.
        shown = whole_number(row.weekday) in WEEKDAYS
        if is_open:
            row_of[len(chosen)] = len(rows) if shown else -1
            chosen.append(row)
        elif shown and row.capacity.strip() and whole_number(row.weekday) not in saved_days:
            # Patients per slot typed on a day that is not ticked (and was not open
            # before, so this is no closing of it): saving would drop it unseen.
            forgotten[f"r{len(rows)}.capacity"] = "tick_to_open"
        if shown:
            rows.append((is_open, row))
    if forgotten:
        return _department_page(department, rows=rows, errors=forgotten, which="schedule")
    try:
        save_schedule(get_session(), department.id, chosen, editor=_editor(),
                      horizon=_horizon())
    except InvalidFields as exc:
        errors = {}
        for name, reason in exc.errors.items():
            number, _, field = name.partition(".")
            at = row_of.get(whole_number(number[1:]) or 0, 0) if field else 0
            errors[f"r{at}.{field}" if field else name] = reason
        return _department_page(department, rows=rows, errors=errors, which="schedule")
    flash_done("console.md.done_schedule")
    return redirect(url_for("console.md_department", department_id=department.id))


# Closures and holidays ---------------------------------------------------------------


@bp.post("/admin/hospitals/<int:hospital_id>/closures")
def md_close(hospital_id: int) -> Any:
    hospital = _hospital_or_404(hospital_id)
    form = _form(ClosureInput, "day", "department_id", "reason_en", "reason_hi")
    try:
        _, cancelled = close_opd(get_session(), hospital.id, form, editor=_editor(),
                                 horizon=_horizon())
    except InvalidFields as exc:
        return _hospital_page(hospital, closure_form=form, errors=exc.errors, which="closure")
    from agent_console.i18n import tn

    flash_done("console.md.done_closure", told=tn("console.md.patients_told", cancelled))
    return redirect(url_for("console.md_hospital", hospital_id=hospital.id))


@bp.post("/admin/closures/<int:closure_id>/delete")
def md_reopen(closure_id: int) -> Any:
    try:
        reopen_opd(get_session(), closure_id, editor=_editor(), horizon=_horizon())
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    flash_done("console.md.done_reopened")
    hospital = whole_number(request.form.get("hospital"))
    if hospital is not None and get_session().get(Hospital, hospital) is not None:
        return redirect(url_for("console.md_hospital", hospital_id=hospital))
    return redirect(url_for("console.md_hospitals"))


@bp.route("/admin/holidays", methods=["GET", "POST"])
def md_holidays() -> Any:
    _admin_only()
    errors: dict[str, str] = {}
    form = HolidayInput()
    if request.method == "POST":
        form = _form(HolidayInput, "day", "name_en", "name_hi")
        try:
            _, cancelled = add_holiday(get_session(), form, editor=_editor(),
                                       horizon=_horizon())
        except InvalidFields as exc:
            errors = exc.errors
        else:
            from agent_console.i18n import tn

            flash_done("console.md.done_holiday",
                       told=tn("console.md.patients_told", cancelled))
            return redirect(url_for("console.md_holidays"))
    html = render_template("console/md_holidays.html", form=form, errors=errors,
                           holidays=upcoming_holidays(get_session(), _today()))
    return html, 422 if errors else 200


@bp.post("/admin/holidays/<day>/delete")
def md_holiday_delete(day: str) -> Any:
    _admin_only()
    try:
        parsed = calendar_day(day)
    except InvalidDay:
        abort(404)
    try:
        remove_holiday(get_session(), parsed, editor=_editor(), horizon=_horizon())
    except NotFound:
        abort(404)
    flash_done("console.md.done_holiday_removed")
    return redirect(url_for("console.md_holidays"))


# The change log ----------------------------------------------------------------------


@bp.get("/admin/audit")
def md_audit() -> Any:
    editor = _editor()
    if not editor.is_admin and editor.hospital_id is None:
        abort(403)
    entries = recent_entries(get_session(),
                             hospital_id=None if editor.is_admin else editor.hospital_id)
    return render_template("console/md_audit.html", entries=entries, show=_show,
                           changes={e.id: changed_fields(e) for e in entries},
                           names=_entry_names(entries),
                           names_by_username=display_names(get_session(),
                                                           (e.actor for e in entries)))


def _entry_names(entries: list[Any]) -> dict[int, str]:
    """What each entry is about, by name: a hospital, or a department and its hospital
    (its schedule too); closures and holidays are named by their own fields."""
    session, lang = get_session(), _lang()
    hospitals = {h.id: h for h in session.scalars(select(Hospital))}
    department_ids = {whole_number(e.entity_key) for e in entries
                      if e.entity in ("department", "schedule")} - {None}
    departments = {d.id: d for d in session.scalars(
        select(Department).where(Department.id.in_(department_ids)))}
    names: dict[int, str] = {}
    for entry in entries:
        key = whole_number(entry.entity_key)
        if entry.entity == "hospital" and key in hospitals:
            names[entry.id] = hospitals[key].name(lang)
        elif entry.entity in ("department", "schedule") and key in departments:
            department = departments[key]
            owner = hospitals.get(department.hospital_id)
            names[entry.id] = department.name(lang) + (
                f" ({owner.short_name(lang)})" if owner else "")
        elif entry.hospital_id in hospitals:
            names[entry.id] = hospitals[entry.hospital_id].short_name(lang)
    return names


def _session_hours(start: object, end: object) -> str:
    """A recorded session's hours ("09:00", "13:00") as every page writes a span of
    time: ``9:00 am – 1:00 pm`` (``agent_console.i18n.time_range``); a value that is no
    time (an old or hand-made record) as it was stored."""
    from agent_console.i18n import time_range

    try:
        return time_range(dt.time.fromisoformat(str(start)), dt.time.fromisoformat(str(end)))
    except ValueError:
        return f"{start} – {end}"


def _show(value: Any, field: str = "") -> str:
    """A recorded value as a person reads it: text as it is (Devanagari unescaped),
    yes/no, lists joined, weekly sessions in words; by its field, a district in the
    reader's language, an ownership's label, a hospital or department by name and a
    day as a date, never the stored code, id or ISO date."""
    from agent_console.i18n import label, t

    if isinstance(value, bool):
        return t("console.yes") if value else t("console.no")
    if isinstance(value, list):
        return "; ".join(_show(item, field) for item in value) or "—"
    if isinstance(value, dict) and {"weekday", "start", "end"} <= set(value):
        return t("console.md.session_summary",
                 day=t(f"console.md.weekday.{value['weekday']}"),
                 time=_session_hours(value["start"], value["end"]),
                 minutes=value.get("slot_minutes", ""),
                 capacity=value.get("capacity", ""), counter=value.get("counter_seats", 0))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    lang = _lang()
    if field == "district" and value in DELHI_DISTRICTS:
        return str(DELHI_DISTRICTS[value]) if lang == "hi" else str(value)
    if field == "ownership":
        return label("ownership", value)
    if field in ("hospital_id", "department_id") and whole_number(str(value)) is not None:
        model = Hospital if field == "hospital_id" else Department
        found = get_session().get(model, whole_number(str(value)))
        if found is not None:
            return found.name(lang)
    if field == "day" and isinstance(value, str):
        try:
            return format_date(lang, dt.date.fromisoformat(value))
        except ValueError:
            pass
    return str(value)
