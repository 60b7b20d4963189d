"""The call's state, typed per flow, as it goes into and comes out of a signed URL."""

from __future__ import annotations

from dataclasses import replace

from ivr.state import Agent, Booking, Choosing, Complaint


def test_each_flow_reads_its_own_keys_typed_and_ignores_junk():
    raw = {"l": "hi", "h": 3, "dp": "7", "sl": True, "pm": "+919812345678", "ds": ["2030-01-01"],
           "f": "griev", "g": "cleanliness", "fault": 1}
    booking = Booking.read(raw)
    assert booking.hospital == 3 and booking.patient_mobile == "+919812345678"
    assert booking.department is None and booking.slot is None  # wrong types: absent
    assert booking.offered_days == ["2030-01-01"]
    assert Complaint.read(raw) == Complaint(category="cleanliness", hospital=3,
                                            mobile="+919812345678")
    assert Choosing.read(raw).purpose == "griev" and Choosing.read({}).purpose == "book"
    assert Agent.read(raw).fault is False and Agent.read({"fault": True}).fault is True


def test_written_back_under_short_keys_without_defaults():
    booking = Booking(hospital=3, department=7, more_days=False)
    assert booking.wire() == {"h": 3, "dp": 7}
    assert replace(booking, more_days=True).wire() == {"h": 3, "dp": 7, "dm": True}
    assert Choosing(purpose="book", page=0).wire() == {}
    assert Booking.read(booking.wire()) == booking


def test_a_field_of_two_types_takes_either_and_a_list_field_only_a_list():
    # Choosing.candidate is "int | str | None": a hospital id or a district name.
    assert Choosing.read({"k": 4}).candidate == 4
    assert Choosing.read({"k": "north"}).candidate == "north"
    assert Choosing.read({"k": True}).candidate is None  # JSON true is no id
    # Booking.offered_slots is "list[int] | None": a lone number is not a list.
    assert Booking.read({"so": 5}).offered_slots is None
    assert Booking.read({"so": [5, 6]}).offered_slots == [5, 6]
    assert Booking.read({"dm": 1}).more_days is False  # a bool field takes no 1
