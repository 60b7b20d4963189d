"""One open callback request per number: a partial unique index on the phone of
requests still waiting, claimed or being called (``uq_callback_request_one_open``).

Numbers that already hold several open requests (each call used to add one) keep one:
the one in an agent's hands if any, else the oldest; the others are settled as failed
with the outcome ``duplicate``, so the index can be built.

Revision ID: 0609_one_open_callback
Revises: 0608_escalation_by_hand
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0609_one_open_callback"
down_revision = "0608_escalation_by_hand"
branch_labels = None
depends_on = None

OPEN = "status IN ('waiting', 'claimed', 'calling')"


def upgrade() -> None:
    op.execute(sa.text(f"""
        UPDATE callback_request SET status = 'failed', outcome = 'duplicate',
               completed_at = requested_at
        WHERE {OPEN} AND id <> (
            SELECT kept.id FROM callback_request AS kept
            WHERE kept.phone = callback_request.phone AND kept.{OPEN}
            ORDER BY CASE kept.status WHEN 'calling' THEN 0 WHEN 'claimed' THEN 1 ELSE 2 END,
                     kept.requested_at, kept.id
            LIMIT 1)
    """))
    with op.batch_alter_table("callback_request") as batch:
        batch.create_index("uq_callback_request_one_open", ["phone"], unique=True,
                           postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade() -> None:
    with op.batch_alter_table("callback_request") as batch:
        batch.drop_index("uq_callback_request_one_open")
