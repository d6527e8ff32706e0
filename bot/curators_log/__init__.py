"""The curators' log: what members asked, what the bot answered, their 👍/👎 and flags, and the little state the
conversation keeps (a member's nation, a conversation's context, which deliveries were handled), in SQLite or
PostgreSQL.

    recorder = open_recorder(settings)   # for the channels: never raises, never slows an answer
    store = open_store(settings)         # for the report: raises StorageError if the database cannot be used
    problem = check_database_url(url)    # for the settings: None, or a message naming DATABASE_URL

`DATABASE_URL` picks the back end: `sqlite:///path` (the default, under ~/.local/share/physio-career) or
`postgres://` / `postgresql://`. The schema is created and migrated on open; rows older than `RETENTION_DAYS`
are deleted on open and then hourly.

Inside the package:

    recorder.py   Recorder (the interface), NullRecorder, SafeRecorder and `guarded`, the one never-raise guard
    queued.py     DatabaseRecorder: the Recorder on a database, with its queue and background writer
    ledger.py     the event ledger that spots repeated deliveries (MemoryLedger, DatabaseLedger)
    state.py      members' saved nations and conversation contexts
    memory.py     the bounded, expiring in-process memory those stand on
    access.py     bounded calls to a database that may be down, and throttled warnings
    store.py      Store: every query; sqlite.py and postgres.py, the back ends; pool.py, their connections
    schema.py     the schema's migrations, the rows, StorageError
    urls.py       what a DATABASE_URL may look like
    redact.py     personal details taken out of questions; hash_user for ids
    report.py     the curators' report
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from bot.curators_log.queued import DatabaseRecorder
from bot.curators_log.recorder import NOT_WHAT_I_ASKED, UNAVAILABLE, NullRecorder, Recorder, SafeRecorder, guarded
from bot.curators_log.redact import hash_user
from bot.curators_log.report import NONE_OF_THESE
from bot.curators_log.schema import LATEST_VERSION, MIGRATIONS, StorageError
from bot.curators_log.store import Store
from bot.curators_log.urls import check_database_url

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "NONE_OF_THESE",
    "NOT_WHAT_I_ASKED",
    "UNAVAILABLE",
    "DatabaseRecorder",
    "LogSettings",
    "NullRecorder",
    "Recorder",
    "SafeRecorder",
    "StorageError",
    "Store",
    "check_database_url",
    "guarded",
    "hash_user",
    "make_store",
    "open_recorder",
    "open_store",
]

log = logging.getLogger("bot.curators_log")


class LogSettings(Protocol):
    """The settings the log reads (bot.config.Settings has them all)."""

    @property
    def database_url(self) -> str: ...
    @property
    def log_questions(self) -> bool: ...
    @property
    def retention_days(self) -> int: ...
    @property
    def hash_key(self) -> str: ...


def make_store(url: str, **options: Any) -> Store:
    """The store for a DATABASE_URL, not yet connected (no I/O here). Options: pool_size, timeout.

    Raises StorageError(transient=False) for a URL that can never work (the same cases as check_database_url).
    """
    problem = check_database_url(url)
    if problem:
        raise StorageError(problem, transient=False)
    if url.strip().lower().startswith("sqlite:"):
        from bot.curators_log.sqlite import SqliteStore, sqlite_path

        return SqliteStore(sqlite_path(url.strip()), **options)
    from bot.curators_log.postgres import PostgresStore

    return PostgresStore(url.strip(), **options)


def open_store(settings: LogSettings, **options: Any) -> Store:
    """Connect, create or migrate the schema, apply RETENTION_DAYS. Raises StorageError with a readable reason."""
    store = make_store(settings.database_url, **options)
    try:
        return store.open(retention_days=settings.retention_days)
    except BaseException:
        store.close()
        raise


def open_recorder(settings: LogSettings, **options: Any) -> Recorder:
    """The Recorder for the channels, following LOG_QUESTIONS, RETENTION_DAYS and the user-id hash key.

    It never raises: if the database cannot be reached now, it says so in the log, keeps answering, and keeps
    trying in the background. A DATABASE_URL that can never work (the settings check should have stopped it)
    gives a NullRecorder that says why. Options (mostly for tests): clock, queue_size, event_ttl, event_memory,
    context_ttl, member_memory, housekeeping_every, retry_after, max_pause, claim_timeout, log_every, gather
    (seconds the writer waits for more rows to write with the first one), and the store's pool_size and timeout.
    """
    store_options = {k: options.pop(k) for k in ("pool_size", "timeout") if k in options}
    pool_size = store_options.pop("pool_size", None) or max(2, min(int(getattr(settings, "threads", 4)), 4))
    try:
        store = make_store(settings.database_url, pool_size=pool_size, **store_options)
    except StorageError as exc:
        log.error("curators' log: not recording questions: %s", exc)
        return NullRecorder(str(exc))
    return DatabaseRecorder(
        store,
        log_questions=settings.log_questions,
        hash_key=settings.hash_key,
        retention_days=settings.retention_days,
        **options,
    )
