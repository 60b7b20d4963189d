"""A patient who has checked in (an attended appointment) still holds that department's
day: the one-appointment-per-patient-per-department-per-day indexes cover ``attended``
as well as ``booked``, so no channel books the same OPD twice for one day once the
patient is in the hospital (the phone line's "book again" did).

Before upgrading a database that already holds such pairs, cancel the later booking of
each (the index cannot be built over them).

Revision ID: 0611_attended_holds_the_day
Revises: 0610_callback_result
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0611_attended_holds_the_day"
down_revision = "0610_callback_result"
branch_labels = None
depends_on = None

HELD = "status IN ('booked', 'attended')"
BOOKED = "status = 'booked'"


def _indexes(held: str) -> None:
    op.drop_index("uq_appointment_one_active_per_day", table_name="appointment")
    op.drop_index("uq_appointment_card_one_active_per_day", table_name="appointment")
    without = sa.text(f"{held} AND ehealth_card_id IS NULL")
    with_card = sa.text(f"{held} AND ehealth_card_id IS NOT NULL")
    op.create_index("uq_appointment_one_active_per_day", "appointment",
                    ["citizen_id", "department_id", "visit_day"], unique=True,
                    postgresql_where=without, sqlite_where=without)
    op.create_index("uq_appointment_card_one_active_per_day", "appointment",
                    ["ehealth_card_id", "department_id", "visit_day"], unique=True,
                    postgresql_where=with_card, sqlite_where=with_card)


def upgrade() -> None:
    _indexes(HELD)


def downgrade() -> None:
    _indexes(BOOKED)
