"""What citizens send while the database is down, kept on disk until it is back.

An SMS ("CANCEL 12345678") or a callback request that arrives during an outage is
written here whole, before the webhook answers: one JSON file per entry, written to a
temporary name, flushed to disk and renamed into place, so a crash leaves either a
complete entry or none. ``flask scheduler`` replays the entries (oldest first) every few
seconds once the database answers again (``helpline.spool_jobs``); what each entry
does is idempotent (an SMS by its MessageSid, a callback by its CallSid), so an entry
replayed twice after a crash acts once.

Files, not Redis or process memory: process memory dies with the worker, and Redis is
configured here as a queue whose loss costs only lateness (``helpline.jobs``), not
as storage. The directory (``SPOOL_DIR``) must be on a disk every web process of a host
writes and that host's scheduler reads. Entries hold phone numbers: the directory and
its files are readable by the helpline's user only.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Kinds of entry.
INBOUND_SMS = "sms.inbound"
CALLBACK_REQUEST = "ivr.callback"
# Entries that failed for a reason other than an outage go here for a person to see.
FAILED_DIR = "failed"


class DatabaseStillDown(Exception):
    """A handler found the database still unavailable: replay stops, the entry stays."""


@dataclass(frozen=True)
class Entry:
    path: Path
    kind: str
    payload: dict[str, Any]
    received_at: dt.datetime


@dataclass
class Replayed:
    done: int = 0
    failed: int = 0
    waiting: int = 0

    def __str__(self) -> str:
        return f"{self.done} replayed, {self.failed} failed, {self.waiting} waiting"


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, kind: str, payload: dict[str, Any]) -> Path:
        """Keep one entry durably (on disk when this returns); raises OSError when it
        cannot, so the caller can answer that it did not take the message."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.json"
        body = json.dumps({"kind": kind, "received_at": now.isoformat(), "payload": payload},
                          ensure_ascii=False).encode()
        temporary = self.directory / f".{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, body)
            os.fsync(fd)
        finally:
            os.close(fd)
        final = self.directory / name
        os.rename(temporary, final)
        _fsync_directory(self.directory)
        return final

    def pending(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.json"))

    def replay(self, handlers: Mapping[str, Callable[[Entry], None]],
               limit: int = 500) -> Replayed:
        """Hand each entry, oldest first, to the handler for its kind; an entry is
        deleted once its handler returns. A handler raising ``DatabaseStillDown`` stops
        the replay (the entry waits for the next); any other error moves the entry to
        ``failed/`` and logs it. Two replays at once each take different entries."""
        result = Replayed()
        for path in self.pending()[:limit]:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # another replay finished it
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # another replay is on it
                if not _still_pending(path, fd):
                    continue  # another replay finished it or set it aside meanwhile
                try:
                    entry = _read(path, fd)
                    handler = handlers[entry.kind]
                except (ValueError, KeyError) as exc:
                    log.error("spool entry %s is unreadable or of an unknown kind: %s",
                              path.name, exc)
                    self._set_aside(path)
                    result.failed += 1
                    continue
                try:
                    handler(entry)
                except DatabaseStillDown:
                    result.waiting = len(self.pending()) - result.done
                    return result
                except Exception:
                    log.exception("spool entry %s (%s) failed", path.name, entry.kind)
                    self._set_aside(path)
                    result.failed += 1
                    continue
                path.unlink()
                result.done += 1
            finally:
                os.close(fd)
        return result

    def _set_aside(self, path: Path) -> None:
        failed = self.directory / FAILED_DIR
        failed.mkdir(mode=0o700, exist_ok=True)
        os.rename(path, failed / path.name)


def _still_pending(path: Path, fd: int) -> bool:
    """Whether the file opened as ``fd`` is still the entry at ``path``: a replay that
    opened it just before another one deleted it or moved it to ``failed/`` holds the
    old file, and must neither act on it again nor move it."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _read(path: Path, fd: int) -> Entry:
    with os.fdopen(os.dup(fd), "rb") as handle:
        data = json.loads(handle.read())
    if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
        raise ValueError("not a spool entry")
    return Entry(path=path, kind=str(data["kind"]), payload=data["payload"],
                 received_at=dt.datetime.fromisoformat(data["received_at"]))


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
