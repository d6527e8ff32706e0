"""What the conversation core keeps: a member's saved nation (B1) and a conversation's context (B2)."""

from __future__ import annotations

import asyncio
import logging

from bot.curators_log import hash_user
from bot.curators_log.recorder import SafeRecorder
from tests.curators_log.conftest import HASH_KEY
from tests.curators_log.helpers import FakeClock

MEMBER = "U0NATION01"
CONVERSATION = "D0CONV0001:1733131200.000100"


def everything(store) -> str:
    tables = ("questions", "feedback", "choices", "flags", "events", "member_nations", "contexts")
    return repr([store.fetchall(f"SELECT * FROM {t}") for t in tables])


# --- a member's nation ----------------------------------------------------------------------------------------
def test_a_saved_nation_is_shared_by_every_process_and_kept_under_the_fingerprint_only(
    make_settings, recorders, stores
):
    first, second = recorders(make_settings()), recorders(make_settings())
    assert first.member_nation(MEMBER) is None
    first.set_member_nation(MEMBER, "scotland")
    assert first.member_nation(MEMBER) == "scotland"  # at once, before it is written
    assert first.flush()
    assert second.member_nation(MEMBER) == "scotland"
    second.set_member_nation(MEMBER, "northern-ireland")
    assert second.flush()
    assert first.member_nation(MEMBER) == "northern-ireland"

    store = stores(make_settings())
    assert store.fetchall("SELECT user_hash, nation FROM member_nations") == [
        (hash_user(HASH_KEY, MEMBER), "northern-ireland")
    ]
    assert MEMBER not in everything(store)


def test_clearing_a_nation_deletes_it(make_settings, recorders, stores):
    recorder = recorders(make_settings())
    recorder.set_member_nation(MEMBER, "wales")
    assert recorder.flush()
    recorder.set_member_nation(MEMBER, None)
    assert recorder.member_nation(MEMBER) is None
    assert recorder.flush()
    assert stores(make_settings()).count("member_nations") == 0
    assert recorders(make_settings()).member_nation(MEMBER) is None


def test_only_the_four_nations_are_saved(make_settings, recorders):
    recorder = recorders(make_settings())
    recorder.set_member_nation(MEMBER, "england")
    recorder.set_member_nation(MEMBER, "narnia")  # refused, never raised
    assert recorder.member_nation(MEMBER) == "england"


def test_a_saved_nation_outlives_question_retention(make_settings, recorders, stores):
    clock = FakeClock()
    settings = make_settings(RETENTION_DAYS="1")
    recorder = recorders(settings, clock=clock)
    recorder.set_member_nation(MEMBER, "wales")
    assert recorder.flush()
    clock.advance(days=5)  # the hourly clean-up is due, and the nation was saved 5 days ago
    recorder.record_feedback(None, "band-4", True)
    assert recorder.flush()
    assert recorders(settings).member_nation(MEMBER) == "wales"
    assert stores(settings).count("member_nations") == 1


def test_while_the_database_is_away_a_nation_lives_in_memory_and_is_written_later(outage, make_settings, recorders):
    recorder = recorders(make_settings(outage.url), retry_after=60)
    recorder.set_member_nation("U0EARLIER", "england")
    assert recorder.flush()
    outage.cut()
    recorder.set_member_nation(MEMBER, "wales")
    assert recorder.member_nation(MEMBER) == "wales"
    assert recorder.member_nation("U0EARLIER") in ("england", None)  # never an error, never a wait
    outage.restore()
    assert recorder.flush(timeout=30)
    assert recorders(make_settings(outage.url)).member_nation(MEMBER) == "wales"


def test_without_a_hash_key_nothing_about_a_member_is_written(make_settings, recorders, stores):
    settings = make_settings(USER_HASH_KEY="")
    recorder = recorders(settings)
    recorder.set_member_nation(MEMBER, "scotland")
    recorder.put_context(CONVERSATION, {"entry": "band-4"})
    assert recorder.member_nation(MEMBER) == "scotland"  # this process's memory
    assert recorder.get_context(CONVERSATION) == {"entry": "band-4"}
    assert recorder.flush()
    store = stores(settings)
    assert store.count("member_nations") == store.count("contexts") == 0


