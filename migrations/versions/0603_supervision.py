"""supervision: escalation notifications; failed messages handled or resent

Revision ID: 0603_supervision
Revises: 0500_merge_features
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0603_supervision'
down_revision = '0602_master_data'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('grievance_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['grievance_id'], ['grievance.id'], name=op.f('fk_staff_notification_grievance_id_grievance')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_staff_notification_staff_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_notification')),
    sa.UniqueConstraint('staff_id', 'kind', 'grievance_id', name=op.f('uq_staff_notification_staff_id_kind_grievance_id'))
    )
    with op.batch_alter_table('staff_notification', schema=None) as batch_op:
        batch_op.create_index('ix_staff_notification_unseen', ['staff_id', 'seen_at'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('handled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resent_as_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_handled_by_id_staff_user'), 'staff_user', ['handled_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_resent_as_id_outbox_message'), 'outbox_message', ['resent_as_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_resent_as_id_outbox_message'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_handled_by_id_staff_user'), type_='foreignkey')
        batch_op.drop_column('resent_as_id')
        batch_op.drop_column('handled_by_id')
        batch_op.drop_column('handled_at')

    with op.batch_alter_table('staff_notification', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_notification_unseen')

    op.drop_table('staff_notification')
