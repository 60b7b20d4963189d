"""The state an agent asked for during a call, applied when the call and its wrap-up
end (``StaffUser.state_after_call``)

Revision ID: 0607_agent_state_after_call
Revises: 0606_call_agent_index
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0607_agent_state_after_call"
down_revision = "0606_call_agent_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("state_after_call", sa.Enum(
            "offline", "available", "on_call", "wrap_up", "break", name="agentstate",
            native_enum=False, length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("state_after_call")
