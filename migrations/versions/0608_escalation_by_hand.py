"""An escalation raised by hand: who raised it and why, on the supervisors'
notifications (``StaffNotification.raised_by_id``, ``reason_text``)

Revision ID: 0608_escalation_by_hand
Revises: 0607_agent_state_after_call
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0608_escalation_by_hand"
down_revision = "0607_agent_state_after_call"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_notification") as batch:
        batch.add_column(sa.Column("raised_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reason_text", sa.Text(), nullable=True))
        batch.create_foreign_key(batch.f("fk_staff_notification_raised_by_id_staff_user"),
                                 "staff_user", ["raised_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("staff_notification") as batch:
        batch.drop_constraint(batch.f("fk_staff_notification_raised_by_id_staff_user"),
                              type_="foreignkey")
        batch.drop_column("reason_text")
        batch.drop_column("raised_by_id")
