"""Headers that tell a browser what our pages may do.

Every page loads its scripts and styles from its own files (no inline ``<script>``,
``<style>`` or ``style=``), so the policy needs no ``'unsafe-inline'``: an injected
script or style attribute is refused by the browser even if escaping ever failed. No
page is meant to be framed (clickjacking on the console's buttons), and no URL of ours,
which may carry a reference number, is sent to another site as a referrer.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))

# The one page that talks to someone else: the console's browser phone (Twilio's Voice
# JavaScript SDK) opens Twilio's signalling websocket, reports call quality to Twilio
# and plays the SDK's ringtones. Only that page sends this policy (its view sets it).
BROWSER_PHONE_POLICY = CONTENT_SECURITY_POLICY.replace(
    "connect-src 'self'", "connect-src 'self' wss://*.twilio.com https://*.twilio.com"
) + "; media-src 'self' https://sdk.twilio.com"
BROWSER_PHONE_PAGE = "/console/phone"

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
HTML_PAGES = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
}


def add_security_headers(response: Response) -> Response:
    """After every request; a view that set one of these headers itself keeps its own."""
    for name, value in EVERY_RESPONSE.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        for name, value in HTML_PAGES.items():
            response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
