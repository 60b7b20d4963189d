"""``flask`` commands for hospital feed tokens."""

from __future__ import annotations

import click
from flask import Flask

from booking_core.base import DomainError
from booking_core.feed_tokens import issue_feed_token, list_feed_tokens, revoke_feed_token


def register_cli(app: Flask) -> None:
    helpline = app.extensions["helpline"]

    @app.cli.command("issue-feed-token")
    @click.argument("hospital")
    @click.option("--label", default="", help="whose system uses it, e.g. 'LNH HIS'")
    def issue(hospital: str, label: str) -> None:
        """Issue a resource-feed token for HOSPITAL (code or id). Shown once."""
        key: int | str = int(hospital) if hospital.isdigit() else hospital
        with helpline.session() as session:
            try:
                row, token = issue_feed_token(session, key, label)
            except DomainError as exc:
                raise click.ClickException(str(exc)) from exc
            code = row.hospital.code
        click.echo(f"token {row.id} for {code} (store it now; it is not shown again):")
        click.echo(token)

    @app.cli.command("list-feed-tokens")
    def list_tokens() -> None:
        """Feed tokens: id, hospital, hint, label, revoked."""
        with helpline.session() as session:
            for row in list_feed_tokens(session):
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
                click.echo(f"{row.id:4} {row.hospital.code:8} {row.hint}… {state} {row.label}")

    @app.cli.command("revoke-feed-token")
    @click.argument("token_id", type=int)
    def revoke(token_id: int) -> None:
        """Revoke feed token TOKEN_ID (see list-feed-tokens)."""
        with helpline.session() as session:
            try:
                revoke_feed_token(session, token_id)
            except DomainError as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(f"token {token_id} revoked")
