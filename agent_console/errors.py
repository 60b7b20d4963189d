"""Error pages and domain errors, in the agent's language."""

from __future__ import annotations

from flask import Response, render_template

from agent_console.i18n import console_context, t

KNOWN = {400, 401, 403, 404, 405, 413, 429}


def render_error(status: int, code: str) -> Response:
    key = f"console.http_{status}" if status in KNOWN else "console.http_500"
    context = {**console_context(), "status": status, "message": t(key)}
    html = render_template("console/error.html", **context)
    return Response(html, status=status, mimetype="text/html")
