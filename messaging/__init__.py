"""SMS and outbound calls: delivery of outbox rows through Twilio, delivery status and
incoming SMS webhooks (``/sms/...``), TwiML for the calls we place (``/calls/...``),
and the ``worker`` and ``scheduler`` commands."""

from __future__ import annotations

import logging

from flask import Flask


def init_app(app: Flask) -> None:
    """Register routes, the outbox listener, TwiML error pages and the CLI."""
    from helpline.twilio_auth import for_twilio_only
    from messaging.calls import bp as calls_bp
    from messaging.calls import render_call_error
    from messaging.cli import register_cli
    from messaging.devsms import register_dev_sms
    from messaging.queueing import outbox_listener
    from messaging.sms_webhooks import bp as sms_bp
    from messaging.sms_webhooks import render_sms_error

    # twilio-python logs every request at INFO, query strings (phone numbers) included.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    helpline = app.extensions["helpline"]
    helpline.outbox_listeners.append(outbox_listener(helpline))
    # TwiML for Twilio's own (signed) requests; the plain status for anyone else.
    helpline.error_renderers["/sms"] = for_twilio_only(render_sms_error)
    helpline.error_renderers["/calls"] = for_twilio_only(render_call_error)
    app.register_blueprint(sms_bp)
    app.register_blueprint(calls_bp)
    register_cli(app)
    register_dev_sms(app)
