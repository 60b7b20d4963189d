"""The queues, a grievance's page and everything an agent does to it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import select

from agent_console import bp
from agent_console.auth import SUPERVISORS, field_refusals, flash_done, flash_error, roles
from agent_console.csv_files import EXCEL_UTF8_MARK
from agent_console.i18n import current_language
from agent_console.recordings import RecordingUnavailable, load_recording
from booking_core.appointments import Channel
from booking_core.base import DomainError, calendar_day, utcnow, whole_number
from booking_core.citizens import Citizen
from booking_core.hospitals import Department, in_name_order, list_hospitals
from booking_core.phones import mask_phone
from contact_centre.accounts import display_names, display_names_by_id
from contact_centre.callbacks import call_complainant
from contact_centre.caller_history import caller_history
from contact_centre.models import Role, StaffUser
from grievances import workflow
from grievances.access import may_see, may_take
from grievances.escalation import (
    APPEAL_WITH_SENIOR_OFFICERS,
    escalate_grievance,
    may_escalate,
)
from grievances.models import Grievance, GrievanceCategory, GrievanceEvent, GrievanceStatus
from grievances.queues import (
    PAGE_SIZE,
    QueueFilter,
    filtered_query,
    latest_grievance_id,
    queue_page,
)
from grievances.services import register_grievance
from grievances.sla import sla_state
from helpline.app import current_helpline, get_session

SCOPES = ("mine", "team", "escalated", "all")


def _int(value: Any) -> int | None:
    """A form's or query's id or count; None when there is none that a database row
    could have (empty, junk, negative, beyond an INTEGER column)."""
    return whole_number(value)


def _chosen_id(value: str | None) -> int | None:
    """An id picked from a list: None when nothing was picked, and -1 (no row has it)
    for anything that is no id at all, so the domain says "no such ..." instead of
    "choose one"."""
    if not (value or "").strip():
        return None
    number = _int(value)
    return -1 if number is None else number


def _filter_from_args() -> QueueFilter:
    args = request.args
    scope = args.get("scope", "mine" if g.staff.role == Role.AGENT else "team")
    return QueueFilter(
        scope=scope if scope in SCOPES else "team",
        hospital_id=_int(args.get("hospital")),
        category=args.get("category") or None,
        status=args.get("status") or None,
        language=args.get("language") or None,
        overdue=args.get("overdue") == "1",
        search=(args.get("q") or "")[:40],
    )


def _tz() -> str:
    return current_helpline().settings.helpline_timezone


@bp.get("/")
def home() -> Any:
    f = _filter_from_args()
    page = max(_int(request.args.get("page")) or 1, 1)
    session = get_session()
    now = utcnow()
    scope = g.staff.grievance_hospital
    rows, total = queue_page(session, f, agent_id=g.staff.id, within_hospital=scope,
                             page=page, now=now)
    hospitals = {h.id: h for h in in_name_order(list_hospitals(session), current_language(),
                                                short=True)}
    context = dict(
        rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)), f=f,
        hospitals=hospitals, now=now, sla_state=sla_state, mask_phone=mask_phone,
        latest_id=latest_grievance_id(session, within_hospital=scope),
        statuses=list(GrievanceStatus), categories=list(GrievanceCategory), scopes=SCOPES,
        # Who holds each complaint, by name, for those who supervise the agents; an agent
        # sees "you", "unassigned" or "another agent".
        assignees=(display_names_by_id(session, (row.assigned_to_id for row in rows))
                   if g.staff.role in SUPERVISORS else {}),
    )
    if request.headers.get("X-Fragment"):
        return render_template("console/_queue_rows.html", **context)
    return render_template("console/queue.html", **context)


# The new-grievance form's fields, top to bottom, as the domain names them: each refusal
# is said under its field. (It has no department: a refusal of one is said at the top.)
NEW_GRIEVANCE_FIELDS = ("phone", "category", "hospital_id", "language", "description")


@bp.route("/grievances/new", methods=["GET", "POST"])
def new_grievance() -> Any:
    session = get_session()
    form: Mapping[str, str] = request.form
    refused: dict[str, str] = {}
    if request.method == "POST":
        try:
            grievance = register_grievance(
                session, phone=form.get("phone", ""), category=form.get("category", ""),
                channel=Channel.AGENT.value, language=form.get("language", "hi"),
                description=form.get("description", ""),
                # a hospital's staff register grievances about their own hospital only
                hospital_id=g.staff.grievance_hospital or _chosen_id(form.get("hospital")),
                actor=g.staff.username,
            )
        except DomainError as exc:
            refused = field_refusals(exc, NEW_GRIEVANCE_FIELDS)  # each beside its field
        else:
            flash_done("console.registered", reference=grievance.reference)
            return redirect(url_for("console.grievance", grievance_id=grievance.id))
    else:  # "new grievance" from a caller on screen comes pre-filled
        from agent_console.views_phone import caller_from_args

        caller = caller_from_args()
        form = {"phone": caller[0], "language": caller[1] or "hi"} if caller else {}
    return render_template("console/new_grievance.html",
                           hospitals=in_name_order(list_hospitals(session), current_language(),
                                                   short=True),
                           categories=list(GrievanceCategory), form=form,
                           refused=refused)


def _load(grievance_id: int) -> Grievance:
    """The grievance, or 404 also when it is not the signed-in account's to see (another
    hospital's, for a hospital's staff): its existence is none of their business."""
    grievance = get_session().get(Grievance, grievance_id)
    if grievance is None or not may_see(g.staff, grievance):
        abort(404)
    return grievance


@bp.get("/grievances/<int:grievance_id>")
def grievance(grievance_id: int) -> Any:
    session = get_session()
    item = _load(grievance_id)
    phone = item.citizen.phone
    now = utcnow()
    events = list(session.scalars(select(GrievanceEvent).where(
        GrievanceEvent.grievance_id == item.id).order_by(GrievanceEvent.id)))
    history = caller_history(session, phone, leave_out_grievance=item.id,
                             within_hospital=g.staff.grievance_hospital)
    staff = {u.id: u for u in session.scalars(select(StaffUser).where(StaffUser.active))}
    hospitals = in_name_order(list_hospitals(session), current_language(), short=True)
    departments = list(session.scalars(select(Department).order_by(Department.hospital_id,
                                                                    Department.position)))
    return render_template(
        "console/grievance.html", g_=item, events=events, history=history,
        names=display_names(session, (e.actor for e in events)),
        may_call=may_take(g.staff, item, "call"), staff_by_id=staff, hospitals=hospitals,
        may=lambda action: may_take(g.staff, item, action),
        hospital_by_id={h.id: h for h in hospitals}, departments=departments,
        sla=sla_state(item, now), mask_phone=mask_phone, now=now,
        assignable=workflow.assignable_staff(session, item),
        reply_kinds=workflow.REPLY_KINDS, max_transfers=workflow.MAX_TRANSFERS,
        today=now.date(), escalatable=may_escalate(item),
    )


@bp.post("/grievances/<int:grievance_id>/<action>")
def grievance_action(grievance_id: int, action: str) -> Any:
    session = get_session()
    item = _load(grievance_id)
    form = request.form
    actor = g.staff.username
    tz = _tz()
    if not may_take(g.staff, item, action):
        abort(403)
    done: str | None = None  # the words for success, when not the action's own
    try:
        if action == "claim":
            workflow.claim_grievance(session, item.id, agent_id=g.staff.id, actor=actor, tz=tz)
        elif action == "assign":
            workflow.assign_grievance(session, item.id, agent_id=_chosen_id(form.get("agent")),
                                      actor=actor)
        elif action == "note":
            workflow.add_note(session, item.id, form.get("note", ""), actor=actor)
        elif action == "reply":
            workflow.reply_to_citizen(session, item.id, form.get("reply", ""), actor=actor,
                                      tz=tz)
        elif action == "interim":
            expected = calendar_day(form.get("expected_by"), field="expected_by")
            workflow.send_interim_reply(session, item.id, expected, actor=actor, tz=tz)
        elif action == "transfer":
            workflow.transfer_grievance(
                session, item.id, hospital_id=_chosen_id(form.get("hospital")),
                department_id=_chosen_id(form.get("department")), reason=form.get("reason", ""),
                actor=actor, tz=tz)
        elif action == "resolve":
            workflow.resolve_grievance(session, item.id, form.get("resolution", ""),
                                       actor=actor, tz=tz)
        elif action == "close":
            workflow.close_grievance(session, item.id, actor=actor)
        elif action == "reopen":
            workflow.reopen_grievance(session, item.id, form.get("reason", ""), actor=actor,
                                      tz=tz)
        elif action == "escalate":
            # The level the page showed; a form without one (forged, junk) is a page
            # that changed: no level has -1.
            seen = _int(form.get("level"))
            raised = escalate_grievance(session, item.id, staff_id=g.staff.id,
                                        reason=form.get("reason", ""),
                                        seen_level=-1 if seen is None else seen)
            if raised.escalation_level == APPEAL_WITH_SENIOR_OFFICERS:
                done = "console.done_escalate_appeal"
        elif action == "call":
            call_complainant(session, item.id, agent=g.staff)
        elif action == "feedback":
            workflow.record_citizen_feedback(
                session, item.id, solved=form.get("solved") == "yes",
                rating=_int(form.get("rating")), channel=Channel.AGENT.value, actor=actor, tz=tz)
        else:
            abort(404)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash_done(done or f"console.done_{action}")
    session.expire(item)
    if not may_see(g.staff, item):  # a hospital's staff transferred it to another one
        return redirect(url_for("console.home"))
    return redirect(url_for("console.grievance", grievance_id=item.id))


@bp.get("/grievances/<int:grievance_id>/recording")
def recording(grievance_id: int) -> Any:
    """The citizen's voice message, fetched from Twilio by the server: the browser
    never sees Twilio's URL or credentials."""
    item = _load(grievance_id)
    try:
        audio, media_type = load_recording(current_helpline().settings, item.recording_url)
    except RecordingUnavailable as exc:
        return Response(exc.reason, status=exc.status, mimetype="text/plain")
    return Response(audio, mimetype=media_type,
                    headers={"Cache-Control": "private, max-age=300"})


