"""The curators' log: what members asked, what the bot answered, and their 👍/👎, in SQLite or PostgreSQL.

    store = open_store(settings)         # for the report: raises StorageError if the database cannot be used
    recorder = open_recorder(settings)   # for the channels: never raises, never slows an answer

`DATABASE_URL` picks the back end: `sqlite:///path` (the default, under ~/.local/share/physio-career) or
`postgres://` / `postgresql://`. The schema is created and migrated on open; rows older than `RETENTION_DAYS`
are deleted on open and then hourly.
"""

from __future__ import annotations

import logging

from bot.curators_log.queued import DatabaseRecorder, hash_user
from bot.curators_log.store import LATEST_VERSION, MIGRATIONS, StorageError, Store

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "DatabaseRecorder",
    "StorageError",
    "Store",
    "hash_user",
    "make_store",
    "open_recorder",
    "open_store",
]

log = logging.getLogger("bot.curators_log")


def make_store(url: str, **options) -> Store:
    """The store for a DATABASE_URL, not yet connected (no I/O here). Options: pool_size, timeout."""
    if url.startswith("sqlite:"):
        from bot.curators_log.sqlite import SqliteStore, sqlite_path

        return SqliteStore(sqlite_path(url), **options)
    if url.startswith(("postgresql://", "postgres://")):
        from bot.curators_log.postgres import PostgresStore

        return PostgresStore(url, **options)
    raise StorageError("DATABASE_URL must start with sqlite:///, postgres:// or postgresql://", transient=False)


def open_store(settings, **options) -> Store:
    """Connect, create or migrate the schema, apply RETENTION_DAYS. Raises StorageError with a readable reason."""
    store = make_store(settings.database_url, **options)
    try:
        return store.open(retention_days=settings.retention_days)
    except BaseException:
        store.close()
        raise


def open_recorder(settings, **options) -> DatabaseRecorder:
    """The Recorder for the channels, following LOG_QUESTIONS, RETENTION_DAYS and the user-id hash key.

    It never raises: if the database cannot be reached now, it says so in the log, keeps answering, and keeps
    trying in the background. Options for tests: clock, queue_size, event_ttl, housekeeping_every, retry_after,
    claim_timeout, log_every, and the store's pool_size and timeout.
    """
    store_options = {k: options.pop(k) for k in ("pool_size", "timeout") if k in options}
    settings_options = {
        "log_questions": settings.log_questions,
        "hash_key": settings.hash_key,
        "retention_days": settings.retention_days,
    }
    pool_size = store_options.pop("pool_size", None) or max(2, min(getattr(settings, "threads", 4), 4))
    try:
        store = make_store(settings.database_url, pool_size=pool_size, **store_options)
    except StorageError as exc:
        log.error("curators' log: not recording questions: %s", exc)
        return DatabaseRecorder(None, broken_reason=str(exc), **settings_options, **options)
    return DatabaseRecorder(store, **settings_options, **options)
