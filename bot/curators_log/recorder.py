"""What the channels tell the curators' log, as an interface; `bot.curators_log` implements it with a database.

Channels call these methods and never wait on them for an answer: a recorder must not raise (a failing
database is logged and the member still gets the reply) and must be quick.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from bot.brain.reply import Reply


class Recorder(Protocol):
    def record_question(self, surface: str, question: str, reply: Reply, *, user_id: str | None = None) -> str | None:
        """Log one answered question; return a reference that feedback and choices can point to (or None)."""

    def record_feedback(
        self, ref: str | None, entry_id: str, helpful: bool, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        """Log a thumbs up (helpful=True) or down for the answer `entry_id` given to question `ref`."""

    def record_choice(
        self, ref: str | None, entry_id: str, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        """Log that a member picked `entry_id` from "did you mean" (or a topic button) after question `ref`."""

    def claim_event(self, key: str) -> bool:
        """True the first time `key` (a Slack event id) is claimed, False for a repeat (a retried delivery)."""


class NullRecorder:
    """Records nothing; de-duplicates events in this process only (fine for one process, not for several)."""

    def __init__(self, ttl_seconds: float = 3600.0):
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._ttl = ttl_seconds

    def record_question(self, surface, question, reply, *, user_id=None):
        return None

    def record_feedback(self, ref, entry_id, helpful, *, surface="button", user_id=None):
        return None

    def record_choice(self, ref, entry_id, *, surface="button", user_id=None):
        return None

    def claim_event(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: t for k, t in self._seen.items() if now - t < self._ttl}
            seen = self._seen.get(key)
            if seen is not None and now - seen < self._ttl:
                return False
            self._seen[key] = now
            return True
