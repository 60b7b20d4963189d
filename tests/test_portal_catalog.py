"""Every word the portal shows is in both catalogs: each key its templates and views
name, a label for every code it shows (bed types, staff roles, stock levels, complaint
categories and statuses, appointment statuses), a sentence for every refusal its
services can give; and no template prints a stored code as it is."""

from __future__ import annotations

import re
from pathlib import Path

from booking_core import appointments, citizens, phones, verification, waiting_list
from booking_core.appointments import AppointmentStatus
from booking_core.base import DomainError
from booking_core.resources import STAFF_ROLES, BedType, StockLevel
from grievances import services
from grievances.models import GrievanceCategory, GrievanceStatus
from locales import catalogs, has_message, placeholders

PORTAL = Path(__file__).resolve().parent.parent / "portal_web"
FAMILIES = {"bed": list(BedType), "role": list(STAFF_ROLES), "stock": list(StockLevel),
            "cat": list(GrievanceCategory), "status": list(GrievanceStatus),
            "appt": list(AppointmentStatus), "wait_status": list(waiting_list.WaitStatus),
            "grievance.status_help": list(GrievanceStatus)}
KEY = re.compile(r"""\bt\(\s*['"]((?:portal|common)\.[a-z0-9_.]+)['"]""")


def _refusals() -> set[str]:
    """Codes of every domain error the portal's services can raise."""
    codes = set()
    for module in (appointments, citizens, phones, verification, waiting_list, services):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DomainError):
                codes.add(value.code)
    codes.discard(DomainError.code)  # the base class: the general sentence
    return codes | {"past_date", "outside_booking_window", "not_found", "invalid_input",
                    "conflict"}


def test_every_key_the_portal_names_exists_in_both_languages():
    named = set()
    for path in [*PORTAL.rglob("*.html"), *PORTAL.rglob("*.py")]:
        named |= set(KEY.findall(path.read_text(encoding="utf-8")))
    assert len(named) > 120
    # A key ending in "." is a family completed by a code (checked below).
    assert sorted(k for k in named if not k.endswith(".") and not has_message(k)) == []


def test_every_code_shown_has_words_in_both_languages():
    missing = [f"portal.{family}.{getattr(v, 'value', v)}" for family, values in
               FAMILIES.items() for v in values
               if not has_message(f"portal.{family}.{getattr(v, 'value', v)}")]
    assert missing == []


def test_every_refusal_has_a_sentence_in_both_languages():
    missing = sorted(code for code in _refusals() if not has_message(f"portal.err.{code}"))
    assert missing == []


def test_portal_texts_are_whole_hindi_sentences_with_matching_placeholders():
    cats = catalogs()
    keys = [k for k in cats["en"] if k.startswith("portal.")]
    assert keys and all(k in cats["hi"] for k in keys)
    for key in keys:
        assert placeholders(cats["en"][key]) == placeholders(cats["hi"][key]), key
        assert re.search(r"[\u0900-\u097f]", cats["hi"][key]) or key in (
            "portal.switch_language", "portal.bed.icu") or re.fullmatch(
            r"[A-Z]{2,}", cats["hi"][key]), (key, cats["hi"][key])
    # Same words for the same things as the phone line and the SMS.
    assert cats["hi"]["portal.appointment.number"] == "बुकिंग नंबर"
    assert "पुरानी हो सकती है" in cats["hi"]["portal.stale"]


def test_templates_never_print_a_code_as_it_is():
    raw = []
    for path in (PORTAL / "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for found in re.finditer(r">\s*{{\s*((?!errors\.)[\w.]+\.(?:value|status|kind|"
                                     r"level|category|role|bed_type|channel))\s*}}", line):
                raw.append(f"{path.name}:{number}: {found.group(1)}")
    assert raw == []
