"""Join the IVR, grievance workflow, messaging and portal API branches into one head.

Revision ID: 0500_merge_features
Revises: 0101_call_actions, 0201_grievance_workflow, 0301_inbound_sms, 0401_portal_api
"""

revision = "0500_merge_features"
down_revision = (
    "0101_call_actions",
    "0201_grievance_workflow",
    "0301_inbound_sms",
    "0401_portal_api",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
