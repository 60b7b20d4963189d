"""The agents' and supervisors' web console at ``/console/``.

Server-rendered pages; the parts that change on their own (queues, callbacks, the
wallboard) are HTML fragments the page re-fetches (``static/console.js``). Views parse
the form, call one service in ``grievances``/``contact_centre``/``booking_core`` and
render; they never commit.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static")


def init_app(app: Flask) -> None:
    """Register this adapter's routes and its sign-in throttle on app."""
    from agent_console import (  # noqa: F401  (importing registers the views)
        auth,
        views_admin,
        views_calls,
        views_cards,
        views_counter,
        views_grievances,
        views_hospitals,
        views_master_data,
        views_phone,
        views_reports,
        views_search,
        views_supervisor,
    )
    from agent_console.errors import render_error

    app.register_blueprint(bp)
    app.session_interface = auth.ConsoleSessionInterface()
    app.register_blueprint(views_counter.display)
    helpline = app.extensions["helpline"]
    auth.throttle_failed_sign_ins(helpline.limiter)

    def _render(status: int, code: str, message: str) -> Response:
        return render_error(status, code)

    helpline.error_renderers["/console"] = _render
    helpline.error_renderers["/opd/display/"] = views_counter.render_display_error
