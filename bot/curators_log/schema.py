"""What the curators' log holds: the schema and its migrations, the rows the recorder writes, and StorageError.

All DDL is written once, with `{ts}`, `{id}` and `{bool}` type names that each back end fills in. Times are stored
in UTC: as TIMESTAMPTZ in PostgreSQL, as fixed-width ISO text in SQLite (so they sort and compare as text).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.errors import PhysioCareerError

UTC = dt.UTC

# The ordered list of schema versions. Never edit a released step: add a new one at the end.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        1,
        "questions, feedback and did-you-mean choices",
        (
            "CREATE TABLE questions (ref TEXT PRIMARY KEY, created_at {ts} NOT NULL, surface TEXT NOT NULL, "
            "outcome TEXT NOT NULL, entry_id TEXT, score INTEGER NOT NULL DEFAULT 0, question TEXT, user_hash TEXT)",
            "CREATE INDEX questions_created_at ON questions (created_at)",
            "CREATE TABLE feedback (id {id}, created_at {ts} NOT NULL, ref TEXT, entry_id TEXT NOT NULL, "
            "helpful {bool} NOT NULL, surface TEXT NOT NULL, user_hash TEXT)",
            "CREATE INDEX feedback_created_at ON feedback (created_at)",
            "CREATE TABLE choices (id {id}, created_at {ts} NOT NULL, ref TEXT, entry_id TEXT NOT NULL, "
            "surface TEXT NOT NULL, user_hash TEXT)",
            "CREATE INDEX choices_created_at ON choices (created_at)",
            "CREATE INDEX choices_ref ON choices (ref)",
        ),
    ),
    (
        2,
        "Slack event keys shared by every process; the did-you-mean candidates and declines of each question",
        (
            "CREATE TABLE events (event_key TEXT PRIMARY KEY, created_at {ts} NOT NULL)",
            "CREATE INDEX events_created_at ON events (created_at)",
            "ALTER TABLE questions ADD COLUMN candidates TEXT",
            "ALTER TABLE questions ADD COLUMN declined TEXT",
        ),
    ),
    (
        3,
        "each question's nation, guard and stale figures; 'not what I asked' flags; members' saved nations; "
        "conversation context for follow-up questions",
        (
            "ALTER TABLE questions ADD COLUMN nation TEXT",
            "ALTER TABLE questions ADD COLUMN guard TEXT",
            "ALTER TABLE questions ADD COLUMN stale {bool}",
            "CREATE INDEX questions_user_hash ON questions (user_hash, created_at)",
            "CREATE TABLE flags (id {id}, created_at {ts} NOT NULL, ref TEXT, entry_id TEXT NOT NULL, "
            "reason TEXT NOT NULL, surface TEXT NOT NULL, user_hash TEXT)",
            "CREATE INDEX flags_created_at ON flags (created_at)",
            # Keyed by the fingerprint only; kept until the member clears it (not subject to RETENTION_DAYS).
            "CREATE TABLE member_nations (user_hash TEXT PRIMARY KEY, nation TEXT NOT NULL, updated_at {ts} NOT NULL)",
            # Keyed by a fingerprint of the conversation id; rows past expires_at are deleted by housekeeping.
            "CREATE TABLE contexts (context_key TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at {ts} NOT NULL, "
            "expires_at {ts} NOT NULL)",
            "CREATE INDEX contexts_expires_at ON contexts (expires_at)",
        ),
    ),
)
LATEST_VERSION = MIGRATIONS[-1][0]
# The tables RETENTION_DAYS applies to (by created_at). Events expire after a day, contexts at expires_at, and a
# member's saved nation stays until the member clears it.
RETAINED_TABLES = ("questions", "feedback", "choices", "flags")
TABLES = (*RETAINED_TABLES, "events", "member_nations", "contexts")


class StorageError(PhysioCareerError):
    """The curators' log cannot be reached, opened or read. The message is for people and holds no secret.

    `transient` is True when trying again later may work (the server is down, the file is locked).
    """

    def __init__(self, message: str, *, transient: bool = True):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class QuestionRow:
    ref: str
    created_at: dt.datetime
    surface: str
    outcome: str
    entry_id: str | None
    score: int
    question: str | None
    candidates: str | None  # the did-you-mean entry ids, space separated
    declined: str | None  # the decline entry, when the bot declined on purpose (a clinical question)
    user_hash: str | None
    nation: str | None = None  # the nation the answer was given for
    guard: str | None = None  # the guard that decided, if any
    stale: bool = False  # the answer's figures were past their valid_until


@dataclass(frozen=True)
class FeedbackRow:
    created_at: dt.datetime
    ref: str | None
    entry_id: str
    helpful: bool
    surface: str
    user_hash: str | None


@dataclass(frozen=True)
class ChoiceRow:
    created_at: dt.datetime
    ref: str | None
    entry_id: str
    surface: str
    user_hash: str | None


@dataclass(frozen=True)
class FlagRow:
    """A member said an answer was not what they asked."""

    created_at: dt.datetime
    ref: str | None
    entry_id: str
    reason: str
    surface: str
    user_hash: str | None


Row = QuestionRow | FeedbackRow | ChoiceRow | FlagRow


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)
