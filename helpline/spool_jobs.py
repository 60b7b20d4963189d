"""Replaying the spool (``helpline.spool``) once the database answers again.

Run by ``flask scheduler`` every few seconds on every host (``helpline.periodic``).
Each kind of entry calls the same service its webhook would have called, so a replayed
"CANCEL <reference>" cancels and is answered by SMS exactly as if it had arrived on
time, and a callback request joins the agents' list with the time the caller asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from helpline import jobs
from helpline.db import DATABASE_DOWN
from helpline.spool import CALLBACK_REQUEST, INBOUND_SMS, DatabaseStillDown, Entry


def replay_spool() -> str:
    helpline = jobs.current()
    if not helpline.spool.pending():
        return "nothing spooled"
    settings = helpline.settings

    def inbound_sms(session: Session, entry: Entry) -> None:
        from messaging.replies import handle_inbound

        p = entry.payload
        handle_inbound(session, message_sid=p["message_sid"], from_phone=p["from_phone"],
                       body=p["body"], tz=settings.helpline_timezone,
                       helpline_number=settings.helpline_number_to_call,
                       quiet_hours=settings.sms_quiet_hours)

    def callback_request(session: Session, entry: Entry) -> None:
        from contact_centre.callbacks import request_callback

        p = entry.payload
        request_callback(session, phone=p["phone"], language=p["language"],
                         call_sid=p.get("call_sid"), reason=p["reason"],
                         caller=p.get("caller"), direction=p.get("direction", "inbound"),
                         now=entry.received_at)

    with helpline.session() as session:
        def guarded(act: Callable[[Session, Entry], None]) -> Callable[[Entry], None]:
            def run(entry: Entry) -> None:
                try:
                    act(session, entry)
                except DATABASE_DOWN as exc:
                    _rollback(session)
                    raise DatabaseStillDown(str(exc)) from exc
                except Exception:
                    _rollback(session)
                    raise
            return run

        result = helpline.spool.replay({INBOUND_SMS: guarded(inbound_sms),
                                        CALLBACK_REQUEST: guarded(callback_request)})
    return str(result)


def _rollback(session: Any) -> None:
    try:
        session.rollback()
    except Exception:  # the connection may be gone with the database
        session.close()
