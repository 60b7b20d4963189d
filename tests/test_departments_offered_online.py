"""A department that sits no OPD (no weekly schedule and no open slot from today on) is
left out of the API's department list and the portal's department page, as the phone
line leaves it out of its menu: nothing in it could be booked
(``booking_core.slots.departments_offered``, ``portal_api.views_catalogue``)."""

from __future__ import annotations

import pytest

from locales import render
from tests.fixtures_api import API
from tests.test_ivr_departments_offered import _sitting_and_not
from tests.test_portal_pages import Portal


@pytest.fixture
def portal(client, session):
    return Portal(client, session)


def test_the_api_lists_only_departments_that_sit_an_opd(client, session, catalogue, conforms):
    kinds = _sitting_and_not(session, catalogue.hospital)
    body = client.get(f"{API}/hospitals/{catalogue.hospital.id}/departments").json
    conforms(body, "DepartmentList")
    # In the hospital's order: Orthopaedics (open slots), then the two of the kinds
    # that sit an OPD, a day added by hand and a weekly schedule.
    assert [d["id"] for d in body["departments"]] == \
        [catalogue.department.id] + [d.id for d, offered in kinds if offered]
    # Another hospital's department with neither is left out of that hospital's list.
    other = client.get(f"{API}/hospitals/{catalogue.other_hospital.id}/departments").json
    assert other["departments"] == []


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_offers_only_departments_that_sit_an_opd(portal, session, catalogue, lang):
    hospital = catalogue.hospital
    kinds = _sitting_and_not(session, hospital)
    portal.choose(lang)
    portal.get(f"/portal/book/{hospital.id}")
    for department, offered in kinds + [(catalogue.department, True)]:
        link = f'href="/portal/book/{hospital.id}/{department.id}"'
        assert (link in portal.page) is offered, department.name_en
    # A hospital with none says so rather than showing an empty list.
    portal.get(f"/portal/book/{catalogue.other_hospital.id}")
    assert f"/portal/book/{catalogue.other_hospital.id}/" not in portal.page
    assert render(lang, "portal.book.no_departments") in portal.text()
