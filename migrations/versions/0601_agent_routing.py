"""agent routing: where agents take calls, the call ringing them, callers waiting for
routing, and the disposition of each call

Revision ID: 0601_agent_routing
Revises: 0605_opd_day
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0601_agent_routing"
down_revision = "0605_opd_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_device", sa.Enum("phone", "browser",
                                                             name="calldevice",
                                                             native_enum=False, length=8),
                                      nullable=False, server_default="phone"))
        batch_op.add_column(sa.Column("connecting_call_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.alter_column("call_device", server_default=None)
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("disposition", sa.Enum(
            "resolved", "booked", "grievance", "callback", "wrong_number", "dropped",
            name="disposition", native_enum=False, length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_call_waiting_since"), ["waiting_since"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_waiting_since"))
        batch_op.drop_column("disposition")
        batch_op.drop_column("waiting_since")
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("connecting_call_id")
        batch_op.drop_column("call_device")
