"""The reports page: a day, a week or a month of calls, bookings and grievances, with
server-drawn charts and a CSV file per table (supervisors and admins)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, g, render_template, request

from agent_console import bp
from agent_console.auth import SUPERVISORS, roles
from agent_console.csv_files import EXCEL_UTF8_MARK
from agent_console.i18n import current_language, error_text, label_alone, t
from booking_core.base import InvalidDay, InvalidInput, calendar_day, utcnow
from booking_core.hospitals import get_hospital
from contact_centre.reports import (
    CSV_COLUMNS,
    HELPLINE_TABLES,
    PeriodKind,
    build_report,
    csv_rows,
    grievances_by_category,
    report_period,
)
from contact_centre.wallboard import service_level_mark
from helpline.app import current_helpline, get_session


@bp.get("/reports")
@roles(*SUPERVISORS)
def reports() -> Any:
    settings = current_helpline().settings
    tz = settings.helpline_timezone
    today = utcnow().astimezone(ZoneInfo(tz)).date()
    kind = request.args.get("period", PeriodKind.DAY.value)
    raw_day = request.args.get("day", "")
    table = request.args.get("table", "")
    wants_csv = request.args.get("format") == "csv"
    # A hospital's supervisor: its own bookings and grievances, never the contact
    # centre's call figures (``StaffUser.oversees_the_helpline``).
    within_hospital = g.staff.grievance_hospital
    if wants_csv and table in HELPLINE_TABLES and not g.staff.oversees_the_helpline:
        abort(403)
    try:
        day = calendar_day(raw_day) if raw_day else today
        period = report_period(kind, day, tz, today=today)
        if wants_csv and table not in CSV_COLUMNS:
            raise InvalidInput("no such table in the report", field="table")
    except InvalidInput as exc:
        error = (error_text(exc.code, exc.details) if isinstance(exc, InvalidDay)
                 else t(f"console.rep.err_{exc.details.get('field', 'day')}"))
        return render_template("console/reports.html", report=None, error=error,
                               kind=kind, day=today, today=today,
                               periods=list(PeriodKind)), 400
    report = build_report(get_session(), period, within_hospital=within_hospital,
                          answer_within=settings.service_level_seconds,
                          table=table if wants_csv else None)
    lang = current_language()
    if wants_csv:
        out = io.StringIO()
        writer = csv.writer(out)
        columns, rows = _with_names(table, list(CSV_COLUMNS[table]),
                                    csv_rows(report, table, lang))
        writer.writerow(columns)
        writer.writerows(rows)
        name = f"reports-{table}-{period.kind}-{period.first_day.isoformat()}.csv"
        return Response(EXCEL_UTF8_MARK + out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    step = {PeriodKind.DAY: dt.timedelta(days=1), PeriodKind.WEEK: dt.timedelta(days=7)}
    earlier = period.first_day - step.get(period.kind, dt.timedelta(days=1))
    later = (period.last_day + dt.timedelta(days=1)) if period.last_day < today else None
    target = settings.service_level_target_percent
    context = dict(
        report=report, error=None, kind=period.kind.value, day=day, today=today,
        periods=list(PeriodKind),
        earlier=earlier, later=later, target_percent=target,
        sl_mark=service_level_mark(report.calls.service_level, target),
        hour_rows=[(h.hour, [h.calls, h.offered, h.answered, h.answered_in_target])
                   for h in report.hours],
        channel_items=[(label_alone("channel", c), n)
                       for c, n in report.bookings.by_channel.items()],
        category_items=[(label_alone("cat", c), n)
                        for c, n in grievances_by_category(report.grievances).items()],
        csv_tables=list(CSV_COLUMNS),
        # Whose report this is, said in words: a hospital's supervisor sees one hospital.
        scope_hospital=(get_hospital(get_session(), within_hospital).name(lang)
                        if within_hospital is not None else None),
    )
    return render_template("console/reports.html", **context)


# A table's column of codes (kept for spreadsheets and scripts) and the label family that
# names them: each gets a column beside it with the name a person reads, in the
# supervisor's language ("cleanliness" -> "Cleanliness" / «सफ़ाई»).
NAMED_CODES = {"ivr": ("node", "node"), "channels": ("channel", "channel"),
               "grievances": ("category", "cat")}


def _with_names(table: str, columns: list[str], rows: list[tuple[object, ...]]
                ) -> tuple[list[str], list[tuple[object, ...]]]:
    if table not in NAMED_CODES:
        return columns, rows
    column, family = NAMED_CODES[table]
    at = columns.index(column) + 1
    named = [(*row[:at], label_alone(family, row[at - 1]), *row[at:]) for row in rows]
    return [*columns[:at], f"{column}_name", *columns[at:]], named
