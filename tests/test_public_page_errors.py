"""Public pages outside the portal answer people in words: a wrong hall-display address
is a page in Hindi and English (not the display script's JSON), and ``/favicon.ico``,
which browsers ask for whatever a page says, is the helpline's icon."""

from __future__ import annotations

import pytest

from tests.factories import make_department, make_hospital


@pytest.fixture
def sqlite_client(sqlite_database_url):
    from helpline.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(sqlite_database_url))
    yield app.test_client()
    app.extensions["helpline"].engine.dispose()


@pytest.mark.parametrize("path", ["/opd/display/999999", "/opd/display/0",
                                  "/opd/display/abc", "/opd/display/"])
def test_a_wrong_display_address_is_a_page_in_both_languages(sqlite_client, path):
    answer = sqlite_client.get(path)
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert '"error"' not in html and "{" not in html
    assert "इस पते पर कोई प्रतीक्षा-कक्ष डिस्प्ले नहीं है।" in html
    assert "There is no waiting-hall display at this address." in html


def test_the_display_script_still_gets_json(sqlite_client):
    answer = sqlite_client.get("/opd/display/999999.json")
    assert answer.status_code == 404 and answer.is_json
    assert answer.get_json()["error"]["code"] == "not_found"


def test_a_real_display_still_shows_its_department(client, session):
    hospital = make_hospital(session)
    department = make_department(session, hospital)
    answer = client.get(f"/opd/display/{department.id}")
    assert answer.status_code == 200 and department.name("en") in answer.get_data(as_text=True)


def test_favicon_is_the_helplines_icon(sqlite_client):
    answer = sqlite_client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert answer.get_data(as_text=True).lstrip().startswith("<svg")
    page = sqlite_client.get("/portal/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page
