"""``flask`` commands: migrate, load demo data, manage console users, make slots."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import Flask

from booking_core.base import DomainError, unit_of_work, utcnow
from booking_core.hospitals import get_hospital
from booking_core.slots import generate_slots
from contact_centre.accounts import create_staff_user
from helpline.settings import per_database


def demo_logins_file(database_url: str) -> Path:
    """Where the demo accounts' passwords for ``database_url`` are kept: each database
    has its own accounts, so its own file (``instance/demo-logins.json`` for the
    embedded default, ``demo-logins-<digest of the URL>.json`` for any other)."""
    return per_database("demo-logins", database_url, ".json")


def register_cli(app: Flask) -> None:
    from helpline.cards import register_card_cli

    helpline = app.extensions["helpline"]
    register_card_cli(app, helpline.settings)

    @app.cli.command("voice-fallback")
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                  help="write to this file instead of standard output")
    def voice_fallback(output: Path | None) -> None:
        """Print the static TwiML for the Twilio number's Voice Fallback URL."""
        from ivr.fallback import fallback_twiml

        document = fallback_twiml(helpline.settings)
        if output is None:
            click.echo(document, nl=False)
        else:
            output.write_text(document, encoding="utf-8")

    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Apply every Alembic migration to DATABASE_URL."""
        from helpline.migrate import upgrade

        upgrade(helpline.settings.database_url)
        click.echo("database is up to date")

    @app.cli.command("load-demo-data")
    @click.option("--weeks", default=5, show_default=True, help="weeks of OPD slots")
    def load_demo(weeks: int) -> None:
        """Load Delhi hospitals, OPDs, slots, beds and demo accounts (idempotent)."""
        from helpline.demo_data import load_demo_data

        with helpline.session() as session:
            added = load_demo_data(session, tz=helpline.settings.helpline_timezone,
                                   weeks=weeks,
                                   logins_file=demo_logins_file(helpline.settings.database_url))
        click.echo("demo data: " + ", ".join(f"{k} +{v}" for k, v in added.items()))

    @app.cli.command("print-demo-logins")
    def print_demo_logins() -> None:
        """Show the demo console accounts' passwords."""
        logins_file = demo_logins_file(helpline.settings.database_url)
        if not logins_file.exists():
            click.echo("no demo logins recorded (accounts were made elsewhere)")
            return
        logins = json.loads(logins_file.read_text())
        click.echo("Console: " + helpline.settings.public_base_url + "/console/")
        for username, password in logins.items():
            click.echo(f"  {username:18} {password}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(["agent", "supervisor", "admin"]),
                  default="agent", show_default=True)
    @click.option("--name", default=None, help="display name")
    @click.option("--language", type=click.Choice(["hi", "en"]), default="en")
    @click.option("--phone", default=None, help="the agent's phone, for callbacks")
    @click.option("--hospital", default=None,
                  help="a hospital's code (e.g. LNH): the account is that hospital's staff")
    @click.password_option()
    def create_user(username: str, role: str, name: str | None, language: str,
                    phone: str | None, hospital: str | None, password: str) -> None:
        """Create a console account (the helpline's own, or with --hospital a
        hospital's staff: README, "Who sees what")."""
        with helpline.session() as session:
            try:
                hospital_id = get_hospital(session, hospital).id if hospital else None
                user = create_staff_user(session, username=username, password=password,
                                         role=role, display_name=name, language=language,
                                         phone=phone, hospital_id=hospital_id)
            except DomainError as exc:
                raise click.ClickException(str(exc)) from exc
            at = f" at {hospital.upper()}" if hospital else ""
            click.echo(f"created {user.role.value} {user.username}{at}")

    @app.cli.command("generate-slots")
    @click.option("--days", default=35, show_default=True)
    def generate(days: int) -> None:
        """Create OPD slots from the weekly schedules (run daily; idempotent)."""
        today = utcnow().astimezone(ZoneInfo(helpline.settings.helpline_timezone)).date()
        with helpline.session() as session, unit_of_work(session):
            added = generate_slots(session, today, days, helpline.settings.helpline_timezone)
        click.echo(f"{added} slots added from {today} for {days} days")
