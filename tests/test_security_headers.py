"""Every HTML page (the front page, the console, its fragments, error pages) carries a
Content-Security-Policy without 'unsafe-inline', refuses to be framed, and nothing is
sniffed; and no page needs inline code the policy would block."""

from __future__ import annotations

import re

import pytest

from helpline.security_headers import (
    BROWSER_PHONE_PAGE,
    BROWSER_PHONE_POLICY,
    CONTENT_SECURITY_POLICY,
)
from tests.fixtures_console import make_grievance

INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)


def assert_protected(response, path: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") == "same-origin", path
    if response.mimetype != "text/html":
        return
    policy = headers.get("Content-Security-Policy", "")
    # Only the browser phone's page may reach Twilio.
    expected = BROWSER_PHONE_POLICY if path == BROWSER_PHONE_PAGE else CONTENT_SECURITY_POLICY
    assert policy == expected, path
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert headers.get("X-Frame-Options") == "DENY", path
    page = response.get_data(as_text=True)
    assert not INLINE.search(page), f"{path} has inline code: {INLINE.search(page)}"


def get_routes(app) -> list[tuple[str, list[str]]]:
    """Every GET route, with the names of its URL arguments."""
    return sorted((rule.rule, sorted(rule.arguments)) for rule in app.url_map.iter_rules()
                  if "GET" in (rule.methods or ()) and rule.endpoint != "static"
                  and not rule.endpoint.endswith(".static"))


def test_every_html_page_of_the_console_and_the_site_sends_the_headers(
        app, session, console, supervisor, hospital):
    grievance = make_grievance(session, hospital_id=hospital.id)
    values = {"grievance_id": str(grievance.id), "hospital_id": str(hospital.id)}
    console.login("super.one")
    html_pages = 0
    for rule, arguments in get_routes(app):
        # The CSV export streams from a session of its own: not a page.
        if any(name not in values for name in arguments) or rule.endswith(".csv"):
            continue
        path = rule
        for name in arguments:
            path = re.sub(rf"<(?:\w+:)?{name}>", values[name], path)
        for headers in ({}, {"X-Fragment": "1"}):
            response = console.get(path, headers=headers)
            assert response.status_code < 500, path
            assert_protected(response, path)
            html_pages += response.mimetype == "text/html"
    assert html_pages >= 10


@pytest.mark.parametrize("path", ["/", "/console/login", "/no-such-page", "/console/no-such"])
def test_signed_out_pages_and_errors_send_the_headers(client, path):
    response = client.get(path)
    assert_protected(response, path)
    assert response.headers.get("X-Content-Type-Options") == "nosniff"


def test_json_and_static_answers_are_not_sniffed(client):
    for path in ("/healthz", "/api/v1/openapi.json", "/static/home.css",
                 "/console/static/console.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
