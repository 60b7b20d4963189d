"""Done when: the counter scans a booking's QR code from the camera (a QR image fed to
headless Chromium as its camera), checks the patient in, calls next until their turn,
and the hall display and the "turn is near" SMS follow."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import segno
from sqlalchemy import select
from werkzeug.serving import make_server

from booking_core.opd_day import booking_code, check_in
from booking_core.outbox import OutboxMessage
from helpline.app import create_app
from helpline.opd_jobs import booking_code_key
from tests.conftest import make_settings
from tests.fixtures_browser import ARTIFACTS, BROWSER_TIMEOUT_MS, CHROMIUM
from tests.fixtures_console import CONSOLE_PASSWORD, make_staff
from tests.opd_factories import QR_KEY, book, booking_time, opd_today

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

WIDTH, HEIGHT = 640, 480


def qr_video(text: str, path: Path, frames: int = 15) -> Path:
    """A Y4M video (what Chromium's fake camera plays, looping) of the QR code of
    ``text``, black on white with a quiet zone, in 4:2:0 grey."""
    matrix = segno.make(text, error="m").matrix
    modules = len(matrix)
    scale = (HEIGHT - 80) // modules
    left, top = (WIDTH - modules * scale) // 2, (HEIGHT - modules * scale) // 2
    luma = bytearray(b"\xeb" * (WIDTH * HEIGHT))  # white (video range)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                for y in range(top + r * scale, top + (r + 1) * scale):
                    start = y * WIDTH + left + c * scale
                    luma[start:start + scale] = b"\x10" * scale  # black
    chroma = b"\x80" * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(bytes(luma))
            out.write(chroma)
            out.write(chroma)
    return path


@pytest.fixture
def counter_server(pg_database_url):
    app = create_app(make_settings(pg_database_url))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app.extensions["helpline"]
    server.shutdown()
    app.extensions["helpline"].engine.dispose()


def test_scan_check_in_call_next_until_their_turn_display_and_sms_follow(
        counter_server, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    base, helpline = counter_server
    with helpline.session() as session:
        today = opd_today(session, capacity=10)
        slot = today.slots[0]
        make_staff(session, "counter.ravi", hospital_id=today.hospital.id, language="en")
        ahead = [book(session, slot, now=booking_time(slot)) for _ in range(3)]
        for person in ahead:
            check_in(session, person.reference, hospital_id=today.hospital.id,
                     department_id=today.department.id, key=QR_KEY)
        patient = book(session, slot, now=booking_time(slot), patient_name="Meena Devi",
                       language="en")
        department_id, patient_id, phone = today.department.id, patient.id, patient.citizen.phone
        code = booking_code(patient.reference, booking_code_key(helpline.settings))
    video = qr_video(code, tmp_path / "qr.y4m")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
        context = browser.new_context(locale="en-IN", viewport={"width": 1366, "height": 900})
        context.grant_permissions(["camera"], origin=base)
        counter = context.new_page()
        counter.set_default_timeout(BROWSER_TIMEOUT_MS)
        counter.goto(f"{base}/console/login")
        counter.fill("#username", "counter.ravi")
        counter.fill("#password", CONSOLE_PASSWORD)
        with counter.expect_navigation():
            counter.keyboard.press("Enter")
        counter.goto(f"{base}/console/opd?department={department_id}")
        counter.click("#scan-start")
        counter.wait_for_selector("p.flash:has-text('Checked in: Meena Devi, token 4.')")
        ARTIFACTS.mkdir(exist_ok=True)
        counter.screenshot(path=str(ARTIFACTS / "opd-counter.png"), full_page=True)

        hall = context.new_page()
        hall.goto(f"{base}/opd/display/{department_id}")
        assert "आज अभी तक कोई टोकन नहीं बुलाया गया" in hall.inner_text("#rooms")
        lags = []
        for expected in (1, 2, 3, 4):
            counter.select_option("#room", "2")
            counter.click("#call-next")
            pressed = time.monotonic()
            counter.wait_for_selector(
                f"p.flash:has-text('Token {expected} called to room 2.')")
            hall.wait_for_function(
                "n => [...document.querySelectorAll('[data-room=\"2\"] [data-token]')]"
                ".some(el => el.textContent.trim() === String(n))", arg=expected)
            lags.append(time.monotonic() - pressed)
            if expected == 1:  # the patient's token is three away: their SMS is written
                with helpline.session() as session:
                    near = session.scalars(select(OutboxMessage).where(
                        OutboxMessage.appointment_id == patient_id,
                        OutboxMessage.template == "opd_turn_near")).all()
                assert [(m.to_phone, m.params["token"]) for m in near] == [(phone, 4)]
                assert "your OPD turn is near" in near[0].body
        assert max(lags) < 5
        assert "कमरा 2" in hall.inner_text("#rooms") and "Room 2" in hall.inner_text("#rooms")
        hall.screenshot(path=str(ARTIFACTS / "opd-hall-display.png"), full_page=True)
        browser.close()
    with helpline.session() as session:
        sent = session.scalars(select(OutboxMessage).where(
            OutboxMessage.appointment_id == patient_id,
            OutboxMessage.template == "opd_turn_near")).all()
        assert len(sent) == 1  # once, though three more calls followed
