"""One thing, one word: a complaint's category reads the same on the portal where the
citizen chose it, in the console where an agent works it and in reports; an escalated
complaint is called one thing across the console; a district has Delhi's own Hindi
name whether a hospital came from the demo data or the console's master data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking_core.hospitals import Hospital
from booking_core.master_data import DELHI_DISTRICTS
from grievances.models import GrievanceCategory
from helpline.demo_data import HOSPITALS, load_demo_data
from locales import render


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("category", list(GrievanceCategory))
def test_a_category_has_one_name_on_every_page(lang, category):
    names = {key: render(lang, f"{key}.{category.value}")
             for key in ("portal.cat", "console.cat", "grievance.category")}
    assert len(set(names.values())) == 1, names


def test_escalated_is_one_word_in_the_console_and_its_reports():
    assert "एस्केलेट" in render("hi", "console.status.escalated")
    assert "एस्केलेट" in render("hi", "console.rep.escalated")


def test_demo_hospitals_name_their_district_as_delhi_does(session):
    assert {entry[5] for entry in HOSPITALS} <= set(DELHI_DISTRICTS)
    load_demo_data(session, weeks=1)
    session.expire_all()
    stored = {(h.district, h.district_hi) for h in session.scalars(select(Hospital))}
    session.rollback()
    assert len(stored) > 5
    assert stored == {(en, DELHI_DISTRICTS[en]) for en, _ in stored}

