"""Every storage test runs on SQLite and on PostgreSQL.

PostgreSQL comes from DATABASE_TEST_URL (start one with `eval "$(.ci/postgres.sh)"`); each test gets a schema of
its own, dropped afterwards. Without DATABASE_TEST_URL the PostgreSQL half is skipped on a developer's machine and
fails when CI=true: in CI a missing PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.config import Settings
from bot.curators_log import open_recorder, open_store
from tests.curators_log.helpers import TcpProxy, with_search_path

HASH_KEY = "test-hash-key"


def postgres_base_url() -> str:
    url = (os.environ.get("DATABASE_TEST_URL") or "").strip()
    if not url:
        if (os.environ.get("CI") or "").strip().lower() == "true":
            pytest.fail("CI=true but DATABASE_TEST_URL is not set: run .ci/postgres.sh before the tests")
        pytest.skip('DATABASE_TEST_URL is not set; run: eval "$(.ci/postgres.sh)"')
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, tmp_path):
    """A DATABASE_URL of an empty database of the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'curators.sqlite3'}"
        return
    import psycopg

    base = postgres_base_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield with_search_path(base, schema)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def make_settings(database_url):
    """Settings read from environment variables, as the app reads them: make_settings(LOG_QUESTIONS="false")."""

    def make(url: str | None = None, **env: str) -> Settings:
        return settings_for(url or database_url, **env)

    return make


def settings_for(url: str, **env: str) -> Settings:
    """Settings read from environment variables, as the app reads them."""
    return Settings.from_env({"DATABASE_URL": url, "USER_HASH_KEY": HASH_KEY, **env})


@pytest.fixture
def recorders():
    """Opens recorders (open_recorder's arguments) and closes every one at the end of the test."""
    opened = []

    def make(settings: Settings, **options):
        recorder = open_recorder(settings, **options)
        opened.append(recorder)
        return recorder

    yield make
    for recorder in opened:
        recorder.close(timeout=2.0)


@pytest.fixture
def stores():
    opened = []

    def make(settings: Settings, **options):
        store = open_store(settings, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


class Outage:
    """A way to take the database away from a running recorder, and to give it back."""

    def __init__(
        self,
        url: str,
        cut: Callable[[], None],
        restore: Callable[[], None],
        stall: Callable[[], None] | None = None,
    ):
        self.url, self.cut, self.restore, self.stall = url, cut, restore, stall


@pytest.fixture
def outage(backend, database_url):
    if backend == "sqlite":
        path = database_url[len("sqlite:///") :]
        holder: list[sqlite3.Connection] = []

        def lock() -> None:  # another process holds the write lock and does not let go
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            holder.append(conn)

        def unlock() -> None:
            while holder:
                conn = holder.pop()
                conn.execute("ROLLBACK")
                conn.close()

        yield Outage(database_url, lock, unlock)
        unlock()
        return
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    netloc = f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
    yield Outage(urlunsplit(parts._replace(netloc=netloc)), proxy.cut, proxy.restore, proxy.stall)
    proxy.restore()
    proxy.close()