@bp.get("/live")
def live() -> Any:
    """Small counters the pages poll to notice new work without a reload."""
    from contact_centre.callbacks import waiting_callbacks

    session = get_session()
    staff = g.staff
    return {"latest_grievance_id": latest_grievance_id(
                session, within_hospital=staff.grievance_hospital),
            "callbacks_waiting": len(waiting_callbacks(session, limit=100))
            if staff.works_the_helpline else 0}


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@bp.get("/grievances.csv")
@roles(*SUPERVISORS)
def export_csv() -> Any:
    """Grievances for reports; phone numbers masked, formula-looking cells defused."""
    session = get_session()
    hospitals = {h.id: h.name_en for h in list_hospitals(session)}
    f = _filter_from_args()
    query = select(Grievance).join(Citizen, Citizen.id == Grievance.citizen_id)
    every = QueueFilter(**{**f.__dict__, "scope": "all"})
    query = filtered_query(query, every, g.staff.id, utcnow(),
                           within_hospital=g.staff.grievance_hospital)

    zone = ZoneInfo(current_helpline().settings.helpline_timezone)

    def delhi_time(moment: dt.datetime | None) -> str:
        """ISO 8601 in the helpline's time zone, to the second, with its offset
        ("2026-12-03T09:15:00+05:30"): the clock the supervisors read, still exact."""
        return moment.astimezone(zone).isoformat(timespec="seconds") if moment else ""

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        buffer.write(EXCEL_UTF8_MARK)
        writer = csv.writer(buffer)
        writer.writerow(["reference", "created_at", "category", "hospital", "status",
                         "language", "channel", "priority", "acknowledge_due_at",
                         "resolve_due_at", "acknowledged_at", "resolved_at", "closed_at",
                         "escalation_level", "transfers", "feedback_solved",
                         "feedback_rating", "phone"])
        # Its own session, closed when the stream ends or the client goes: the request's
        # was closed when the view returned, and one used after that keeps its
        # transaction (on SQLite the write lock) open until garbage collection.
        with current_helpline().session() as stream:
            for item in stream.scalars(query.order_by(Grievance.id).execution_options(
                    yield_per=500)):
                writer.writerow([_csv_cell(v) for v in (
                    item.reference, delhi_time(item.created_at), item.category.value,
                    hospitals.get(item.hospital_id or 0, ""), item.status.value, item.language,
                    item.channel, item.priority,
                    *(delhi_time(d) for d in (
                        item.acknowledge_due_at, item.resolve_due_at, item.acknowledged_at,
                        item.resolved_at, item.closed_at)),
                    item.escalation_level, item.transfer_count, item.feedback_solved,
                    item.feedback_rating, mask_phone(item.citizen.phone))])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()

    stamp = utcnow().astimezone(zone).strftime("%Y%m%d-%H%M")  # the clock of its times
    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=grievances-{stamp}.csv"})

