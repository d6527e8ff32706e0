"""The SQLite back end: one file, nothing to install. WAL lets readers and one writer work at once across processes;
a writer that finds the file busy waits up to `timeout` seconds, then reports a transient error (and is retried).

The file holds members' questions, so it is private to the bot's user: created `0600` in a folder created
`0700` (SQLite gives its `-wal` and `-shm` files the database file's mode). A file of ours that others can read is
tightened and logged; a folder that already exists is left as it is, with a warning if others can list it.

If the file is deleted or replaced while the bot runs, connections opened before would go on writing into the old,
unlinked file, and every row would be lost. So each transaction first compares the file's identity (device and
inode) with its connection's; when they differ, it logs an ERROR, drops every pooled connection and opens the file
that is there now, creating it (schema included) if it is gone.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.curators_log.pool import Cursor, close_quietly
from bot.curators_log.schema import LATEST_VERSION, UTC
from bot.curators_log.store import Store
from bot.curators_log.urls import sqlite_path

__all__ = ["SqliteStore", "sqlite_path"]

log = logging.getLogger("bot.curators_log")

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
FILE_MODE = 0o600
FOLDER_MODE = 0o700
_SIDE_FILES = ("-wal", "-shm", "-journal")


class _Connection(sqlite3.Connection):
    """A connection that remembers which file (device, inode) it opened."""

    identity: tuple[int, int] | None = None


class SqliteStore(Store):
    kind = "sqlite"
    types = {"ts": "TEXT", "id": "INTEGER PRIMARY KEY AUTOINCREMENT", "bool": "INTEGER"}
    driver_error = sqlite3.Error
    # locked, busy, cannot open, disk I/O, read-only: all may pass; a constraint or SQL error will not.
    transient_errors = (sqlite3.OperationalError,)

    def __init__(self, path: str | Path, *, pool_size: int = 4, timeout: float = 1.0):
        self.path = Path(path).expanduser()
        self._identity: tuple[int, int] | None = None  # the file this store last opened
        self._changed = False  # a connection found its file gone or replaced (its inode may come back reused)
        self._identity_lock = threading.Lock()
        self._warned: set[str] = set()
        super().__init__(pool_size=pool_size, timeout=timeout)

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    # --- the file and its folder ----------------------------------------------------------------------
    def _warn_once(self, what: str, message: str, *args: object) -> None:
        if what not in self._warned:
            self._warned.add(what)
            log.warning(message, *args)

    def _prepare_folder(self) -> None:
        folder = self.path.parent
        if not folder.exists():
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=FOLDER_MODE, exist_ok=True)  # the umask can only take bits away from 0700
            return
        mode = folder.stat().st_mode
        if mode & 0o077:
            self._warn_once(
                "folder",
                "curators' log: the folder %s can be opened by other users (mode %o); the log file itself is "
                "private (0600), but consider chmod 700 on the folder",
                folder,
                stat.S_IMODE(mode),
            )

    def _create_file(self) -> bool:
        """Create the database file, private to this user, if it is missing; True if this call created it."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            return False
        os.close(fd)
        # Side files left by a database that was deleted would be replayed into the new one: they are not ours.
        for suffix in _SIDE_FILES:
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass
        return True

    def _tighten(self) -> None:
        """A log file of ours that other users can read (made by an older version) is made private."""
        for name in (str(self.path), *(f"{self.path}{s}" for s in _SIDE_FILES)):
            try:
                info = os.stat(name)
            except FileNotFoundError:
                continue
            if info.st_mode & 0o077 and info.st_uid == os.getuid():
                os.chmod(name, FILE_MODE)
                self._warn_once(name, "curators' log: %s could be read by other users; it is now private (0600)", name)

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return info.st_dev, info.st_ino

    # --- connections ----------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        self._prepare_folder()
        created = self._create_file()
        if not created:
            self._tighten()
        conn = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False, factory=_Connection
        )
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            identity = self._file_identity()
            conn.identity = identity
            with self._identity_lock:
                before, self._identity = self._identity, identity
                changed, self._changed = self._changed or (before is not None and before != identity), False
            if changed:
                log.error(
                    "curators' log: the SQLite file %s was %s while the bot was running; rows written since then "
                    "went into the old file. Now using the file that is there%s.",
                    self.path,
                    "deleted" if created else "replaced",
                    " (created again, with the schema)" if created else "",
                )
                self._migrate_connection(conn)
        except BaseException:
            close_quietly(conn)
            raise
        return conn

    def _migrate_connection(self, conn: sqlite3.Connection) -> None:
        with self._transaction(conn, write=True):
            self._migrate(Cursor(self, conn.cursor()), LATEST_VERSION)

    def _current(self, conn: _Connection) -> bool:
        if conn.identity is not None and conn.identity == self._file_identity():
            return True
        with self._identity_lock:
            self._changed = True
        return False

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
