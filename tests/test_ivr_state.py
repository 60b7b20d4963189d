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
