"""What SQLite and PostgreSQL share: the schema and its migrations, every query, a small connection pool.

A back end (`sqlite.py`, `postgres.py`) only says how to connect, how to start a transaction, which column types
to use and how its driver reports errors. All SQL here is written once, with `?` placeholders and `{ts}`, `{id}`
and `{bool}` type names that each back end fills in.

Times are stored in UTC: as TIMESTAMPTZ in PostgreSQL, as fixed-width ISO text in SQLite (so they sort and compare
as text).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

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
)
LATEST_VERSION = MIGRATIONS[-1][0]
TABLES = ("questions", "feedback", "choices", "events")


class StorageError(Exception):
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


Row = QuestionRow | FeedbackRow | ChoiceRow


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class Pool:
    """At most `size` open connections, each used by one thread at a time; broken ones are dropped, not reused.

    After a fork the child never touches its parent's connections (closing them would close the parent's
    sessions too): it forgets them and opens its own.
    """

    def __init__(self, connect: Callable[[], Any], size: int, wait: float):
        self._connect = connect
        self._size = size
        self._wait = wait
        self._reset()
        self._orphans: list[Any] = []
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (p := ref()) is not None and p._forget())

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[Any] = []
        self._slots = threading.BoundedSemaphore(self._size)
        self._closed = False

    def _forget(self) -> None:
        self._orphans.extend(self._idle)
        self._reset()

    def acquire(self) -> Any:
        if self._closed:
            raise StorageError("the store is closed", transient=False)
        slots = self._slots
        if not slots.acquire(timeout=self._wait):
            raise StorageError(f"every database connection stayed busy for {self._wait:g}s")
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            return conn if conn is not None else self._connect()
        except BaseException:
            slots.release()
            raise

    def release(self, conn: Any, *, broken: bool) -> None:
        with self._lock:
            keep = not broken and not self._closed and len(self._idle) < self._size
            if keep:
                self._idle.append(conn)
        if not keep:
            _close_quietly(conn)
        try:
            self._slots.release()
        except ValueError:  # a connection taken before a fork and given back after it
            pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            _close_quietly(conn)


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # noqa: S110 - it is being thrown away
        pass


class Cursor:
    """A driver cursor that takes `?` placeholders on every back end."""

    def __init__(self, store: Store, cursor: Any):
        self._store = store
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self._cursor.execute(self._store.sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            self._cursor.executemany(self._store.sql(sql), rows)

    def fetchall(self) -> list[tuple]:
        return [tuple(r) for r in self._cursor.fetchall()]

    def fetchone(self) -> tuple | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


class Store:
    """The curators' log in a database. Methods raise StorageError (never a driver error) and are thread-safe."""

    kind = "?"
    placeholder = "?"
    types: dict[str, str] = {}
    driver_error: type[BaseException] = Exception
    transient_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, *, pool_size: int = 4, timeout: float = 3.0):
        self.timeout = timeout
        self._pool = Pool(self._connect, pool_size, wait=timeout)

    # --- what a back end provides ---------------------------------------------------------------------
    def describe(self) -> str:
        """Where the data is, for messages: never a password."""
        raise NotImplementedError

    def _connect(self) -> Any:
        raise NotImplementedError

    @contextmanager
    def _transaction(self, conn: Any, write: bool) -> Iterator[Any]:
        raise NotImplementedError
        yield

    def _lock_for_migration(self, cur: Cursor) -> None:
        """Keep other processes out while this one migrates (SQLite's write transaction already does)."""

    def to_db_time(self, value: dt.datetime) -> Any:
        return value.astimezone(UTC)

    def from_db_time(self, value: Any) -> dt.datetime:
        return value.astimezone(UTC)

    # --- plumbing ---------------------------------------------------------------------------------------
    def sql(self, text: str) -> str:
        """`?` placeholders in the driver's style; with `%s` drivers, a literal `%` is doubled."""
        if self.placeholder == "?":
            return text
        return text.replace("%", "%%").replace("?", self.placeholder)

    def ddl(self, text: str) -> str:
        return text.format(**self.types)

    @contextmanager
    def transaction(self, *, write: bool = True, single: bool = False) -> Iterator[Cursor]:
        """One transaction on a pooled connection; any driver error comes out as StorageError.

        `single=True` is for one statement, which is atomic by itself: no BEGIN and COMMIT round trips.
        """
        conn = self._connect_or_raise()
        broken = True
        try:
            if single:
                yield Cursor(self, conn.cursor())
            else:
                with self._transaction(conn, write):
                    yield Cursor(self, conn.cursor())
            broken = False
        except self.driver_error as exc:
            raise self._error(exc) from exc
        except Exception:
            broken = False  # our own error inside the block: the transaction was rolled back cleanly
            raise
        finally:
            self._pool.release(conn, broken=broken)

    def _connect_or_raise(self) -> Any:
        try:
            return self._pool.acquire()
        except self.driver_error as exc:
            raise self._error(exc) from exc
        except OSError as exc:
            raise StorageError(f"cannot open the database ({self.describe()}): {exc.strerror or exc}") from exc

    def _error(self, exc: BaseException) -> StorageError:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StorageError(
            f"database error ({self.describe()}): {text}", transient=isinstance(exc, self.transient_errors)
        )

    def close(self) -> None:
        self._pool.close()

    # --- schema ---------------------------------------------------------------------------------------
    def migrate(self, *, upto: int | None = None) -> int:
        """Bring the schema up to `upto` (default: the latest) in one transaction; return the version reached."""
        target = LATEST_VERSION if upto is None else upto
        with self.transaction() as cur:
            self._lock_for_migration(cur)
            cur.execute(
                self.ddl(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                    "applied_at {ts} NOT NULL, description TEXT NOT NULL)"
                )
            )
            current = cur.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            for version, description, steps in MIGRATIONS:
                if current < version <= target:
                    for step in steps:
                        cur.execute(self.ddl(step))
                    cur.execute(
                        "INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)",
                        (version, self.to_db_time(utcnow()), description),
                    )
                    current = version
            return current

    def schema_version(self) -> int:
        with self.transaction(write=False) as cur:
            return cur.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0

    def open(self, *, retention_days: int | None = None, now: dt.datetime | None = None) -> Store:
        """Create or migrate the schema, then delete what is older than the retention period."""
        self.migrate()
        if retention_days is not None:
            self.purge((now or utcnow()) - dt.timedelta(days=retention_days))
        return self

    # --- writing ----------------------------------------------------------------------------------------
    def write(self, rows: Iterable[Row]) -> None:
        """Insert a batch of rows of any kind in one transaction: all of them or none."""
        questions, feedback, choices = [], [], []
        for row in rows:
            if isinstance(row, QuestionRow):
                questions.append(
                    (row.ref, self.to_db_time(row.created_at), row.surface, row.outcome, row.entry_id, row.score)
                    + (row.question, row.candidates, row.declined, row.user_hash)
                )
            elif isinstance(row, FeedbackRow):
                feedback.append(
                    (self.to_db_time(row.created_at), row.ref, row.entry_id, bool(row.helpful), row.surface)
                    + (row.user_hash,)
                )
            else:
                choices.append((self.to_db_time(row.created_at), row.ref, row.entry_id, row.surface, row.user_hash))
        with self.transaction() as cur:
            cur.executemany(
                "INSERT INTO questions (ref, created_at, surface, outcome, entry_id, score, question, candidates, "
                "declined, user_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ref) DO NOTHING",
                questions,
            )
            cur.executemany(
                "INSERT INTO feedback (created_at, ref, entry_id, helpful, surface, user_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                feedback,
            )
            cur.executemany(
                "INSERT INTO choices (created_at, ref, entry_id, surface, user_hash) VALUES (?, ?, ?, ?, ?)",
                choices,
            )

    def claim(self, key: str, *, now: dt.datetime | None = None, ttl: float = 3600.0) -> bool:
        """True if `key` is new (or its earlier claim is older than `ttl` seconds): one winner across processes."""
        now = now or utcnow()
        with self.transaction(single=True) as cur:
            cur.execute(
                "INSERT INTO events (event_key, created_at) VALUES (?, ?) ON CONFLICT (event_key) "
                "DO UPDATE SET created_at = excluded.created_at WHERE events.created_at < ?",
                (key[:200], self.to_db_time(now), self.to_db_time(now - dt.timedelta(seconds=ttl))),
            )
            return cur.rowcount == 1

    def purge(self, before: dt.datetime, *, events_before: dt.datetime | None = None) -> dict[str, int]:
        """Delete questions, feedback and choices older than `before` (and event keys older than a day)."""
        events_before = events_before or utcnow() - dt.timedelta(days=1)
        deleted = {}
        with self.transaction() as cur:
            for table in TABLES:
                cutoff = events_before if table == "events" else before
                cur.execute(f"DELETE FROM {table} WHERE created_at < ?", (self.to_db_time(cutoff),))
                deleted[table] = max(cur.rowcount, 0)
        return deleted

    # --- reading (the report) ---------------------------------------------------------------------------
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self.transaction(write=False) as cur:
            return cur.execute(sql, params).fetchall()

    def count(self, table: str) -> int:
        if table not in (*TABLES, "schema_version"):
            raise ValueError(f"no table {table!r}")
        return self.fetchall(f"SELECT COUNT(*) FROM {table}")[0][0]

    def outcome_counts(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, int]]:
        """(outcome, surface, how many) for the questions asked in [start, end)."""
        return self.fetchall(
            "SELECT outcome, surface, COUNT(*) FROM questions WHERE created_at >= ? AND created_at < ? "
            "GROUP BY outcome, surface ORDER BY outcome, surface",
            (self.to_db_time(start), self.to_db_time(end)),
        )

    def unanswered(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str | None, str, str | None, Any]]:
        """(question or None, outcome, declined, when) for the clarify and fallback questions in [start, end)."""
        rows = self.fetchall(
            "SELECT question, outcome, declined, created_at FROM questions WHERE created_at >= ? AND created_at < ? "
            "AND outcome IN ('clarify', 'fallback') ORDER BY created_at",
            (self.to_db_time(start), self.to_db_time(end)),
        )
        return [(q, o, d, self.from_db_time(t)) for q, o, d, t in rows]

    def feedback_rows(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str | None, str, bool, str | None]]:
        """(ref, entry, helpful, the question it answered) for the 👍/👎 given in [start, end)."""
        rows = self.fetchall(
            "SELECT f.ref, f.entry_id, f.helpful, q.question FROM feedback f LEFT JOIN questions q ON q.ref = f.ref "
            "WHERE f.created_at >= ? AND f.created_at < ? ORDER BY f.created_at",
            (self.to_db_time(start), self.to_db_time(end)),
        )
        return [(r, e, bool(h), q) for r, e, h, q in rows]

    def choices_after_unanswered(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, str, str]]:
        """(ref, chosen entry, question, its outcome) for choices made in [start, end) after a clarify/fallback."""
        return self.fetchall(
            "SELECT DISTINCT c.ref, c.entry_id, q.question, q.outcome FROM choices c JOIN questions q ON q.ref = c.ref "
            "WHERE c.created_at >= ? AND c.created_at < ? AND q.outcome IN ('clarify', 'fallback') "
            "AND q.question IS NOT NULL ORDER BY c.entry_id, q.question",
            (self.to_db_time(start), self.to_db_time(end)),
        )

    def choice_count(self, start: dt.datetime, end: dt.datetime) -> int:
        return self.fetchall(
            "SELECT COUNT(*) FROM choices WHERE created_at >= ? AND created_at < ?",
            (self.to_db_time(start), self.to_db_time(end)),
        )[0][0]
