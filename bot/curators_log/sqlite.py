"""The SQLite back end: one file, nothing to install. WAL lets readers and one writer work at once across processes;
a writer that finds the file busy waits up to `timeout` seconds, then reports a transient error (and is retried)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.curators_log.store import UTC, StorageError, Store

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def sqlite_path(url: str) -> Path:
    """`sqlite:///relative/file` or `sqlite:////absolute/file` (a `~` is expanded) -> the file's path."""
    if not url.startswith("sqlite:///"):
        raise StorageError("a SQLite DATABASE_URL looks like sqlite:////absolute/path/file.sqlite3", transient=False)
    raw = url[len("sqlite:///") :].split("?", 1)[0]
    if not raw or raw == ":memory:":
        raise StorageError("DATABASE_URL must name a SQLite file (an in-memory database is not kept)", transient=False)
    return Path(raw).expanduser()


class SqliteStore(Store):
    kind = "sqlite"
    types = {"ts": "TEXT", "id": "INTEGER PRIMARY KEY AUTOINCREMENT", "bool": "INTEGER"}
    driver_error = sqlite3.Error
    # locked, busy, cannot open, disk I/O, read-only: all may pass; a constraint or SQL error will not.
    transient_errors = (sqlite3.OperationalError,)

    def __init__(self, path: str | Path, *, pool_size: int = 4, timeout: float = 1.0):
        self.path = Path(path).expanduser()
        super().__init__(pool_size=pool_size, timeout=timeout)

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection, write: bool) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so a writer waits its turn instead of failing half-way.
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def to_db_time(self, value: dt.datetime) -> str:
        return value.astimezone(UTC).strftime(_TIME_FORMAT)

    def from_db_time(self, value: str) -> dt.datetime:
        return dt.datetime.fromisoformat(value).replace(tzinfo=UTC)
