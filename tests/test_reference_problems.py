"""A mistyped number is told what is wrong with it: too few or too many digits (letters
included), a number of the other kind (a booking number where a complaint number is
asked), or one digit wrong (the check digit); in the domain's refusal, on the portal's
complaint status page in both languages."""

from __future__ import annotations

import html
import re

import pytest

from booking_core.appointments import InvalidReference, find_appointment
from booking_core.refs import RefKind, new_reference, reference_problem
from grievances.services import InvalidGrievanceReference, find_grievance
from tests.test_portal_pages import CSRF


def _mistyped(ref: str) -> str:
    """``ref`` with its last digit changed: a check-digit failure."""
    return ref[:-1] + str((int(ref[-1]) + 1) % 10)


def test_each_problem_has_its_reason():
    booking, complaint = new_reference(RefKind.APPOINTMENT), new_reference(RefKind.GRIEVANCE)
    assert reference_problem(booking, RefKind.APPOINTMENT) is None
    assert reference_problem(f"{complaint[:4]} {complaint[4:]}", RefKind.GRIEVANCE) is None
    for short in ("", "abc", "1234", complaint[:7], complaint + "1", "१२३४५६७"):
        assert reference_problem(short, RefKind.GRIEVANCE) == "length", short
    assert reference_problem(booking, RefKind.GRIEVANCE) == "other_kind"
    assert reference_problem(complaint, RefKind.APPOINTMENT) == "other_kind"
    assert reference_problem(_mistyped(complaint), RefKind.GRIEVANCE) == "check_digit"


def test_the_domain_refuses_with_the_reason(session):
    complaint = new_reference(RefKind.GRIEVANCE)
    with pytest.raises(InvalidReference) as refused:
        find_appointment(session, complaint)
    assert refused.value.details["reason"] == "other_kind"
    with pytest.raises(InvalidGrievanceReference) as refused:
        find_grievance(session, "6123")
    assert refused.value.details["reason"] == "length"


SAID = {
    ("length", "en"): "A complaint number has 8 digits. Please check it and type all 8.",
    ("length", "hi"): "शिकायत नंबर में 8 अंक होते हैं। कृपया जाँचकर पूरे 8 अंक लिखें।",
    ("other_kind", "en"): "This is a booking number, not a complaint number.",
    ("other_kind", "hi"): "यह बुकिंग नंबर है, शिकायत नंबर नहीं।",
    ("check_digit", "en"): "Check the complaint number: it has 8 digits and one of them "
                           "seems wrong.",
    ("check_digit", "hi"): "शिकायत नंबर जाँचें: इसमें 8 अंक होते हैं और कोई अंक ग़लत लग रहा है।",
}


@pytest.mark.parametrize("lang", ["hi", "en"])
@pytest.mark.parametrize("typed", ["abc", "6123 456", "612345678", "booking", "mistyped"])
def test_the_status_page_says_what_is_wrong(client, lang, typed):
    if typed == "booking":
        typed, problem = new_reference(RefKind.APPOINTMENT), "other_kind"
    elif typed == "mistyped":
        typed, problem = _mistyped(new_reference(RefKind.GRIEVANCE)), "check_digit"
    else:
        problem = "length"
    client.get(f"/portal/lang/{lang}")
    form = client.get("/portal/grievances/status").get_data(as_text=True)
    answer = client.post("/portal/grievances/status", data={
        "csrf_token": CSRF.search(form).group(1), "reference": typed,
        "mobile": "98123 45678"}, follow_redirects=True)
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ",
                                                    answer.get_data(as_text=True))))
    assert SAID[(problem, lang)] in text, text[:2000]
