"""Signed checkpoints of the access log's hash chain, kept outside the database.

The chain head lives in the database, so restoring an older dump (or cutting rows off the end
and moving the head back) leaves a chain that verifies. A checkpoint (rows counted, the hash
of the last one, when) signed with a key the database does not hold, written to a directory
the database does not hold, lets ``audit_verify`` see that rows went missing.

One JSON object a line, one file a day (``YYYY-MM-DD.jsonl``, UTC), each line signed with
HMAC-SHA256. A file is rewritten whole to a temporary file, flushed to disk and renamed over the
old one, so a crash leaves the old file or the new one, never half a line; a lock file keeps two
writers from losing each other's line.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

FORMAT = 1
MIN_KEY_LENGTH = 32
_warned: list[bool] = []


class Kind:
    SCHEDULED = "scheduled"  # the periodic job or the command
    RESTORE = "restore"  # the log was restored from a backup: earlier checkpoints superseded


@dataclass(frozen=True)
class Checkpoint:
    """A point of the chain vouched for: ``count`` rows, the last one ``last_id`` with
    ``head`` as its hash, at ``at``."""

    at: datetime
    count: int
    head: str
    last_id: int | None
    kind: str = Kind.SCHEDULED
    note: dict[str, Any] = field(default_factory=dict)
    place: str = ""  # file and line, for messages

    def fields(self, key_id: str) -> dict[str, Any]:
        return {"v": FORMAT, "at": self.at.astimezone(UTC).isoformat(), "count": self.count,
                "head": self.head, "last_id": self.last_id, "kind": self.kind,
                "note": self.note, "key_id": key_id}


@dataclass(frozen=True)
class Reading:
    """Every validly signed checkpoint, oldest first, and what is wrong with the other lines."""

    checkpoints: list[Checkpoint]
    problems: list[str]

    @property
    def latest(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None

    def since_restore(self) -> list[Checkpoint]:
        """The checkpoints of the current history: from the last restore record on."""
        starts = [i for i, c in enumerate(self.checkpoints) if c.kind == Kind.RESTORE]
        return self.checkpoints[starts[-1]:] if starts else self.checkpoints


def directory() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def signing_key() -> bytes:
    """AUDIT_CHECKPOINT_KEY; outside production, a key derived from SECRET_KEY (with a
    warning). Production settings refuse to sign or check without the real one."""
    configured = settings.AUDIT_CHECKPOINT_KEY
    if configured:
        if settings.AUDIT_CHECKPOINT_KEY_REQUIRED and len(configured) < MIN_KEY_LENGTH:
            raise ImproperlyConfigured(
                f"AUDIT_CHECKPOINT_KEY must be a random value of at least {MIN_KEY_LENGTH} "
                "characters. Generate one with: python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'")
        return configured.encode()
    if settings.AUDIT_CHECKPOINT_KEY_REQUIRED:
        raise ImproperlyConfigured(
            "AUDIT_CHECKPOINT_KEY is not set: access-log checkpoints are not signed or checked. "
            "Set it in the environment of every web, worker and beat process (the same value, "
            "kept apart from the database backups).")
    if not _warned:
        _warned.append(True)
        log.warning("AUDIT_CHECKPOINT_KEY is not set: access-log checkpoints are signed with a "
                    "key derived from SECRET_KEY (acceptable for development only)")
    return hmac.new(settings.SECRET_KEY.encode(), b"audit-checkpoint", hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """Names the key in each line without revealing it, so that a line signed with another key
    (an old one, another server's) is told apart from an altered one."""
    return hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:12]


def _signature(key: bytes, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def line_for(checkpoint: Checkpoint, key: bytes) -> str:
    fields = checkpoint.fields(key_id(key))
    return json.dumps({**fields, "sig": _signature(key, fields)}, sort_keys=True) + "\n"


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append(checkpoint: Checkpoint) -> Path:
    """Add one signed line to today's file, atomically and durably."""
    key = signing_key()
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{checkpoint.at.astimezone(UTC):%Y-%m-%d}.jsonl"
    with _locked(folder):
        before = path.read_bytes() if path.exists() else b""
        temporary = folder / f".{path.name}.{os.getpid()}.tmp"
        with open(temporary, "wb") as out:
            out.write(before + line_for(checkpoint, key).encode())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)  # the rename itself survives a power cut
        finally:
            os.close(handle)
    return path


def _parsed(text: str, key: bytes, place: str) -> Checkpoint | str:
    """The checkpoint a line holds, or what is wrong with it (in words)."""
    try:
        record = json.loads(text)
        sig = record.pop("sig", "") if isinstance(record, dict) else ""
    except ValueError:
        return f"{place} is not a checkpoint (it cannot be read)"
    if not sig:
        return f"{place} is not signed"
    if not hmac.compare_digest(str(sig), _signature(key, record)):
        if record.get("key_id") != key_id(key):
            return (f"{place} is signed with a different key (key id {record.get('key_id')}, "
                    f"this service's is {key_id(key)})")
        return f"{place} has been altered or forged: its signature does not match"
    try:
        return Checkpoint(at=datetime.fromisoformat(record["at"]), count=int(record["count"]),
                          head=str(record["head"]), last_id=record["last_id"],
                          kind=record.get("kind", Kind.SCHEDULED), note=record.get("note", {}),
                          place=place)
    except (KeyError, TypeError, ValueError):
        return f"{place} is signed but incomplete"


def read() -> Reading:
    """Every checkpoint in the directory, oldest first (files by name, lines in order)."""
    folder = directory()
    if not folder.is_dir():
        return Reading([], [])
    key = signing_key()
    found: list[Checkpoint] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, text in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if not text.strip():
                continue
            parsed = _parsed(text, key, f"{path.name} line {number}")
            if isinstance(parsed, Checkpoint):
                found.append(parsed)
            else:
                problems.append(parsed)
    return Reading(found, problems)
