"""Which adapters the app serves."""

from __future__ import annotations

from flask import Flask


def register_all(app: Flask) -> None:
    from agent_console import init_app as init_console
    from helpline.home import init_app as init_home
    from ivr import init_app as init_ivr
    from messaging import init_app as init_messaging
    from portal_api import init_app as init_portal
    from portal_web import init_app as init_portal_web

    init_home(app)
    init_portal(app)
    init_portal_web(app)
    init_ivr(app)
    init_messaging(app)
    init_console(app)
