"""Page weights of the citizens' portal: what a phone downloads for each page.

Each page is fetched in-process (the Flask test client) on the demo data in Hindi and
English, with a verified mobile holding one appointment. Weight = the HTML plus every
file it links (one stylesheet, no scripts, no fonts, no images), raw and gzip-compressed
(level 6, what nginx's ``gzip on`` sends). The budget is 100 KB a page, counted raw so it
holds even where nothing compresses. ``python -m bench.portal_weights``; exits 1 if a
page is over.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUDGET_BYTES = 100_000
_LINKED = re.compile(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="([^"]+)"')


@dataclass(frozen=True)
class Weight:
    path: str
    lang: str
    html: int
    html_gzip: int
    linked: int
    linked_gzip: int

    @property
    def total(self) -> int:
        return self.html + self.linked

    @property
    def total_gzip(self) -> int:
        return self.html_gzip + self.linked_gzip


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def page_weight(client: Any, path: str, lang: str) -> Weight:
    """Fetch ``path`` in ``lang`` and every file it links, as a first visit would."""
    client.get(f"/portal/lang/{lang}")
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    body = page.get_data()
    linked = [client.get(url).get_data() for url in _LINKED.findall(body.decode())]
    return Weight(path, lang, len(body), _gz(body), sum(map(len, linked)),
                  sum(_gz(b) for b in linked))


def portal_paths(hospital_id: int, department_id: int, slot_id: int, reference: str,
                 day: dt.date) -> list[str]:
    return [
        "/portal/", "/portal/hospitals", "/portal/hospitals?q=hospital",
        f"/portal/hospitals/{hospital_id}", "/portal/book", f"/portal/book/{hospital_id}",
        f"/portal/book/{hospital_id}/{department_id}",
        f"/portal/book/{hospital_id}/{department_id}?day={day.isoformat()}",
        f"/portal/book/review?slot={slot_id}", "/portal/appointments",
        f"/portal/appointments/{reference}", f"/portal/appointments/{reference}/reschedule",
        "/portal/grievances/new", "/portal/grievances/status",
    ]


def main() -> int:
    from sqlalchemy import func, select

    from bench.support import machine
    from booking_core.appointments import Channel, book_appointment
    from booking_core.hospitals import Department, Hospital
    from booking_core.resources import BedCount
    from booking_core.slots import Slot
    from helpline.app import create_app
    from helpline.demo_data import load_demo_data
    from helpline.migrate import upgrade
    from helpline.settings import Settings
    from portal_api.auth import issue_verification_token

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'weights.sqlite3'}"
        upgrade(url)
        app = create_app(Settings(database_url=url, secret_key="bench-portal-weights",
                                  spool_dir=str(Path(scratch) / "spool"), log_level="WARNING"))
        helpline = app.extensions["helpline"]
        with helpline.session() as session:
            load_demo_data(session)
            # The hospital with the most beds reported, and its busiest OPD day.
            hospital_id = session.scalar(select(BedCount.hospital_id).group_by(
                BedCount.hospital_id).order_by(func.count().desc()).limit(1))
            department = session.scalar(select(Department).where(
                Department.hospital_id == hospital_id).order_by(Department.position))
            now = dt.datetime.now(dt.UTC)
            slots = list(session.scalars(select(Slot).where(
                Slot.department_id == department.id, Slot.starts_at > now + dt.timedelta(
                    hours=2)).order_by(Slot.starts_at).limit(2)))
            held = book_appointment(session, slot_id=slots[0].id, phone="+919812345678",
                                    channel=Channel.PORTAL, language="hi")
            paths = portal_paths(hospital_id, department.id, slots[1].id, held.reference,
                                 slots[1].local_day)
            hospitals = session.scalar(select(func.count()).select_from(Hospital))
        client = app.test_client()
        client.set_cookie("portal_mobile", issue_verification_token(
            app.config["SECRET_KEY"], "+919812345678"), path="/portal")
        weights = [page_weight(client, path, lang) for path in paths for lang in ("hi", "en")]
        helpline.engine.dispose()
    print(f"machine: {machine()}; demo data: {hospitals} hospitals")
    print("| page | lang | HTML | HTML gzip | + CSS | total | total gzip |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for w in weights:
        print(f"| `{w.path}` | {w.lang} | {w.html:,} | {w.html_gzip:,} | {w.linked:,} | "
              f"{w.total:,} | {w.total_gzip:,} |")
    heaviest = max(weights, key=lambda w: w.total)
    print(f"heaviest: {heaviest.path} ({heaviest.lang}) {heaviest.total:,} bytes, "
          f"budget {BUDGET_BYTES:,}")
    return 0 if heaviest.total < BUDGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
