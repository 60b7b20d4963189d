"""Who may do what to a grievance: decided here, once, for every adapter.

A hospital's own staff (an account attached to a hospital that is not an admin:
``StaffUser.grievance_hospital``) see and act on that hospital's grievances only, and
nothing else exists for them: the queues, search and caller history filter by the same
rule (``grievances.queues``, ``contact_centre.search``). Otherwise any signed-in
console user may see a grievance and claim an unassigned one, add a
note (a colleague may know something) or escalate it to the supervisors with a reason
(whoever has the citizen threatening harm on the phone must not wait for the assignee).
Working it (replies, transfers, resolving, closing) belongs to its assignee, or to
anyone while it is unassigned; supervisors and admins may work any grievance and assign
it to someone.
"""

from __future__ import annotations

from contact_centre.models import Role, StaffUser
from grievances.models import Grievance

SUPERVISING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Actions anyone signed in may take, whoever holds the grievance.
OPEN_TO_ALL = frozenset({"claim", "note", "escalate"})
SUPERVISOR_ONLY = frozenset({"assign"})


def may_see(staff: StaffUser, grievance: Grievance) -> bool:
    scope = staff.grievance_hospital
    return staff.active and (scope is None or grievance.hospital_id == scope)


def may_work(staff: StaffUser, grievance: Grievance) -> bool:
    return staff.role in SUPERVISING_ROLES or grievance.assigned_to_id in (None, staff.id)


def may_take(staff: StaffUser, grievance: Grievance, action: str) -> bool:
    """Whether ``staff`` may take ``action`` (a console action name) on ``grievance``."""
    if not may_see(staff, grievance):
        return False
    if action in SUPERVISOR_ONLY:
        return staff.role in SUPERVISING_ROLES
    return action in OPEN_TO_ALL or may_work(staff, grievance)
