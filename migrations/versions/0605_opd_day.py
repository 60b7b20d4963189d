"""The OPD day: sessions, rooms, the checked-in queue, and each day's waiting list.

Revision ID: 0605_opd_day
Revises: 0603_supervision
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = "0605_opd_day"
down_revision = "0603_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opd_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("front_token", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("first_call_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_call_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("walk_ins", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"],
                                name=op.f("fk_opd_session_department_id_department")),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospital.id"],
                                name=op.f("fk_opd_session_hospital_id_hospital")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opd_session")),
        sa.UniqueConstraint("department_id", "local_day",
                            name=op.f("uq_opd_session_department_id_local_day")),
    )
    op.create_table(
        "opd_room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("room", sa.Integer(), nullable=False),
        sa.Column("serving_token", sa.Integer(), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["opd_session.id"],
                                name=op.f("fk_opd_room_session_id_opd_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opd_room")),
        sa.UniqueConstraint("session_id", "room", name=op.f("uq_opd_room_session_id_room")),
    )
    op.create_table(
        "opd_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.Enum("waiting", "called", "skipped", name="visitstate",
                                   native_enum=False, length=10), nullable=False),
        sa.Column("room", sa.Integer(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"],
                                name=op.f("fk_opd_visit_appointment_id_appointment")),
        sa.ForeignKeyConstraint(["session_id"], ["opd_session.id"],
                                name=op.f("fk_opd_visit_session_id_opd_session")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opd_visit")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_opd_visit_appointment_id")),
        sa.UniqueConstraint("session_id", "token", name=op.f("uq_opd_visit_session_id_token")),
    )
    with op.batch_alter_table("opd_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opd_visit_session_id"), ["session_id"],
                              unique=False)

    op.create_table(
        "waiting_list_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hospital_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.Enum("waiting", "offered", "booked", "declined", "lapsed",
                                    name="waitstatus", native_enum=False, length=10),
                  nullable=False),
        sa.Column("hold_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered_slot_id", sa.Integer(), nullable=True),
        sa.Column("offered_token", sa.Integer(), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"],
                                name=op.f("fk_waiting_list_entry_appointment_id_appointment")),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"],
                                name=op.f("fk_waiting_list_entry_department_id_department")),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospital.id"],
                                name=op.f("fk_waiting_list_entry_hospital_id_hospital")),
        sa.ForeignKeyConstraint(["offered_slot_id"], ["slot.id"],
                                name=op.f("fk_waiting_list_entry_offered_slot_id_slot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiting_list_entry")),
    )
    active = sa.text("status IN ('waiting', 'offered')")
    with op.batch_alter_table("waiting_list_entry", schema=None) as batch_op:
        batch_op.create_index("ix_waiting_list_entry_queue",
                              ["department_id", "local_day", "status", "id"], unique=False)
        batch_op.create_index("uq_waiting_list_entry_one_active",
                              ["phone", "department_id", "local_day"], unique=True,
                              postgresql_where=active, sqlite_where=active)


def downgrade() -> None:
    with op.batch_alter_table("waiting_list_entry", schema=None) as batch_op:
        batch_op.drop_index("uq_waiting_list_entry_one_active")
        batch_op.drop_index("ix_waiting_list_entry_queue")
    op.drop_table("waiting_list_entry")
    with op.batch_alter_table("opd_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opd_visit_session_id"))
    op.drop_table("opd_visit")
    op.drop_table("opd_room")
    op.drop_table("opd_session")
