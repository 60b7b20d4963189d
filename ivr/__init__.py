"""The phone line: Twilio voice webhooks under ``/ivr`` in Hindi and English.

``ivr.flow`` holds the rules every step shares; the other modules are the menus.
"""

from __future__ import annotations

from flask import Flask, Response


def init_app(app: Flask) -> None:
    """Register the IVR's webhooks, its TwiML error pages and the ``dev-phone`` command."""
    from helpline.db import DatabaseLimits, make_engine
    from helpline.twilio_auth import for_twilio_only

    # The declaration first; importing the step modules then registers their prompts,
    # actions and routes, and every other declared node gets the engine's own prompt.
    from ivr import (  # noqa: F401
        agent,
        beds,
        booking,
        call_flow,
        card,
        choosers,
        followup,
        grievance,
        menus,
        mine,
        offer,
    )
    from ivr.devphone import register_dev_phone
    from ivr.directory import Directory
    from ivr.flow import (
        DIRECTORY,
        ENGINE,
        apology,
        bp,
        complete_steps,
        read_state,
        twiml,
    )
    from ivr.ivrmap import register_ivr_map

    complete_steps()

    app.register_blueprint(bp)
    helpline = app.extensions["helpline"]
    app.extensions[DIRECTORY] = Directory(helpline.sessions,
                                          helpline.settings.ivr_directory_ttl_seconds,
                                          tz=helpline.settings.helpline_timezone)
    if not helpline.settings.is_sqlite:
        # The webhooks' own pool: connections in autocommit (a unit of work switches
        # its own connection to a transaction), no pre-ping (``ivr.flow.ivr_session``).
        app.extensions[ENGINE] = make_engine(
            helpline.settings.database_url, pool_pre_ping=False, isolation_level="AUTOCOMMIT",
            limits=DatabaseLimits.from_settings(helpline.settings))

    def render_error(status: int, code: str, message: str) -> Response:
        """Any error under /ivr (even a 500) answers 200 with TwiML: Twilio would
        otherwise tell the caller "an application error has occurred"."""
        from flask import request

        state = read_state(request.args.get("s", "")) or {}
        lang = state.get("l") if state.get("l") in ("hi", "en") else None
        return twiml(apology(lang))

    app.extensions["helpline"].error_renderers["/ivr"] = for_twilio_only(render_error)
    register_dev_phone(app)
    register_ivr_map(app)
