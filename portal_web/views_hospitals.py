"""Finding a hospital, its public figures, and the language switch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import redirect, request, url_for

from booking_core.hospitals import (
    districts_in_name_order,
    find_hospitals,
    get_hospital,
    list_districts,
)
from booking_core.resources import BedType, public_resources
from helpline.app import current_helpline
from locales import LANGUAGES
from portal_api.reads import read_session, retry_on_lost_connection
from portal_web import i18n, security
from portal_web.blueprint import portal
from portal_web.pages import page
from portal_web.verify import portal_path

MAX_QUERY = 60


def text_arg(name: str, max_len: int = MAX_QUERY) -> str:
    """A query value as typed, cut to ``max_len`` (a search box, not an API field)."""
    return request.args.get(name, "").strip()[:max_len]


def _districts(session: Any) -> list[tuple[str, str]]:
    """The districts with a hospital, in the page's language's name order."""
    return districts_in_name_order(list_districts(session), i18n.current_language())


@portal.get("/")
@retry_on_lost_connection
def home() -> Any:
    return page("home.html", districts=_districts(read_session()))


@portal.get("/hospitals")
@retry_on_lost_connection
def hospitals() -> Any:
    """Hospitals by name (either script, part of a name or an alias) and district."""
    query, district = text_arg("q"), text_arg("district")
    session = read_session()
    found = find_hospitals(session, query, district, lang=i18n.current_language())
    return page("hospitals.html", hospitals=found, query=query, district=district,
                districts=_districts(session), searched=bool(query or district))


@portal.get("/hospitals/<int:hospital_id>")
@retry_on_lost_connection
def hospital(hospital_id: int) -> Any:
    """Vacant beds by type, ventilators, medicines (in stock / low / out) and staff on
    duty, each with its age and a mark when older than ``RESOURCE_STALE_HOURS``."""
    settings = current_helpline().settings
    session = read_session()
    found = get_hospital(session, hospital_id)
    figures = public_resources(session, found.id,
                               stale_after=dt.timedelta(hours=settings.resource_stale_hours))
    return page("hospital.html", hospital=found, figures=figures, bed_types=list(BedType),
                stale_hours=settings.resource_stale_hours)


@portal.get("/lang/<code>")
def language(code: str) -> Any:
    """Switch language and come back to the same page; remembered in a cookie."""
    if code in LANGUAGES:
        security.remember_language(code)
    return redirect(portal_path(request.args.get("next")) or url_for("portal.home"), code=303)
