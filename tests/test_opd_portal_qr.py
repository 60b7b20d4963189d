"""The booking QR code the portal shows is the one the OPD counter scans: decoded from
the page's own image, it checks the patient in."""

from __future__ import annotations

import base64
import html
import io
import re

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from booking_core.appointments import Appointment, AppointmentStatus
from tests.fixtures_console import make_staff
from tests.opd_factories import book, booking_time, opd_today
from tests.test_opd_counter import _check_in, _flash
from tests.test_portal_pages import E164, Portal

QR_IMAGE = re.compile(r'<figure class="booking-qr" id="booking-qr">\s*<img src="data:image/png;'
                      r'base64,([^"]+)" alt="([^"]+)"')


def _decoded(page: str) -> tuple[str, str]:
    found = QR_IMAGE.search(page)
    assert found, "the appointment page shows no booking QR code"
    image = Image.open(io.BytesIO(base64.b64decode(found.group(1))))
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1 and codes[0].format == zxingcpp.BarcodeFormat.QRCode
    return codes[0].text, html.unescape(found.group(2))


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_the_portal_shows_the_qr_code_the_counter_accepts(client, console, session, lang):
    today = opd_today(session, capacity=10)
    booked = book(session, today.slots[0], phone=E164, now=booking_time(today.slots[0]),
                  patient_name="Meena")
    reference, dep = booked.reference, today.department.id
    clerk = make_staff(session, f"counter.qr.{lang}", hospital_id=today.hospital.id)
    portal = Portal(client, session)
    portal.choose(lang)
    portal.get(f"/portal/appointments/{reference}")
    portal.verify(f"/portal/appointments/{reference}")
    page = portal.get(f"/portal/appointments/{reference}")
    text, alt = _decoded(page)
    assert text.startswith("DHHB1.") and text.split(".")[1] == reference
    spaced = f"{reference[:4]} {reference[4:]}"
    assert reference in alt.replace(" ", "")
    assert re.search(r'<figcaption><span class="ref">' + spaced, page)
    hint = {"hi": "अस्पताल के ओपीडी काउंटर पर यह क्यूआर कोड दिखाएँ",
            "en": "Show this QR code at the hospital's OPD counter"}[lang]
    assert hint in portal.text()
    session.close()
    console.login(clerk.username)
    assert _flash(_check_in(console, dep, text)) == "Checked in: Meena, token 1."
    assert session.scalar(select(Appointment.status).where(
        Appointment.reference == reference)) == AppointmentStatus.ATTENDED
    session.close()
    # Once the patient is checked in, the page no longer offers the code.
    assert 'id="booking-qr"' not in portal.get(f"/portal/appointments/{reference}")
