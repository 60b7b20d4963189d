"""The supervisor's wallboard, failed messages, and the demo inbox."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from sqlalchemy import select

from agent_console import bp
from agent_console.auth import SUPERVISORS, roles
from agent_console.i18n import label
from booking_core.outbox import OutboxKind, OutboxMessage, OutboxStatus
from booking_core.phones import mask_phone
from contact_centre.wallboard import wallboard as wallboard_figures
from helpline.app import current_helpline, get_session


@bp.get("/wallboard")
@roles(*SUPERVISORS)
def wallboard() -> Any:
    settings = current_helpline().settings
    board = wallboard_figures(get_session(), tz=settings.helpline_timezone,
                              answer_within=settings.service_level_seconds,
                              target_percent=settings.service_level_target_percent)
    context = dict(
        board=board,
        hour_rows=[(hour, [total, quick]) for hour, total, quick in board.calls_by_hour],
        status_items=[(label("status", status), n)
                      for status, n in sorted(board.grievances_by_status.items())])
    if request.headers.get("X-Fragment"):
        return render_template("console/_wallboard.html", **context)
    return render_template("console/wallboard.html", **context)


@bp.get("/outbox")
@roles(*SUPERVISORS)
def outbox() -> Any:
    """Messages and calls that Twilio refused or could not deliver."""
    rows = get_session().scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_((OutboxStatus.FAILED, OutboxStatus.UNDELIVERED)))
        .order_by(OutboxMessage.updated_at.desc()).limit(200)).all()
    return render_template("console/outbox.html", rows=rows, mask_phone=mask_phone)


@bp.get("/demo-inbox")
def demo_inbox() -> Any:
    """Without Twilio, SMS go to a sink: this page shows them as a phone's inbox would."""
    if current_helpline().settings.twilio_configured:
        abort(404)
    rows = get_session().scalars(
        select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.SMS)
        .order_by(OutboxMessage.id.desc()).limit(200)).all()
    phones: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        phones.setdefault(row.to_phone, []).append(row)
    if request.headers.get("X-Fragment"):
        return render_template("console/_demo_inbox.html", phones=phones, mask_phone=mask_phone)
    return render_template("console/demo_inbox.html", phones=phones, mask_phone=mask_phone)