# --- a conversation's context ---------------------------------------------------------------------------------
def test_a_context_is_shared_by_every_process_and_keyed_by_a_fingerprint(make_settings, recorders, stores):
    first, second = recorders(make_settings()), recorders(make_settings())
    data = {"entry": "band-4", "nation": "wales", "facet": "pay"}
    first.put_context(CONVERSATION, data)
    assert first.get_context(CONVERSATION) == data
    assert first.flush()
    assert second.get_context(CONVERSATION) == data
    second.put_context(CONVERSATION, {"entry": "band-5"})
    assert second.flush()
    assert first.get_context(CONVERSATION) == {"entry": "band-5"}
    assert first.get_context("D0OTHER") is None
    text = everything(stores(make_settings()))
    assert "D0CONV0001" not in text and "1733131200" not in text


def test_a_context_expires_and_housekeeping_deletes_it(make_settings, recorders, stores):
    clock = FakeClock()
    recorder = recorders(make_settings(), clock=clock, context_ttl=1800)
    recorder.put_context(CONVERSATION, {"entry": "band-4"})
    assert recorder.flush()
    clock.advance(minutes=29)
    assert recorder.get_context(CONVERSATION) == {"entry": "band-4"}
    clock.advance(minutes=2)
    assert recorder.get_context(CONVERSATION) is None
    clock.advance(hours=1)  # the hourly clean-up
    recorder.record_feedback(None, "band-4", True)
    assert recorder.flush()
    assert stores(make_settings()).count("contexts") == 0


def test_a_context_over_a_kilobyte_is_refused(make_settings, recorders, caplog):
    caplog.set_level(logging.WARNING, logger="bot.curators_log")
    recorder = recorders(make_settings())
    recorder.put_context(CONVERSATION, {"entry": "band-4"})
    recorder.put_context(CONVERSATION, {"notes": "sarah jones " * 200})
    recorder.put_context(CONVERSATION, ["not", "a", "dict"])  # type: ignore[arg-type]
    assert recorder.get_context(CONVERSATION) == {"entry": "band-4"}
    assert "bytes was not kept" in caplog.text and "sarah" not in caplog.text


def test_while_the_database_is_away_a_context_lives_in_memory(outage, make_settings, recorders):
    recorder = recorders(make_settings(outage.url), retry_after=60)
    assert recorder.claim_event("Ev-before")
    outage.cut()
    recorder.put_context(CONVERSATION, {"entry": "band-4"})
    assert recorder.get_context(CONVERSATION) == {"entry": "band-4"}
    outage.restore()
    assert recorder.flush(timeout=30)
    assert recorders(make_settings(outage.url)).get_context(CONVERSATION) == {"entry": "band-4"}


# --- read from an event loop: the same values, with the database asked from a helper thread ------------------
def on_loop(read, *args):
    return asyncio.run(read(*args))


def test_from_an_event_loop_a_nation_and_a_context_read_the_same_as_from_a_thread(make_settings, recorders):
    first, second = recorders(make_settings()), SafeRecorder(recorders(make_settings()))
    assert on_loop(second.member_nation_async, MEMBER) is None
    first.set_member_nation(MEMBER, "wales")
    first.put_context(CONVERSATION, {"entry": "band-4"})
    assert first.flush()
    assert on_loop(second.member_nation_async, MEMBER) == "wales"  # what another process saved
    assert on_loop(second.get_context_async, CONVERSATION) == {"entry": "band-4"}
    assert on_loop(second.get_context_async, "D0OTHER") is None


def test_from_an_event_loop_while_the_database_is_away_the_memory_answers(outage, make_settings, recorders):
    recorder = SafeRecorder(recorders(make_settings(outage.url), retry_after=60))
    assert recorder.claim_event("Ev-before")
    outage.cut()
    recorder.set_member_nation(MEMBER, "scotland")
    recorder.put_context(CONVERSATION, {"entry": "band-5"})
    assert on_loop(recorder.member_nation_async, MEMBER) == "scotland"
    assert on_loop(recorder.get_context_async, CONVERSATION) == {"entry": "band-5"}
    assert on_loop(recorder.member_nation_async, "U0NEVERSEEN") is None  # never an error
    outage.restore()
