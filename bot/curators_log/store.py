"""The curators' log in a database: every query, written once for SQLite and PostgreSQL.

A back end (`sqlite.py`, `postgres.py`) only says how to connect, how to start a transaction, which column types
to use and how its driver reports errors. All SQL here uses `?` placeholders, which each back end translates.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from bot.curators_log.pool import Cursor, Pool
from bot.curators_log.schema import (
    LATEST_VERSION,
    MIGRATIONS,
    RETAINED_TABLES,
    TABLES,
    UTC,
    ChoiceRow,
    FeedbackRow,
    FlagRow,
    QuestionRow,
    Row,
    StorageError,
    utcnow,
)

# A quoted value in a driver's message ('invalid input syntax for type json: "..."') may be a member's text;
# a quoted identifier ("questions_pkey") is kept, because it says what failed.
_QUOTED_VALUE = re.compile(r""""(?![A-Za-z_][\w.]*")[^"]*"|'(?![A-Za-z_][\w.]*')[^']*'""")


class Store(ABC):
    """The curators' log in a database. Methods raise StorageError (never a driver error) and are thread-safe."""

    kind: ClassVar[str] = "?"
    placeholder: ClassVar[str] = "?"
    types: ClassVar[dict[str, str]] = {}
    driver_error: ClassVar[type[BaseException]] = Exception
    transient_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self, *, pool_size: int = 4, timeout: float = 3.0):
        self.timeout = timeout
        self._pool = Pool(self._connect, pool_size, wait=timeout)

    # --- what a back end provides ---------------------------------------------------------------------
    @abstractmethod
    def describe(self) -> str:
        """Where the data is, for messages: never a password."""

    @abstractmethod
    def _connect(self) -> Any:
        """A new driver connection in autocommit mode."""

    @abstractmethod
    def _transaction(self, conn: Any, write: bool) -> Any:
        """A context manager: one transaction on `conn`, committed on success and rolled back on error."""

    def _lock_for_migration(self, cur: Cursor) -> None:  # noqa: B027 - most back ends need nothing here
        """Keep other processes out while this one migrates (SQLite's write transaction already does)."""

    def _current(self, conn: Any) -> bool:
        """False when a pooled connection no longer reaches the database (SQLite: the file was replaced)."""
        return True

    def _is_transient(self, exc: BaseException) -> bool:
        return isinstance(exc, self.transient_errors)

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
        conn = self._acquire()
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

    def _acquire(self) -> Any:
        for _ in range(3):
            conn = self._connect_or_raise()
            if self._current(conn):
                return conn
            # Every pooled connection points at what is gone; the next one is opened on what is there now.
            self._pool.release(conn, broken=True)
            self._pool.drop_idle()
        raise StorageError(f"the database keeps changing under the bot ({self.describe()})")

    def _connect_or_raise(self) -> Any:
        try:
            return self._pool.acquire()
        except self.driver_error as exc:
            raise self._error(exc) from exc
        except OSError as exc:
            raise StorageError(f"cannot open the database ({self.describe()}): {exc.strerror or exc}") from exc

    def _error(self, exc: BaseException) -> StorageError:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        text = _QUOTED_VALUE.sub('"…"', text)
        return StorageError(f"database error ({self.describe()}): {text}", transient=self._is_transient(exc))

    def close(self) -> None:
        self._pool.close()

    # --- schema ---------------------------------------------------------------------------------------
    def migrate(self, *, upto: int | None = None) -> int:
        """Bring the schema up to `upto` (default: the latest) in one transaction; return the version reached."""
        with self.transaction() as cur:
            return self._migrate(cur, LATEST_VERSION if upto is None else upto)

    def _migrate(self, cur: Cursor, target: int) -> int:
        self._lock_for_migration(cur)
        cur.execute(
            self.ddl(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                "applied_at {ts} NOT NULL, description TEXT NOT NULL)"
            )
        )
        row = cur.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = int(row[0] or 0) if row else 0
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
            row = cur.execute("SELECT MAX(version) FROM schema_version").fetchone()
            return int(row[0] or 0) if row else 0

    def open(self, *, retention_days: int | None = None, now: dt.datetime | None = None) -> Store:
        """Create or migrate the schema, then delete what is older than the retention period."""
        self.migrate()
        if retention_days is not None:
            now = now or utcnow()
            self.purge(now - dt.timedelta(days=retention_days), now=now)
        return self

    # --- writing ----------------------------------------------------------------------------------------
    def write(self, rows: Iterable[Row]) -> None:
        """Insert a batch of rows of any kind in one transaction: all of them or none."""
        questions, feedback, choices, flags = [], [], [], []
        for row in rows:
            when = self.to_db_time(row.created_at)
            if isinstance(row, QuestionRow):
                questions.append(
                    (row.ref, when, row.surface, row.outcome, row.entry_id, row.score, row.question, row.candidates)
                    + (row.declined, row.user_hash, row.nation, row.guard, bool(row.stale))
                )
            elif isinstance(row, FeedbackRow):
                feedback.append((when, row.ref, row.entry_id, bool(row.helpful), row.surface, row.user_hash))
            elif isinstance(row, ChoiceRow):
                choices.append((when, row.ref, row.entry_id, row.surface, row.user_hash))
            elif isinstance(row, FlagRow):
                flags.append((when, row.ref, row.entry_id, row.reason, row.surface, row.user_hash))
            else:
                raise TypeError(f"not a row: {type(row).__name__}")
        with self.transaction() as cur:
            cur.executemany(
                "INSERT INTO questions (ref, created_at, surface, outcome, entry_id, score, question, candidates, "
                "declined, user_hash, nation, guard, stale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (ref) DO NOTHING",
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
            cur.executemany(
                "INSERT INTO flags (created_at, ref, entry_id, reason, surface, user_hash) VALUES (?, ?, ?, ?, ?, ?)",
                flags,
            )

    # --- the event ledger ---------------------------------------------------------------------------------
    def claim(self, key: str, *, now: dt.datetime | None = None, ttl: float = 86_400.0) -> bool:
        """True if `key` is new (or its earlier claim is older than `ttl` seconds): one winner across processes."""
        now = now or utcnow()
        with self.transaction(single=True) as cur:
            cur.execute(
                "INSERT INTO events (event_key, created_at) VALUES (?, ?) ON CONFLICT (event_key) "
                "DO UPDATE SET created_at = excluded.created_at WHERE events.created_at < ?",
                (key[:200], self.to_db_time(now), self.to_db_time(now - dt.timedelta(seconds=ttl))),
            )
            return cur.rowcount == 1

    def record_claims(self, claims: Sequence[tuple[str, dt.datetime]]) -> None:
        """Write keys this process claimed on its own while the database was away, so every process sees them."""
        with self.transaction() as cur:
            cur.executemany(
                "INSERT INTO events (event_key, created_at) VALUES (?, ?) ON CONFLICT (event_key) DO NOTHING",
                [(key[:200], self.to_db_time(when)) for key, when in claims],
            )

    # --- members' nations and conversation context ----------------------------------------------------------
    def member_nation(self, user_hash: str) -> str | None:
        with self.transaction(single=True) as cur:
            row = cur.execute("SELECT nation FROM member_nations WHERE user_hash = ?", (user_hash,)).fetchone()
        return None if row is None else str(row[0])

    def write_nations(self, changes: Sequence[tuple[str, str | None, dt.datetime]]) -> None:
        """(fingerprint, nation or None to clear, when it was set); an older change never overwrites a newer one."""
        with self.transaction() as cur:
            cur.executemany(
                "INSERT INTO member_nations (user_hash, nation, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_hash) DO UPDATE SET nation = excluded.nation, updated_at = excluded.updated_at "
                "WHERE member_nations.updated_at <= excluded.updated_at",
                [(h, n, self.to_db_time(t)) for h, n, t in changes if n is not None],
            )
            cur.executemany(
                "DELETE FROM member_nations WHERE user_hash = ? AND updated_at <= ?",
                [(h, self.to_db_time(t)) for h, n, t in changes if n is None],
            )

    def context(self, key: str, *, now: dt.datetime | None = None) -> str | None:
        """The JSON text kept for a conversation's fingerprint, unless it has expired."""
        with self.transaction(single=True) as cur:
            row = cur.execute(
                "SELECT data FROM contexts WHERE context_key = ? AND expires_at > ?",
                (key, self.to_db_time(now or utcnow())),
            ).fetchone()
        return None if row is None else str(row[0])

    def write_contexts(self, contexts: Sequence[tuple[str, str, dt.datetime, dt.datetime]]) -> None:
        """(fingerprint, JSON text, when it was written, when it expires); the newest write wins."""
        with self.transaction() as cur:
            cur.executemany(
                "INSERT INTO contexts (context_key, data, updated_at, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (context_key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, "
                "expires_at = excluded.expires_at WHERE contexts.updated_at <= excluded.updated_at",
                [(k, d, self.to_db_time(u), self.to_db_time(e)) for k, d, u, e in contexts],
            )

    # --- housekeeping -------------------------------------------------------------------------------------
    def purge(
        self,
        before: dt.datetime,
        *,
        events_before: dt.datetime | None = None,
        now: dt.datetime | None = None,
    ) -> dict[str, int]:
        """Delete what RETENTION_DAYS no longer keeps (older than `before`), event keys older than a day and
        expired conversation context. Members' saved nations are kept."""
        now = now or utcnow()
        cutoffs = {table: before for table in RETAINED_TABLES}
        cutoffs["events"] = events_before or now - dt.timedelta(days=1)
        deleted = {}
        with self.transaction() as cur:
            for table, cutoff in cutoffs.items():
                cur.execute(f"DELETE FROM {table} WHERE created_at < ?", (self.to_db_time(cutoff),))
                deleted[table] = max(cur.rowcount, 0)
            cur.execute("DELETE FROM contexts WHERE expires_at <= ?", (self.to_db_time(now),))
            deleted["contexts"] = max(cur.rowcount, 0)
        return deleted

    # --- reading (the report) ---------------------------------------------------------------------------
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.transaction(write=False) as cur:
            return cur.execute(sql, params).fetchall()

    def count(self, table: str) -> int:
        if table not in (*TABLES, "schema_version"):
            raise ValueError(f"no table {table!r}")
        return int(self.fetchall(f"SELECT COUNT(*) FROM {table}")[0][0])

    def _period(self, start: dt.datetime, end: dt.datetime) -> tuple[Any, Any]:
        return self.to_db_time(start), self.to_db_time(end)

    def outcome_counts(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, int]]:
        """(outcome, surface, how many) for the questions asked in [start, end)."""
        return [
            (str(o), str(s), int(n))
            for o, s, n in self.fetchall(
                "SELECT outcome, surface, COUNT(*) FROM questions WHERE created_at >= ? AND created_at < ? "
                "GROUP BY outcome, surface ORDER BY outcome, surface",
                self._period(start, end),
            )
        ]

    def unanswered(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str | None, str, str | None, dt.datetime]]:
        """(question or None, outcome, declined, when) for the clarify and fallback questions in [start, end)."""
        rows = self.fetchall(
            "SELECT question, outcome, declined, created_at FROM questions WHERE created_at >= ? AND created_at < ? "
            "AND outcome IN ('clarify', 'fallback') ORDER BY created_at",
            self._period(start, end),
        )
        return [(q, o, d, self.from_db_time(t)) for q, o, d, t in rows]

    def feedback_rows(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str | None, str, bool, str | None]]:
        """(ref, entry, helpful, the question it answered) for the 👍/👎 given in [start, end)."""
        rows = self.fetchall(
            "SELECT f.ref, f.entry_id, f.helpful, q.question FROM feedback f LEFT JOIN questions q ON q.ref = f.ref "
            "WHERE f.created_at >= ? AND f.created_at < ? ORDER BY f.created_at",
            self._period(start, end),
        )
        return [(r, e, bool(h), q) for r, e, h, q in rows]

    def flag_rows(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str | None, str, str, str | None]]:
        """(ref, entry, reason, the question it answered) for the "not what I asked" flags raised in [start, end)."""
        rows = self.fetchall(
            "SELECT f.ref, f.entry_id, f.reason, q.question FROM flags f LEFT JOIN questions q ON q.ref = f.ref "
            "WHERE f.created_at >= ? AND f.created_at < ? ORDER BY f.created_at",
            self._period(start, end),
        )
        return [(r, e, str(why), q) for r, e, why, q in rows]

    def answers(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, int, dt.datetime, dt.datetime, int]]:
        """(entry, answers given, first, last, how many while its figures were past valid_until) in [start, end)."""
        rows = self.fetchall(
            "SELECT entry_id, COUNT(*), MIN(created_at), MAX(created_at), "
            "SUM(CASE WHEN stale THEN 1 ELSE 0 END) FROM questions "
            "WHERE created_at >= ? AND created_at < ? AND outcome = 'answer' AND entry_id IS NOT NULL "
            "GROUP BY entry_id ORDER BY entry_id",
            self._period(start, end),
        )
        return [(str(e), int(n), self.from_db_time(a), self.from_db_time(b), int(s or 0)) for e, n, a, b, s in rows]

    def questions_by_member(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[str, dt.datetime, str, str | None, str, str | None]]:
        """(member fingerprint, when, outcome, entry, surface, question) for every question in [start, end) whose
        member is known, in order of member then time: what "asked again right after an answer" is worked out from.
        """
        rows = self.fetchall(
            "SELECT user_hash, created_at, outcome, entry_id, surface, question FROM questions "
            "WHERE created_at >= ? AND created_at < ? AND user_hash IS NOT NULL ORDER BY user_hash, created_at",
            self._period(start, end),
        )
        return [(str(u), self.from_db_time(t), str(o), e, str(s), q) for u, t, o, e, s, q in rows]

    def choices_after_unanswered(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, str, str, str]]:
        """(ref, chosen entry, question, its outcome) for choices made in [start, end) after a clarify/fallback."""
        return [
            (str(r), str(e), str(q), str(o))
            for r, e, q, o in self.fetchall(
                "SELECT DISTINCT c.ref, c.entry_id, q.question, q.outcome FROM choices c "
                "JOIN questions q ON q.ref = c.ref WHERE c.created_at >= ? AND c.created_at < ? "
                "AND q.outcome IN ('clarify', 'fallback') AND q.question IS NOT NULL ORDER BY c.entry_id, q.question",
                self._period(start, end),
            )
        ]

    def choice_count(self, start: dt.datetime, end: dt.datetime) -> int:
        return int(
            self.fetchall(
                "SELECT COUNT(*) FROM choices WHERE created_at >= ? AND created_at < ?", self._period(start, end)
            )[0][0]
        )
