"""An index on an agent's calls (the desk, the screen pop and wrap-up read them every
second or two; without it each read scanned the whole call log)

Revision ID: 0606_call_agent_index
Revises: 0604_ehealth_card
Create Date: 2026-12-01
"""

from alembic import op

revision = "0606_call_agent_index"
down_revision = "0604_ehealth_card"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_call_agent_ended", "call", ["agent_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_call_agent_ended", table_name="call")
