"""The SQLite file: private to the bot's user (8.8), and never written into the void when deleted or replaced while
the bot runs (8.11)."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat

import pytest

from tests.curators_log.conftest import settings_for
from tests.curators_log.helpers import make_reply


@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # the usual default, under which files come out world-readable
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def sqlite_settings(path):
    return settings_for(f"sqlite:///{path}")


def test_a_new_log_is_private_to_the_bot_user(tmp_path, recorders, umask_022):
    path = tmp_path / "data" / "physio-career" / "log.sqlite3"
    recorder = recorders(sqlite_settings(path))
    recorder.record_question("dm", "band 5", make_reply("answer", "band-5"))
    assert recorder.flush()
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    for side in ("-wal", "-shm"):
        assert mode(f"{path}{side}") == 0o600  # SQLite gives them the database file's mode


def test_a_readable_log_of_ours_is_made_private_and_a_shared_folder_is_only_warned_about(
    tmp_path, stores, umask_022, caplog
):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    path = folder / "log.sqlite3"
    sqlite3.connect(path).close()  # made by an older version: -rw-r--r--
    os.chmod(path, 0o644)
    caplog.set_level(logging.WARNING, logger="bot.curators_log")
    stores(sqlite_settings(path))
    assert mode(path) == 0o600
    assert mode(folder) == 0o755  # the folder is the operator's: left alone ...
    assert "can be opened by other users" in caplog.text  # ... but they are told
    assert "could be read by other users; it is now private" in caplog.text


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_rows_written_after_the_file_is_deleted_or_replaced_land_in_the_new_file(
    tmp_path, recorders, stores, caplog, how
):
    path = tmp_path / "log.sqlite3"
    settings = sqlite_settings(path)
    recorder = recorders(settings)
    for i in range(40):
        recorder.record_question("dm", f"before {i}", make_reply("fallback"))
    assert recorder.claim_event("Ev-before")
    assert recorder.flush()

    caplog.set_level(logging.ERROR, logger="bot.curators_log")
    if how == "deleted":
        for name in (path, f"{path}-wal", f"{path}-shm"):
            if os.path.exists(name):
                os.unlink(name)
    else:  # a copy restored over it: a different file at the same path
        other = tmp_path / "other.sqlite3"
        stores(sqlite_settings(other)).close()
        os.replace(other, path)

    for i in range(90):
        recorder.record_question("dm", f"after {i}", make_reply("fallback"))
        recorder.record_feedback(None, "band-4", False)
    assert recorder.flush(timeout=10)

    store = stores(settings)
    assert store.fetchall("SELECT COUNT(*) FROM questions WHERE question LIKE 'after %'") == [(90,)]
    assert store.count("feedback") == 90
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and f"was {how} while the bot was running" in errors[0]
    # Everything else keeps working on the new file.
    assert recorder.claim_event("Ev-after") is True and recorder.claim_event("Ev-after") is False
