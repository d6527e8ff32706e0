"""A mistyped DATABASE_URL is refused at configuration time, naming the setting; a good one is accepted (8.13)."""

from __future__ import annotations

import pytest

from bot.curators_log import StorageError, check_database_url, make_store

GOOD = [
    "sqlite:////var/lib/physio-career/log.sqlite3",
    "sqlite:///relative/log.sqlite3",
    "sqlite:///~/.local/share/physio-career/physio-career.sqlite3",
    "sqlite:////tmp/log.sqlite3?mode=rwc",
    "postgres://user:s3cret@db.example.com:5432/curators",
    "postgresql://user:s3cret@db.example.com/curators",
    "postgresql://db.example.com",
    "postgresql://[::1]:5432/curators",
    "postgresql:///curators?host=/var/run/postgresql",
    "postgresql://u:p@h1:5432,h2:5432/curators",
]
BAD = [
    "sqlite://relative.db",
    "sqlite:relative.db",
    "sqlite:///",
    "sqlite:///:memory:",
    "sqlite:////var/lib/physio-career/",
    "mysql://user:s3cret@db.example.com/curators",
    "http://example.com/db",
    "curators.sqlite3",
    "",
    "postgres://",
    "postgresql://",
    "postgresql:///curators",
    "postgres://user:s3cret@/curators",
    "postgresql://user:s3cret@[::1/curators",
    "postgresql://user:s3cret@db.example.com:fivefourthreetwo/curators",
]


@pytest.mark.parametrize("url", GOOD)
def test_good_urls_pass(url):
    assert check_database_url(url) is None


@pytest.mark.parametrize("url", BAD)
def test_mistyped_urls_are_refused_with_a_message_naming_the_setting(url):
    message = check_database_url(url)
    assert message is not None and "DATABASE_URL" in message
    assert "s3cret" not in message  # a PostgreSQL URL may hold a password: it is never repeated


@pytest.mark.parametrize("url", BAD)
def test_the_store_refuses_them_as_permanent(url):
    with pytest.raises(StorageError) as caught:
        make_store(url)
    assert caught.value.transient is False
    assert "DATABASE_URL" in str(caught.value) and "s3cret" not in str(caught.value)


def test_an_unreachable_database_is_not_a_mistyped_one():
    # Reachability is a run-time matter (the bot keeps answering and retries); the check does no I/O.
    assert check_database_url("postgresql://postgres@127.0.0.1:1/nowhere") is None
    assert make_store("postgresql://postgres@127.0.0.1:1/nowhere").describe().startswith("PostgreSQL database")
