"""Operations endpoints, settings, logging redaction and the app's error answers."""

from __future__ import annotations

import logging

from helpline.app import create_app
from helpline.logging_setup import RedactingFilter, redact
from helpline.settings import Settings
from tests.conftest import make_settings


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": True, "redis": True}


def test_readyz_reports_an_unreachable_redis_and_database(tmp_path):
    settings = make_settings("postgresql+psycopg://postgres@127.0.0.1:1/nothing",
                             redis_url="redis://127.0.0.1:1/0")
    app = create_app(settings)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": False, "redis": False}


def test_metrics_are_prometheus_text(client):
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'helpline_http_requests_total{endpoint="healthz",method="GET",status="200"}' in text
    assert "helpline_database_up 1" in text
    assert "# TYPE helpline_http_request_seconds histogram" in text


def test_unknown_paths_and_methods_get_json_errors(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    response = client.put("/healthz")
    assert response.status_code == 405


def test_settings_from_environment():
    settings = Settings.from_env({
        "DATABASE_URL": "postgresql://db/helpline", "PORT": "8080",
        "BOOKING_WINDOW_DAYS": "14", "RESOURCE_STALE_HOURS": "2.5", "TESTING": "yes",
    })
    assert settings.database_url == "postgresql://db/helpline"
    assert settings.port == 8080 and settings.public_base_url == "http://127.0.0.1:8080"
    assert settings.booking_window_days == 14 and settings.resource_stale_hours == 2.5
    assert settings.testing is True and settings.secret_key == ""  # see resolve_secrets
    assert Settings.from_env({}).is_sqlite


def test_logs_never_show_full_numbers_or_recording_urls(caplog):
    samples = [
        "caller +919812345678 booked",
        "caller 9812345678 booked",
        "caller 98123 45678 booked",
        "recording https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9 saved",
    ]
    for sample in samples:
        cleaned = redact(sample)
        assert "98123" not in cleaned and "Recordings/RE9" not in cleaned, cleaned
    assert "5678" in redact(samples[0])
    # Every way a request line carries one: a "next=" holding another URL (the "+" encoded
    # twice), a query string's "+" or "%20" for a space, Devanagari digits, 0091.
    for line, tail in [
        ("GET /console/me/desk?next=/console/booking?phone%3D%252B919810000205", "0205"),
        ("GET /console/search?q=98100+00205 HTTP/1.1", "0205"),
        ("GET /console/search?q=98100%2000205 HTTP/1.1", "0205"),
        ("GET /console/search?q=९८१००००२०५ HTTP/1.1", "०२०५"),
        ("typed +९१ ९८१०० ००२०५ in the form", "०२०५"),
        ("from 0091-98100-00205", "0205"),
        ("phone=%2B919810000205&x=1", "0205"),
    ]:
        cleaned = redact(line)
        digits = "".join(ch for ch in cleaned if ch.isdigit())
        assert "98100" not in cleaned and "९८१००" not in cleaned, cleaned
        assert tail in cleaned and "981000" not in digits, cleaned
    # Not numbers of a person: times, booking numbers, ids inside words stay readable.
    for kept in ("2026-12-01 12:37:45,659 INFO werkzeug: 127.0.0.1", "booking 22686029 token 12",
                 "/console/grievances/12", "CA6f9812345678abcdef", "v1.9812345678"):
        assert redact(kept) == kept
    logger = logging.getLogger("helpline.test")
    handler_filter = RedactingFilter()
    record = logger.makeRecord("helpline.test", logging.INFO, __file__, 1,
                               "call from %s", ("+919812345678",), None)
    handler_filter.filter(record)
    assert "9812345678" not in record.getMessage()
