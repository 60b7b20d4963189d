"""grievance workflow: routing table, holidays, SLA, assignment and feedback columns

Revision ID: 0201_grievance_workflow
Revises: 0001_initial
Create Date: 2026-11-21 23:02:05.099691
"""

from alembic import op
import sqlalchemy as sa


revision = '0201_grievance_workflow'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('grievance_route',
    sa.Column('category', sa.Enum('staff_behaviour', 'medicines_unavailable', 'cleanliness', 'appointment_opd', 'other', name='grievancecategory', native_enum=False, length=32), nullable=False),
    sa.Column('desk', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('acknowledge_working_days', sa.Integer(), nullable=False),
    sa.Column('resolve_days', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category', name=op.f('pk_grievance_route'))
    )
    op.create_table('public_holiday',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_public_holiday'))
    )
    with op.batch_alter_table('grievance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('desk', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('acknowledge_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolve_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assigned_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('appeal_opened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('transfer_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('interim_reply_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('feedback_solved', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('feedback_rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('feedback_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_grievance_open_assignee_due', ['assigned_to_id', 'resolve_due_at'], unique=False, postgresql_where=sa.text("status NOT IN ('resolved', 'closed')"), sqlite_where=sa.text("status NOT IN ('resolved', 'closed')"))
        batch_op.create_index('ix_grievance_open_due', ['resolve_due_at', 'id'], unique=False, postgresql_where=sa.text("status NOT IN ('resolved', 'closed')"), sqlite_where=sa.text("status NOT IN ('resolved', 'closed')"))
        batch_op.create_foreign_key(batch_op.f('fk_grievance_assigned_to_id_staff_user'), 'staff_user', ['assigned_to_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('grievance', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_grievance_assigned_to_id_staff_user'), type_='foreignkey')
        batch_op.drop_index('ix_grievance_open_due', postgresql_where=sa.text("status NOT IN ('resolved', 'closed')"), sqlite_where=sa.text("status NOT IN ('resolved', 'closed')"))
        batch_op.drop_index('ix_grievance_open_assignee_due', postgresql_where=sa.text("status NOT IN ('resolved', 'closed')"), sqlite_where=sa.text("status NOT IN ('resolved', 'closed')"))
        batch_op.drop_column('feedback_at')
        batch_op.drop_column('feedback_rating')
        batch_op.drop_column('feedback_solved')
        batch_op.drop_column('interim_reply_at')
        batch_op.drop_column('transfer_count')
        batch_op.drop_column('appeal_opened_at')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('escalation_level')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('assigned_to_id')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('resolve_due_at')
        batch_op.drop_column('acknowledge_due_at')
        batch_op.drop_column('priority')
        batch_op.drop_column('desk')

    op.drop_table('public_holiday')
    op.drop_table('grievance_route')
