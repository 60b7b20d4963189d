"""eHealth cards, and the appointment's link to the card it was booked with

Revision ID: 0604_ehealth_card
Revises: 0601_agent_routing
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0604_ehealth_card'
down_revision = '0601_agent_routing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ehealth_card',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=11), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('year_of_birth', sa.Integer(), nullable=False),
    sa.Column('sex', sa.Enum('female', 'male', 'other', name='sex', native_enum=False, length=8), nullable=True),
    sa.Column('abha_number', sa.String(length=14), nullable=True),
    sa.Column('issued_via', sa.Enum('portal', 'agent', 'counter', name='cardissuer', native_enum=False, length=8), nullable=False),
    sa.Column('issued_by', sa.String(length=80), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], name=op.f('fk_ehealth_card_citizen_id_citizen')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ehealth_card')),
    sa.UniqueConstraint('abha_number', name=op.f('uq_ehealth_card_abha_number')),
    sa.UniqueConstraint('citizen_id', 'name_key', 'year_of_birth', name='uq_ehealth_card_person'),
    sa.UniqueConstraint('number', name=op.f('uq_ehealth_card_number'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ehealth_card_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_appointment_ehealth_card_id'), ['ehealth_card_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_appointment_ehealth_card_id_ehealth_card'), 'ehealth_card', ['ehealth_card_id'], ['id'])
    # One active appointment per department per day: per mobile without a card, per
    # card with one (a family shares a phone).
    op.drop_index('uq_appointment_one_active_per_day', table_name='appointment')
    op.create_index('uq_appointment_one_active_per_day', 'appointment',
                    ['citizen_id', 'department_id', 'visit_day'], unique=True,
                    postgresql_where=sa.text("status = 'booked' AND ehealth_card_id IS NULL"),
                    sqlite_where=sa.text("status = 'booked' AND ehealth_card_id IS NULL"))
    op.create_index('uq_appointment_card_one_active_per_day', 'appointment',
                    ['ehealth_card_id', 'department_id', 'visit_day'], unique=True,
                    postgresql_where=sa.text("status = 'booked' AND ehealth_card_id IS NOT NULL"),
                    sqlite_where=sa.text("status = 'booked' AND ehealth_card_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index('uq_appointment_card_one_active_per_day', table_name='appointment')
    op.drop_index('uq_appointment_one_active_per_day', table_name='appointment')
    op.create_index('uq_appointment_one_active_per_day', 'appointment',
                    ['citizen_id', 'department_id', 'visit_day'], unique=True,
                    postgresql_where=sa.text("status = 'booked'"),
                    sqlite_where=sa.text("status = 'booked'"))
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointment_ehealth_card_id_ehealth_card'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appointment_ehealth_card_id'))
        batch_op.drop_column('ehealth_card_id')

    op.drop_table('ehealth_card')
