"""master data: hospital ownership and active flag, counter seats per OPD session,
Hindi holiday names, and the audit trail

Revision ID: 0602_master_data
Revises: 0500_merge_features
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0602_master_data'
down_revision = '0500_merge_features'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_key', sa.String(length=40), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.Enum('created', 'updated', 'deleted', name='auditaction', native_enum=False, length=8), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_entity', ['entity', 'entity_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_hospital_id'), ['hospital_id'], unique=False)

    with op.batch_alter_table('hospital', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ownership', sa.Enum('government', 'private', name='ownership', native_enum=False, length=12), server_default='government', nullable=False))
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('opd_schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counter_seats', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('public_holiday', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_hi', sa.String(length=80), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('public_holiday', schema=None) as batch_op:
        batch_op.drop_column('name_hi')

    with op.batch_alter_table('opd_schedule', schema=None) as batch_op:
        batch_op.drop_column('counter_seats')

    with op.batch_alter_table('hospital', schema=None) as batch_op:
        batch_op.drop_column('active')
        batch_op.drop_column('ownership')

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_hospital_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))
        batch_op.drop_index('ix_audit_entry_entity')

    op.drop_table('audit_entry')
