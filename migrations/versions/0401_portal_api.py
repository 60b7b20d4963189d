"""portal api: feed tokens and phone verification

Revision ID: 0401_portal_api
Revises: 0001_initial
Create Date: 2026-11-21
"""

from alembic import op
import sqlalchemy as sa


revision = '0401_portal_api'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feed_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=12), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'], name=op.f('fk_feed_token_hospital_id_hospital')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_token_token_hash'))
    )
    with op.batch_alter_table('feed_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_token_hospital_id'), ['hospital_id'], unique=False)

    op.create_table('phone_verification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_message.id'], name=op.f('fk_phone_verification_outbox_id_outbox_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_verification'))
    )
    with op.batch_alter_table('phone_verification', schema=None) as batch_op:
        batch_op.create_index('ix_phone_verification_phone_created', ['phone', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('phone_verification', schema=None) as batch_op:
        batch_op.drop_index('ix_phone_verification_phone_created')

    op.drop_table('phone_verification')
    with op.batch_alter_table('feed_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_token_hospital_id'))

    op.drop_table('feed_token')
