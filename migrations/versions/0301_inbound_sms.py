"""Incoming SMS already acted on (idempotent replies by MessageSid).

Revision ID: 0301_inbound_sms
Revises: 0001_initial
Create Date: 2026-11-21 23:11:58.025954
"""

from alembic import op
import sqlalchemy as sa


revision = '0301_inbound_sms'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_sms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('from_phone', sa.String(length=20), nullable=False),
    sa.Column('command', sa.String(length=16), nullable=False),
    sa.Column('reply_outbox_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_sms')),
    sa.UniqueConstraint('message_sid', name=op.f('uq_inbound_sms_message_sid'))
    )
    with op.batch_alter_table('inbound_sms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_sms_from_phone'), ['from_phone'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inbound_sms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_sms_from_phone'))

    op.drop_table('inbound_sms')
