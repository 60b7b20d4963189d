"""IVR call actions: one booking or grievance per request, however often Twilio sends it

Revision ID: 0101_call_actions
Revises: 0001_initial
Create Date: 2026-11-21 23:03:15.212070
"""

from alembic import op
import sqlalchemy as sa


revision = '0101_call_actions'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('result', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_action')),
    sa.UniqueConstraint('key', name=op.f('uq_call_action_key'))
    )
    with op.batch_alter_table('call_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_action_call_sid'), ['call_sid'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('call_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_action_call_sid'))

    op.drop_table('call_action')
