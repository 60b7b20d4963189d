"""A callback's saved result: who saved it and when (``result_by_id``, ``result_at``),
and how many results agents have saved on it (``result_version``), which a result form
carries so that one drawn before a later save is refused instead of overwriting it.

Requests settled before this revision keep their outcome and notes, with no saved
result recorded (``result_version`` 0).

Revision ID: 0610_callback_result
Revises: 0609_one_open_callback
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0610_callback_result"
down_revision = "0609_one_open_callback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callback_request") as batch:
        batch.add_column(sa.Column("result_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("result_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("result_version", sa.Integer(), server_default="0",
                                   nullable=False))
        batch.create_foreign_key(batch.f("fk_callback_request_result_by_id_staff_user"),
                                 "staff_user", ["result_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("callback_request") as batch:
        batch.drop_constraint(batch.f("fk_callback_request_result_by_id_staff_user"),
                              type_="foreignkey")
        batch.drop_column("result_version")
        batch.drop_column("result_at")
        batch.drop_column("result_by_id")
