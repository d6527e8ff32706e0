"""Recorders for the Slack tests (the Web API and Socket Mode stand-ins and the wire helpers live in
`tests/slack/stand_ins/`)."""

from __future__ import annotations

import threading

from bot.curators_log.recorder import NullRecorder


class RecordingRecorder(NullRecorder):
    """Stands in for the database-backed recorder (another module's job): remembers what it was told and
    hands out refs q1, q2, ...; de-duplicates like NullRecorder."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[tuple[str, str, str | None, str | None]] = []  # surface, text, entry, user
        self.feedback: list[tuple[str | None, str, bool, str | None]] = []
        self.choices: list[tuple[str | None, str, str | None]] = []
        self.flags: list[tuple[str | None, str, str | None]] = []
        self._lock = threading.Lock()

    def record_question(self, surface, question, reply, *, user_id=None, nation=None, guard=None):
        with self._lock:
            self.questions.append((surface, question, reply.entry_id, user_id))
            return f"q{len(self.questions)}"

    def record_feedback(self, ref, entry_id, helpful, *, surface="button", user_id=None):
        with self._lock:
            self.feedback.append((ref, entry_id, helpful, user_id))

    def record_choice(self, ref, entry_id, *, surface="button", user_id=None):
        with self._lock:
            self.choices.append((ref, entry_id, user_id))

    def record_flag(self, ref, entry_id, *, reason="not-what-i-asked", surface="button", user_id=None):
        with self._lock:
            self.flags.append((ref, entry_id, user_id))


class BrokenRecorder:
    """A recorder whose store is down: every call raises."""

    def record_question(self, *args, **kwargs):
        raise ConnectionError("database is down")

    record_feedback = record_choice = claim_event = record_question
