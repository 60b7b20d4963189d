"""What one webhook adds to the call log: the steps note menus, an outcome and the
language as they go, and the view writes the notes once, after the answer is ready.

One short transaction per webhook (usually a single UPDATE, joined to the webhook's
reads) instead of one per menu or outcome: logging was most of a menu webhook's
database time. Notes live in ``flask.g``, so they last one request, like the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g
from sqlalchemy.orm import Session

from contact_centre.call_log import FINAL_OUTCOMES, record_webhook
from contact_centre.models import CallOutcome

_KEY = "ivr_call_notes"


@dataclass
class CallNotes:
    start: bool = False  # the call's first webhook: its row is made
    menus: list[str] = field(default_factory=list)
    language: str | None = None
    outcome: CallOutcome | None = None
    # The answer connects the caller to a person or the ambulance, reports a booking or
    # grievance done, or needs no database (a callback offer or request): a failure to
    # write the notes must not replace it with the apology.
    stands: bool = False

    def add_menu(self, menu: str, language: str) -> None:
        if not self.menus or self.menus[-1] != menu:
            self.menus.append(menu)
        self.language = language

    def set_outcome(self, outcome: CallOutcome, language: str) -> None:
        """A final outcome is never replaced by a lesser one (as in the call log)."""
        if self.outcome not in FINAL_OUTCOMES or outcome in FINAL_OUTCOMES:
            self.outcome = outcome
        self.language = language


def notes() -> CallNotes:
    """This webhook's notes (made on first use)."""
    if _KEY not in g:
        setattr(g, _KEY, CallNotes())
    current: CallNotes = getattr(g, _KEY)
    return current


def take_notes() -> CallNotes | None:
    """This webhook's notes, forgotten here (None when it noted nothing)."""
    taken: CallNotes | None = g.pop(_KEY, None)
    return taken


def write_notes(session: Session, call_sid: str, caller: str, taken: CallNotes) -> None:
    record_webhook(session, call_sid, menus=taken.menus, language=taken.language,
                   outcome=taken.outcome, start=taken.start, from_phone=caller)
