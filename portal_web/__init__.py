"""portal_web: the citizens' web portal at ``/portal/``, in Hindi and English.

Server-rendered pages that work without JavaScript and stay light for a cheap phone
on a slow connection (each page well under 100 KB; no web fonts: the phone's own
fonts render Devanagari). A thin adapter on the same booking core as the JSON API:
each view parses a form or a query with ``portal_api``'s rules, calls one service of
``booking_core`` or ``grievances``, and renders a page in the citizen's language.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the portal's routes and its HTML error pages for ``/portal``."""
    from portal_web import (  # noqa: F401  (importing registers the views)
        views_appointments,
        views_booking,
        views_grievances,
        views_hospitals,
        views_waiting,
    )
    from portal_web.blueprint import portal
    from portal_web.card import register_card_routes
    from portal_web.pages import render_error

    register_card_routes(portal)
    app.register_blueprint(portal)
    app.extensions["helpline"].error_renderers["/portal"] = render_error
