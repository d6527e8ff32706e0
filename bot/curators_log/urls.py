"""What a DATABASE_URL may look like, checked without touching any database (pure: no I/O).

The settings code calls `check_database_url` so that a mistyped URL stops the bot at start-up with a message that
names DATABASE_URL; an unreachable database, by contrast, is a transient fault the bot runs through. Messages never
repeat a PostgreSQL URL, which may hold a password.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.curators_log.schema import StorageError

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgres", "postgresql")
_SQLITE_SHAPE = "sqlite:////absolute/path/file.sqlite3 (four slashes) or sqlite:///relative/path/file.sqlite3"


def check_database_url(url: str) -> str | None:
    """None if `url` can be used as DATABASE_URL, otherwise a message that names DATABASE_URL and says why."""
    text = (url or "").strip()
    if not text:
        return (
            "DATABASE_URL is empty: leave it unset for the default SQLite file, or give a sqlite:/// or postgres:// URL"
        )
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme == "sqlite":
        return _check_sqlite(text)
    if scheme in POSTGRES_SCHEMES:
        return _check_postgres(text)
    shown = f"{scheme}:" if scheme else "no scheme"
    return f"DATABASE_URL must start with sqlite:///, postgres:// or postgresql:// (it has {shown})"


def _check_sqlite(url: str) -> str | None:
    if not url.startswith(SQLITE_PREFIX):
        return f"DATABASE_URL {url!r} is not a SQLite URL the bot can use: write {_SQLITE_SHAPE}"
    raw = url[len(SQLITE_PREFIX) :].split("?", 1)[0]
    if not raw or raw == ":memory:":
        return "DATABASE_URL must name a SQLite file (an in-memory database would lose the log at every restart)"
    if raw.endswith("/"):
        return f"DATABASE_URL {url!r} names a folder, not a file: write {_SQLITE_SHAPE}"
    return None


def _check_postgres(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or parse_qs(parts.query).get("host", [""])[0]
        if "," not in parts.netloc:
            _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return "DATABASE_URL is not a valid PostgreSQL URL (check the host, the port and any brackets)"
    if not url.split(":", 1)[1].startswith("//"):
        return "DATABASE_URL must look like postgres://user:password@host:5432/database"
    if not host:
        return "DATABASE_URL names no PostgreSQL host: it must look like postgres://user:password@host:5432/database"
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # the driver's own check is a bonus; opening the store reports a missing driver
        return None
    try:
        conninfo_to_dict(url)
    except Exception:  # its message repeats the URL, password and all
        return "DATABASE_URL is not a valid PostgreSQL URL"
    return None


def sqlite_path(url: str) -> Path:
    """`sqlite:///relative/file` or `sqlite:////absolute/file` (a `~` is expanded) -> the file's path."""
    problem = _check_sqlite(url)
    if problem:
        raise StorageError(problem, transient=False)
    return Path(url[len(SQLITE_PREFIX) :].split("?", 1)[0]).expanduser()
