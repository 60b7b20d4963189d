"""When a call last rang an agent unanswered (``staff_user.missed_call_at``): routing then
puts them on a break, and their desk says why while that break lasts.

Revision ID: 0612_agent_missed_call
Revises: 0611_attended_holds_the_day
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0612_agent_missed_call"
down_revision = "0611_attended_holds_the_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.add_column(sa.Column("missed_call_at", sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.drop_column("missed_call_at")
