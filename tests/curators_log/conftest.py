"""Every storage test runs on SQLite and on PostgreSQL.

PostgreSQL comes from DATABASE_TEST_URL (start one with `eval "$(.ci/postgres.sh)"`); each test gets a schema of
its own, dropped afterwards. Without DATABASE_TEST_URL the PostgreSQL half is skipped on a developer's machine and
fails when CI=true: in CI a missing PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import os
import uuid

import pytest

from bot.config import Settings
from bot.curators_log import open_recorder, open_store
from tests.storage.helpers import with_search_path

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
        values = {"DATABASE_URL": url or database_url, "USER_HASH_KEY": HASH_KEY, **env}
        return Settings.from_env(values, require_slack=False)

    return make


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
