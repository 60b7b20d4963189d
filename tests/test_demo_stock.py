"""The demo's medicine stock looks like a real week: most items in stock at every
hospital, a few running low, now and then one out. Lok Nayak, the first hospital a
newcomer opens, had every medicine out of stock."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

import helpline.demo_data as demo
from booking_core.hospitals import Hospital
from booking_core.resources import MedicineStock


def test_each_hospital_has_most_medicines_in_stock_and_the_demo_shows_shortages(session):
    demo.load_demo_data(session, weeks=1)
    rows = session.execute(select(Hospital.code, MedicineStock.quantity,
                                  MedicineStock.reorder_level)
                           .join(MedicineStock, MedicineStock.hospital_id == Hospital.id)).all()
    session.rollback()
    assert {code for code, *_ in rows} == {h[0] for h in demo.HOSPITALS}
    out, low, stocked = Counter(), Counter(), Counter()
    for code, quantity, reorder_level in rows:
        if quantity == 0:
            out[code] += 1
        elif quantity <= reorder_level:  # at or below the reorder level is "low"
            low[code] += 1
        else:
            stocked[code] += 1
    for code, *_ in demo.HOSPITALS:
        assert out[code] <= 1 and low[code] <= 1, code
        assert stocked[code] >= len(demo.MEDICINES) - 2, code
    assert out["LNH"] == 0
    # The console's shortages column has both kinds to show.
    assert sum(out.values()) >= 2 and sum(low.values()) >= 5
