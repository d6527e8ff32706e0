"""The schema is created and migrated on open, versioned in schema_version, and an older database keeps its rows."""

from __future__ import annotations

import datetime as dt

from bot.curators_log import LATEST_VERSION, MIGRATIONS, make_store
from tests.curators_log.helpers import make_reply


def test_migrations_are_an_ordered_list_ending_at_the_latest_version():
    versions = [v for v, _, _ in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    assert LATEST_VERSION == versions[-1] >= 2


def test_a_new_database_gets_every_version_once(make_settings, stores):
    store = stores(make_settings())
    assert store.schema_version() == LATEST_VERSION
    stores(make_settings())  # opening again changes nothing
    assert store.fetchall("SELECT version FROM schema_version ORDER BY version") == [(v,) for v, _, _ in MIGRATIONS]


def test_an_older_database_is_migrated_and_keeps_its_rows(database_url, make_settings, stores, recorders):
    old = make_store(database_url)
    assert old.migrate(upto=1) == 1
    when = old.to_db_time(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    with old.transaction() as cur:  # written by the version-1 code: no candidates or declined columns yet
        cur.execute(
            "INSERT INTO questions (ref, created_at, surface, outcome, entry_id, score, question, user_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("old-ref", when, "dm", "fallback", None, 12, "how do I claim mileage", None),
        )
        cur.execute(
            "INSERT INTO choices (created_at, ref, entry_id, surface, user_hash) VALUES (?, ?, ?, ?, ?)",
            (when, "old-ref", "expenses", "button", None),
        )
    old.close()

    recorder = recorders(make_settings())  # opening migrates
    store = stores(make_settings())
    assert store.schema_version() == LATEST_VERSION
    assert store.fetchall("SELECT ref, question, candidates, declined FROM questions") == [
        ("old-ref", "how do I claim mileage", None, None)
    ]
    # The new version's features work on the migrated database, next to the old rows.
    assert recorder.claim_event("Ev1") is True and recorder.claim_event("Ev1") is False
    recorder.record_question("dm", "band?", make_reply("clarify", candidates=["band-3", "band-4"]))
    assert recorder.flush()
    assert store.fetchall("SELECT candidates FROM questions WHERE ref <> 'old-ref'") == [("band-3 band-4",)]
    text = recorder.report_text()
    assert "how do I claim mileage" in text and 'expenses  <-  "how do I claim mileage"' in text
