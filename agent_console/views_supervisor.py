"""The supervisor's wallboard, escalations, failed messages, and the demo inbox."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from agent_console import bp
from agent_console.auth import (
    SUPERVISORS,
    flash_done,
    flash_error,
    helpline_oversight,
    helpline_work,
    roles,
)
from agent_console.i18n import label_alone
from booking_core.base import DomainError, utcnow
from booking_core.outbox import OutboxKind, OutboxMessage
from booking_core.phones import mask_phone
from contact_centre.models import StaffUser
from contact_centre.wallboard import wallboard as wallboard_figures
from grievances.notifications import mark_seen, notifications_for, unseen_count
from helpline.app import current_helpline, get_session
from messaging.resend import (
    can_resend,
    failed_messages,
    mark_failed_message_handled,
    resend_failed_message,
)


@bp.context_processor
def escalation_badge() -> dict[str, Any]:
    """The navigation's badge: escalations this supervisor has not looked at (counted
    only when a page draws the badge)."""
    def count() -> int:
        staff = g.get("staff")
        if staff is None or staff.role not in SUPERVISORS:
            return 0
        return unseen_count(get_session(), staff.id,
                            within_hospital=staff.grievance_hospital)
    return {"escalation_badge": count}


@bp.get("/escalations")
@roles(*SUPERVISORS)
def escalations() -> Any:
    """Grievances escalated to this supervisor (or, for an administrator, appeals past
    their deadline), newest first; unseen ones marked. One escalated by hand says by
    whom and why, apart from the clock's "missed its deadline"."""
    session = get_session()
    rows = notifications_for(session, g.staff.id, within_hospital=g.staff.grievance_hospital)
    raised_by = {n.raised_by_id for n, _ in rows if n.raised_by_id is not None}
    names = {u.id: u.display_name for u in session.scalars(
        select(StaffUser).where(StaffUser.id.in_(raised_by)))} if raised_by else {}
    return render_template("console/escalations.html", rows=rows, names=names)


@bp.post("/escalations/seen")
@roles(*SUPERVISORS)
def escalations_seen() -> Any:
    mark_seen(get_session(), g.staff.id)
    flash_done("console.done_notices_seen")
    return redirect(url_for("console.escalations"))


@bp.get("/wallboard")
@roles(*SUPERVISORS)
@helpline_oversight
def wallboard() -> Any:
    settings = current_helpline().settings
    board = wallboard_figures(get_session(), tz=settings.helpline_timezone,
                              answer_within=settings.service_level_seconds,
                              target_percent=settings.service_level_target_percent)
    context = dict(
        board=board,
        hour_rows=[(hour, [total, quick]) for hour, total, quick in board.calls_by_hour],
        status_items=[(label_alone("status", status), n)
                      for status, n in board.grievances_by_status.items()])
    if request.headers.get("X-Fragment"):
        return render_template("console/_wallboard.html", **context)
    return render_template("console/wallboard.html", **context)


@bp.get("/outbox")
@roles(*SUPERVISORS)
@helpline_oversight
def outbox() -> Any:
    """Messages and calls that Twilio refused or could not deliver, and nobody has
    dealt with yet."""
    return render_template("console/outbox.html", rows=failed_messages(get_session()),
                           mask_phone=mask_phone, can_resend=can_resend)


@bp.post("/outbox/<int:message_id>/<action>")
@roles(*SUPERVISORS)
@helpline_oversight
def outbox_action(message_id: int, action: str) -> Any:
    """Resend a failed SMS, or mark a failed message handled: once, whoever asks."""
    session = get_session()
    try:
        if action == "resend":
            resend_failed_message(session, message_id, staff_id=g.staff.id)
            flash_done("console.done_resent")
        elif action == "handled":
            mark_failed_message_handled(session, message_id, staff_id=g.staff.id)
            flash_done("console.done_handled")
        else:
            abort(404)
    except DomainError as exc:
        flash_error(exc)
    return redirect(url_for("console.outbox"))


@bp.get("/demo-inbox")
@helpline_work
def demo_inbox() -> Any:
    """Without Twilio, SMS go to a sink: this page shows them as a phone's inbox would
    (every citizen's messages: the helpline's own staff only, as the outbox). Each at
    the time it was sent, or, still to come (a reminder), "scheduled for" its
    ``not_before``, never at the time it was written: newest first by that time."""
    if current_helpline().settings.twilio_configured:
        abort(404)
    rows = get_session().scalars(
        select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.SMS)
        .order_by(OutboxMessage.id.desc()).limit(200)).all()
    phones: dict[str, list[OutboxMessage]] = {}
    for row in sorted(rows, key=lambda r: (r.sent_at or r.not_before, r.id), reverse=True):
        phones.setdefault(row.to_phone, []).append(row)
    template = ("console/_demo_inbox.html" if request.headers.get("X-Fragment")
                else "console/demo_inbox.html")
    return render_template(template, phones=phones, mask_phone=mask_phone, now=utcnow())
