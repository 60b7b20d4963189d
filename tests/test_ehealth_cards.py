"""eHealth cards: numbers, one card per person (not per phone), ABHA links, the signed
QR payload, and N processes issuing the same person's card at once on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp

import pytest
from sqlalchemy import func, select

from booking_core.appointments import Appointment, Channel
from booking_core.base import InvalidInput, NotFound
from booking_core.card_seal import (
    ForgedCard,
    derived_seed,
    public_key_text,
    seal,
    signing_key,
    verify_seal,
)
from booking_core.citizens import InvalidAbha
from booking_core.ehealth import (
    AbhaOnAnotherCard,
    CardIssuer,
    EHealthCard,
    InvalidCardNumber,
    book_with_card,
    card_appointments,
    cards_for_phone,
    find_card,
    issue_card,
    link_abha,
)
from booking_core.refs import (
    RefKind,
    card_number_problem,
    damm_digit,
    is_valid_card_number,
    is_valid_reference,
    new_card_number,
    new_reference,
    reference_kind,
    spaced_card_number,
)
from helpline.db import make_engine, make_session_factory
from tests.factories import make_department, make_hospital, make_slot

PHONE = "9812345678"


def _issue(session, **kw):
    values = {"phone": PHONE, "name": "Asha Devi", "year_of_birth": 1984,
              "via": CardIssuer.PORTAL} | kw
    return issue_card(session, **values)


def test_card_numbers_are_never_references_and_catch_every_slip():
    for _ in range(200):
        number = new_card_number()
        assert len(number) == 11 and number.startswith("5") and is_valid_card_number(number)
        assert reference_kind(number) is None and not is_valid_reference(number)
        assert not is_valid_card_number(new_reference(RefKind.APPOINTMENT))
        for position in range(11):  # every single wrong digit is refused
            wrong = str((int(number[position]) + 1) % 10)
            assert not is_valid_card_number(number[:position] + wrong + number[position + 1:])
        swapped = number[:3] + number[4] + number[3] + number[5:]
        assert swapped == number or not is_valid_card_number(swapped)
    assert spaced_card_number("51234567890") == "5123 4567 890"
    assert is_valid_card_number(spaced_card_number(number))


def test_one_card_per_person_and_a_family_shares_a_phone(session):
    first = _issue(session)
    assert first.new and first.card.number.startswith("5")
    again = _issue(session, name="  ASHA   devi ", via=CardIssuer.AGENT, sex="female")
    assert not again.new and again.card.number == first.card.number
    assert again.card.sex == "female" and again.card.name == "Asha Devi"
    child = _issue(session, name="Ravi Kumar", year_of_birth=2015)
    namesake = _issue(session, name="Asha Devi", year_of_birth=1960)  # her mother-in-law
    numbers = {first.card.number, child.card.number, namesake.card.number}
    assert len(numbers) == 3 and child.new and namesake.new
    assert [c.number for c in cards_for_phone(session, "+91 98123 45678")] == [
        first.card.number, child.card.number, namesake.card.number]
    hindi = _issue(session, name="आशा देवी", year_of_birth=1984)  # another script: a new card
    assert hindi.new and find_card(session, spaced_card_number(hindi.card.number)).name == "आशा देवी"


@pytest.mark.parametrize(("field", "value"), [
    ("name", "  "), ("name", "123"), ("name", "x" * 121), ("name", "Asha\x00"),
    ("year_of_birth", 1800), ("year_of_birth", dt.date.today().year + 1),
    ("year_of_birth", "1984"), ("sex", "unknown"),
])
def test_bad_details_are_refused_and_nothing_is_issued(session, field, value):
    with pytest.raises(InvalidInput):
        _issue(session, **{field: value})
    assert session.scalar(select(func.count()).select_from(EHealthCard)) == 0


def test_abha_links_once_and_to_one_card(session):
    card = _issue(session, abha_number="12-3456-7890-1234").card
    assert card.abha_number == "12345678901234"
    with pytest.raises(InvalidAbha):
        link_abha(session, card.number, "12-3456")
    other = _issue(session, name="Ravi", year_of_birth=2015).card
    with pytest.raises(AbhaOnAnotherCard):
        link_abha(session, other.number, "12345678901234")
    assert link_abha(session, card.number, "12 3456 7890 1234").abha_number == "12345678901234"
    linked = link_abha(session, other.number, "98-7654-3210-9876")
    assert linked.abha_number == "98765432109876"


def _card_slips(number: str) -> dict[str, tuple[str, str | None, int]]:
    """What people type for a card number, with the slip each is (None: the card) and
    how many digits it has."""
    slip = number[:-1] + str((int(number[-1]) + 1) % 10)
    mobile = "0981234567"  # a mobile with its 0: eleven digits, not a card's
    mobile += str(damm_digit(mobile))
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return {
        "plain": (number, None, 11),
        "spaced": (spaced_card_number(number), None, 11),
        "hyphens": (f"{number[:2]}-{number[2:5]}-{number[5:8]}-{number[8:]}", None, 11),
        "spaces around": (f"  {spaced_card_number(number)}\t ", None, 11),
        "dashes": (f"{number[:4]}\u2013{number[4:8]}\u2011{number[8:]}", None, 11),
        "devanagari": (number.translate(str.maketrans("0123456789", "०१२३४५६७८९")), None, 11),
        "full width": (full_width, None, 11),
        "empty": ("", "too_short", 0),
        "blank": ("  - ", "too_short", 0),
        "four": ("1234", "too_short", 4),
        "one": ("5", "too_short", 1),
        "nine": (number[:9], "too_short", 9),
        "full width short": ("１２３", "too_short", 3),
        "a digit added": (number + "7", "too_long", 12),
        "fifteen": ("123456789012345", "too_long", 15),
        "a letter": ("12a45678901", "not_digits", 10),
        "a letter, 11 digits": (f"{number[:4]}a{number[4:]}", "not_digits", 11),
        "words": ("card number", "not_digits", 0),
        "dots": (f"{number[:4]}.{number[4:8]}.{number[8:]}", "not_digits", 11),
        "a plus": (f"+{number}", "not_digits", 11),
        "superscript": (number[:10] + "²", "not_digits", 10),
        "a mobile": (mobile, "first_digit", 11),
        "check digit": (slip, "check_digit", 11),
        "swapped": (number[:3] + number[4] + number[3] + number[5:], "check_digit", 11),
    }


SLIPS = sorted(_card_slips("51234567890"))


@pytest.mark.parametrize("kind", SLIPS)
def test_each_slip_in_a_card_number_is_told_apart(session, kind):
    """Typed short, long, with letters, not starting 5 or with a digit wrong: the domain
    says which (``details.reason``) and how many digits were typed (``details.digits``),
    so every channel can say the right sentence; spaces, hyphens and any script's digits
    still find the card."""
    card = _issue(session).card
    typed, reason, digits = _card_slips(card.number)[kind]
    if kind == "swapped" and typed == card.number:
        return  # the two digits swapped are the same digit
    if reason is None:
        assert card_number_problem(typed) is None and is_valid_card_number(typed)
        assert find_card(session, typed).id == card.id
        return
    problem = card_number_problem(typed)
    assert problem is not None and (problem[0].value, problem[1]) == (reason, digits)
    assert not is_valid_card_number(typed)
    with pytest.raises(InvalidCardNumber) as refused:
        find_card(session, typed)
    details = refused.value.details
    assert details == {"field": "card_number", "reason": reason, "digits": digits}


def test_find_card_rejects_slips_and_other_phones(session):
    card = _issue(session).card
    slip = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    with pytest.raises(InvalidCardNumber):
        find_card(session, slip)
    with pytest.raises(NotFound):
        find_card(session, card.number, phone="9898989898")
    assert find_card(session, card.number, phone="+919812345678").id == card.id


def test_booking_with_a_card_links_the_appointment_and_keeps_the_phone_owner(session):
    dept = make_department(session, make_hospital(session))
    slot = make_slot(session, dept, starts_in=dt.timedelta(days=2))
    other_slot = make_slot(session, dept, starts_in=dt.timedelta(days=3))
    mother = _issue(session).card
    child = _issue(session, name="Ravi Kumar", year_of_birth=2015).card
    booked = book_with_card(session, card_number=child.number, slot_id=slot.id,
                            channel=Channel.IVR, booked_by_phone="9000000001")
    assert booked.ehealth_card_id == child.id and booked.patient_name == "Ravi Kumar"
    assert booked.citizen.phone == "+919812345678"
    assert booked.booked_by_phone == "+919000000001"
    assert booked.citizen.name is None  # the shared phone is nobody's name
    book_with_card(session, card_number=mother.number, slot_id=other_slot.id,
                   channel=Channel.PORTAL, booked_by_phone=PHONE)
    assert [a.reference for a in card_appointments(session, child)] == [booked.reference]
    assert len(card_appointments(session, mother)) == 1
    assert session.scalar(select(func.count()).select_from(Appointment)) == 2


KEY = signing_key(derived_seed("test-secret-key"))


def test_the_qr_payload_is_small_signed_and_rejects_forgeries():
    number = new_card_number()
    payload = seal(number, 1984, KEY)
    assert len(payload) < 130 and PHONE not in payload
    assert verify_seal(payload, KEY.public_key()).number == number
    prefix, _, year, signature = payload.split(":")
    other = new_card_number()
    forgeries = [
        payload.replace(f":{year}:", ":1985:"),  # an altered year
        f"{prefix}:{other}:{year}:{signature}",  # another card's number, same signature
        seal(number, 1984, signing_key(b"\x01" * 32)),  # signed with someone else's key
        payload[:-4],  # truncated
        payload[:-1] + ("A" if payload[-1] != "A" else "B"),  # the last one: spare bits
        payload[:-20] + ("A" if payload[-20] != "A" else "B") + payload[-19:],
        "DHC2" + payload[4:], "", "not a card",
    ]
    for forged in forgeries:
        with pytest.raises(ForgedCard):
            verify_seal(forged, KEY.public_key())
    assert len(public_key_text(KEY)) == 44


def _issue_in_process(database_url: str, start, out) -> None:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    start.wait(10)
    with sessions() as session:
        issued = issue_card(session, phone=PHONE, name="Asha Devi", year_of_birth=1984,
                            via=CardIssuer.COUNTER)
        out.put((issued.card.number, issued.new))
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_racing_issues_for_one_person_make_one_card(pg_database_url):
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_issue_in_process, args=(pg_database_url, start, out))
             for _ in range(8)]
    for proc in procs:
        proc.start()
    start.set()
    results = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    assert len({number for number, _ in results}) == 1
    assert sum(new for _, new in results) == 1
    engine = make_engine(pg_database_url)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(EHealthCard)) == 1
    engine.dispose()


def test_a_family_on_one_phone_books_one_opd_day_per_person(session):
    from booking_core.appointments import AlreadyBooked, book_appointment

    dept = make_department(session, make_hospital(session))
    slot = make_slot(session, dept, starts_in=dt.timedelta(days=2), capacity=10)
    mother = _issue(session).card
    child = _issue(session, name="Ravi Kumar", year_of_birth=2015).card
    book_appointment(session, slot_id=slot.id, phone=PHONE, channel=Channel.IVR)
    book_with_card(session, card_number=mother.number, slot_id=slot.id, channel=Channel.IVR)
    book_with_card(session, card_number=child.number, slot_id=slot.id, channel=Channel.IVR)
    with pytest.raises(AlreadyBooked):
        book_with_card(session, card_number=child.number, slot_id=slot.id,
                       channel=Channel.PORTAL)
    with pytest.raises(AlreadyBooked):
        book_appointment(session, slot_id=slot.id, phone=PHONE, channel=Channel.PORTAL)
    assert session.scalar(select(func.count()).select_from(Appointment)) == 3
