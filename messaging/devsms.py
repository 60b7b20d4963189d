"""A mobile on the developer's desk: ``flask dev-sms`` texts the helpline the way Twilio
delivers an SMS (a signed ``POST /sms/inbound``) and prints the texts the helpline
queued in answer (the reply, or the cancellation SMS that answers CANCEL, to whichever
number it goes), as the demo inbox of the console shows them.

    flask dev-sms --from +919812345678 STATUS 45309628
    flask dev-sms --url http://127.0.0.1:5000 रद्द 45309628
"""

from __future__ import annotations

import secrets

import click
from flask import Flask
from sqlalchemy import func, select

from booking_core.outbox import OutboxKind, OutboxMessage
from ivr.devphone import dev_transport

SMS_PATH = "/sms/inbound"


def _newest_outbox_id() -> int:
    from helpline.app import current_helpline

    with current_helpline().session() as session:
        return int(session.scalar(select(func.max(OutboxMessage.id))) or 0)


def _texts_since(last_id: int) -> list[tuple[str, str, str]]:
    """(to, language, text) of each SMS queued after ``last_id``, in order."""
    from helpline.app import current_helpline

    with current_helpline().session() as session:
        rows = session.execute(
            select(OutboxMessage.to_phone, OutboxMessage.language, OutboxMessage.body)
            .where(OutboxMessage.id > last_id, OutboxMessage.kind == OutboxKind.SMS)
            .order_by(OutboxMessage.id)).all()
    return [(to, lang, body) for to, lang, body in rows]


def register_dev_sms(app: Flask) -> None:
    @app.cli.command("dev-sms")
    @click.option("--from", "from_phone", default="+919812345678", show_default=True,
                  help="the sender's mobile")
    @click.option("--url", default=None,
                  help="text a running server (signed with TWILIO_AUTH_TOKEN, or the "
                       "checkout's own dev token) instead of this app in-process; its "
                       "answer is read from the same database")
    @click.option("--public-url", default=None,
                  help="with --url: the server's PUBLIC_BASE_URL, when it differs from --url")
    @click.argument("words", nargs=-1, required=True)
    def dev_sms(from_phone: str, url: str | None, public_url: str | None,
                words: tuple[str, ...]) -> None:
        """Text the helpline from the terminal (STATUS, CANCEL, HELP, STOP, ...)."""
        from helpline.app import current_helpline

        settings = current_helpline().settings
        body = " ".join(words)
        send, public, done = dev_transport(url, public_url)
        before = _newest_outbox_id()
        params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32,
                  "From": from_phone, "To": settings.twilio_phone_number or "+911140000000",
                  "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}
        try:
            status, _ = send(public + SMS_PATH, params)
        finally:
            done()
        click.echo(f"  > texts {body!r} from {from_phone}")
        if status != 200:
            raise click.ClickException(f"the helpline answered HTTP {status}")
        texts = _texts_since(before)
        if not texts:
            click.echo("(no text queued in this database: a server with another database "
                       "keeps its answer in its own outbox)")
        for to, lang, text in texts:
            click.echo(f"[{lang}] to {to}: {text}")
