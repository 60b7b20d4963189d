"""What one webhook adds to the call log: the steps note menus, an outcome and the
language as they go, and the view writes the notes once, after the answer is ready.

Notes live in ``flask.g``, so they last one request, like the request.

Where Redis is configured, a webhook that only moved through menus (most of a call's
webhooks) writes nothing to the database: its menus and language go to the call's
live path in Redis (one round trip, no transaction). The database row is written where
the call starts, where it achieves something (an outcome: booked, emergency, ...),
where it enters the agent queue, and when it ends (Twilio's status callback). Each of
those writes the whole path read back from Redis, so the wallboard, the agent's screen
pop and the reports read the path in the database as before. Measured at saturation,
the call log's UPDATE on every menu webhook was the largest single cost of a booking
call (``docs/BENCHMARKS.md``). Without Redis, or while it fails, each webhook's notes
go to the database as they always did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import g
from redis.commands.core import Script
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from contact_centre.call_log import FINAL_OUTCOMES, MAX_PATH, record_webhook
from contact_centre.models import CallOutcome
from helpline.app import current_helpline

log = logging.getLogger(__name__)

_KEY = "ivr_call_notes"
# How long a call's live path is kept after its last webhook: longer than the longest
# call Twilio allows (4 hours), so a call's end always finds it.
LIVE_SECONDS = 5 * 3600
# A caller who keeps repeating one menu pushes it again each time; the list is trimmed
# well above what the log keeps (``MAX_PATH`` visits).
LIVE_ENTRIES = 8 * MAX_PATH


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
    # The answer puts the caller in the agent queue: the agent's screen pop reads the
    # path from the database, so it is written there now.
    connects: bool = False
    # The whole path read back from Redis once these notes were pushed there (a write
    # repeated on a fresh database connection does not push them twice).
    pushed: list[str] | None = None

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


def write_notes(session: Session, call_sid: str, caller: str, taken: CallNotes, *,
                outbound: bool = False) -> None:
    """Write one webhook's notes: to the call's live path alone when they are only menus
    and a language, else to the database with the whole path so far. ``outbound``: a
    call the helpline placed (``caller`` is then the number it called)."""
    to_database = taken.start or taken.connects or taken.outcome is not None
    path = taken.pushed
    if path is None:
        path = taken.pushed = _push_live(call_sid, taken.menus, taken.language,
                                         read_back=to_database)
    if path is not None and not to_database:
        return
    # Without Redis a placed call's menus go to its row only once it has one, as its
    # first prompt's do (``keep_live_only``): menus alone make no row of such a call.
    record_webhook(session, call_sid, menus=taken.menus if path is None else (), path=path,
                   language=taken.language, outcome=taken.outcome, start=taken.start,
                   from_phone=caller, direction="outbound" if outbound else "inbound",
                   make_row=to_database or not outbound)


def keep_live_only(call_sid: str) -> None:
    """The first prompt of a call the helpline placed (``ivr.flow.start_call``): its
    menus go to the call's live path alone. Such a call gets a row in the call log only
    once its later webhooks have something for it (its person asks for an agent), and
    that row's path then starts with the first menu. Without Redis they are dropped."""
    taken = take_notes()
    if taken is not None and (taken.menus or taken.language):
        _push_live(call_sid, taken.menus, taken.language, read_back=False)


# One round trip and one command per webhook: add the menus (the list trimmed to
# ``LIVE_ENTRIES``), set the language, keep both for ``LIVE_SECONDS`` from now, and
# with a read asked for, return the whole list and the language.
# KEYS: the path list, the language. ARGV: seconds, entries, language or "", read
# ("1" or "0"), then the menus.
_LIVE_SCRIPT = """
local n = #ARGV
if n >= 5 then
  redis.call('RPUSH', KEYS[1], unpack(ARGV, 5, n))
  redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[1])
end
if ARGV[4] == '1' then
  return {redis.call('LRANGE', KEYS[1], 0, -1), redis.call('GET', KEYS[2])}
end
return 0
"""
_scripts: dict[int, Script] = {}


def _live(call_sid: str, menus: list[str], language: str | None, *, read: bool) -> Any:
    """Run the live path's script for the call (``_LIVE_SCRIPT``); None without Redis,
    or while a failure pauses it (``helpline.jobs.RedisPause``). Raises RedisError."""
    helpline = current_helpline()
    jobs = helpline.jobs
    if not jobs.enabled or jobs.pause.paused:
        return None
    redis = jobs.redis
    script = _scripts.get(id(redis))
    if script is None:
        script = _scripts[id(redis)] = redis.register_script(_LIVE_SCRIPT)
    # A hash tag ({...}) keeps a call's two keys together on a Redis cluster.
    key = f"{helpline.settings.redis_namespace}-ivr-path:{{{call_sid}}}"
    return script(keys=[key, key + ":lang"],
                  args=[LIVE_SECONDS, LIVE_ENTRIES, language or "", "1" if read else "0",
                        *menus])


def _push_live(call_sid: str, menus: list[str], language: str | None, *,
               read_back: bool) -> list[str] | None:
    """Add ``menus`` and ``language`` to the call's live path, in one round trip; with
    ``read_back``, the whole path so far (menus in the order noted). None when there is
    no Redis or it failed: the notes then go to the database alone."""
    if not (menus or language or read_back):
        return []
    try:
        reply = _live(call_sid, menus, language, read=read_back)
    except RedisError as exc:
        log.warning("call log: the live path is not reachable (%s); written to the database",
                    type(exc).__name__)
        return None
    if reply is None:
        return None
    return [m.decode() for m in reply[0]] if read_back else []


def live_path(call_sid: str) -> tuple[list[str] | None, str | None]:
    """The call's live path and last language, as its webhooks noted them (``(None,
    None)`` without Redis, or when it fails: the database's row is all there is)."""
    try:
        reply = _live(call_sid, [], None, read=True)
    except RedisError as exc:
        log.warning("call log: the live path is not reachable (%s)", type(exc).__name__)
        return None, None
    if reply is None:
        return None, None
    menus, language = reply
    return ([m.decode() for m in menus] or None,
            language.decode() if language is not None else None)
