"""Admins: console accounts and grievance routing (desk, priority, SLA per category)."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for
from flask import session as browser_session
from sqlalchemy import select

from agent_console import bp
from agent_console.auth import field_refusals, flash_done, flash_error, roles
from agent_console.i18n import current_language
from agent_console.views_grievances import _chosen_id, _int
from booking_core.base import DomainError, InvalidInput, unit_of_work
from booking_core.hospitals import in_name_order, list_hospitals
from booking_core.phones import mask_phone
from contact_centre.accounts import create_staff_user, update_staff_user
from contact_centre.models import Role, StaffUser
from grievances.models import GrievanceCategory, GrievanceRoute
from grievances.sla import DEFAULT_ROUTES, DESKS
from helpline.app import get_session

# A refused form comes back as typed after the redirect: kept in the signed session
# cookie (never the URL) and shown once. Never the password, which a browser form does
# not echo back; the page says so beside the emptied field. Each value is bounded only so
# that a pasted page cannot overflow the cookie.
TYPED_USER = "typed_user_form"
TYPED_ROUTES = "typed_routes_form"
TYPED_KEPT = 200
ROUTE_KEPT = 20  # the routing table holds desk names and small numbers
USER_FIELDS = ("username", "display_name", "role", "language", "phone", "hospital", "active")
# The account forms' fields, top to bottom (a new account's form, and an account's row,
# whose new password comes last too): their refusals are said in this order.
USER_FORM_ORDER = (*USER_FIELDS, "password")


def _refuse_user_form(which: str, exc: DomainError) -> None:
    """Every refusal said at once, each under its field in the field's own words, and the
    form kept as typed (a refused account's row, or the new account's form)."""
    refused = field_refusals(exc, USER_FORM_ORDER)
    form = request.form
    typed: dict[str, Any] = {name: form.get(name, "")[:TYPED_KEPT] for name in USER_FIELDS}
    typed["form"] = which
    typed["refused"] = refused
    typed["password_cleared"] = "1" if form.get("password") else ""
    browser_session[TYPED_USER] = typed


@bp.get("/admin/users")
@roles(Role.ADMIN)
def users() -> Any:
    session = get_session()
    return render_template(
        "console/admin_users.html",
        users=session.scalars(select(StaffUser).order_by(StaffUser.username)).all(),
        hospitals=in_name_order(list_hospitals(session), current_language(), short=True),
        roles=list(Role), mask_phone=mask_phone,
        typed=browser_session.pop(TYPED_USER, None) or {})


@bp.post("/admin/users")
@roles(Role.ADMIN)
def create_user() -> Any:
    """A new account. Its language is required: the form always sends its list, so a
    language left out or not the helpline's is a forged form, refused with the rest
    (``create_staff_user``), never taken as English."""
    form = request.form
    try:
        create_staff_user(get_session(), username=form.get("username", ""),
                          password=form.get("password", ""), role=form.get("role", ""),
                          display_name=form.get("display_name") or None,
                          language=form.get("language", ""), phone=form.get("phone"),
                          hospital_id=_chosen_id(form.get("hospital")))
    except DomainError as exc:
        _refuse_user_form("new", exc)
    else:
        flash_done("console.done_user_created")
    return redirect(url_for("console.users"))


@bp.post("/admin/users/<int:user_id>")
@roles(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    """An account's row saved. Its language is required as a new account's is
    (``update_staff_user`` refuses one left out or not the helpline's, and saves
    nothing): the row always sends its list."""
    form = request.form
    try:
        update_staff_user(get_session(), user_id, role=form.get("role", ""),
                          display_name=form.get("display_name", ""),
                          language=form.get("language", ""), phone=form.get("phone") or None,
                          hospital_id=_chosen_id(form.get("hospital")),
                          active=form.get("active") == "1",
                          password=form.get("password") or None, acting_user_id=g.staff.id)
    except DomainError as exc:
        _refuse_user_form(f"user-{user_id}", exc)
    else:
        flash_done("console.done_user_saved")
    return redirect(url_for("console.users"))


ROUTE_FIELDS = ("desk", "priority", "ack", "resolve")


@bp.route("/admin/routes", methods=["GET", "POST"])
@roles(Role.ADMIN)
def routes() -> Any:
    session = get_session()
    if request.method == "POST":
        try:
            with unit_of_work(session):
                for category in GrievanceCategory:
                    desk = request.form.get(f"{category}_desk", "")
                    numbers = [_int(request.form.get(f"{category}_{name}")) for name in
                               ("priority", "ack", "resolve")]
                    if desk not in DESKS or any(n is None for n in numbers):
                        raise InvalidInput("check the routing table")
                    priority, ack, resolve = (int(n or 0) for n in numbers)
                    if not (1 <= priority <= 3 and 0 <= ack <= 30 and 1 <= resolve <= 90):
                        raise InvalidInput("check the routing table")
                    row = session.get(GrievanceRoute, category) or GrievanceRoute(
                        category=category)
                    row.desk, row.priority = desk, priority
                    row.acknowledge_working_days, row.resolve_days = ack, resolve
                    session.add(row)
        except DomainError as exc:
            flash_error(exc)
            # The table comes back as typed (see ``TYPED_USER``).
            browser_session[TYPED_ROUTES] = {
                f"{category}_{name}": request.form.get(f"{category}_{name}", "")[:ROUTE_KEPT]
                for category in GrievanceCategory for name in ROUTE_FIELDS}
        else:
            flash_done("console.done_routes")
        return redirect(url_for("console.routes"))
    typed = browser_session.pop(TYPED_ROUTES, None)
    saved = {r.category: r for r in session.scalars(select(GrievanceRoute))}
    table: list[tuple[Any, ...]] = []
    for category in GrievanceCategory:
        if typed:
            table.append((category, *(typed.get(f"{category}_{name}", "")
                                      for name in ROUTE_FIELDS)))
            continue
        row = saved.get(category)
        default = DEFAULT_ROUTES[category]
        table.append((category, row.desk if row else default.desk,
                      row.priority if row else default.priority,
                      row.acknowledge_working_days if row else default.acknowledge_working_days,
                      row.resolve_days if row else default.resolve_days))
    return render_template("console/admin_routes.html", table=table, desks=DESKS)
