"""portal_api: the citizens' portal and hospital feeds, JSON under ``/api/v1``.

A thin adapter: each view parses and checks the request, calls one service of
``booking_core`` or ``grievances``, and renders JSON. Errors are always
``{"error": {"code", "message"}}`` with a 4xx status.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the routes, CORS for the configured origins, the per-client rate limit,
    the JSON error renderer for ``/api`` and the CLI."""
    from portal_api import (  # noqa: F401  (importing registers the views)
        openapi,
        views_appointments,
        views_cards,
        views_catalogue,
        views_feed,
        views_grievances,
        views_opd,
    )
    from portal_api.blueprint import api, meter_clients
    from portal_api.cli import register_cli
    from portal_api.cors import init_cors
    from portal_api.errors import render_http_error
    from portal_api.reads import init_read_sessions

    helpline = app.extensions["helpline"]
    init_cors(app)
    app.register_blueprint(api)
    init_read_sessions(app)
    meter_clients(helpline.limiter, helpline.settings.api_rate_limit_per_minute)
    helpline.error_renderers["/api/"] = render_http_error
    register_cli(app)
