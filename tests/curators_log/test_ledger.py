"""The event ledger: a retried delivery is answered once, by any process, before, during and after an outage (8.12)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.curators_log.ledger import MemoryLedger
from bot.curators_log.recorder import SafeRecorder
from tests.curators_log.helpers import FakeClock

KEYS = [f"Ev{i:03d}" for i in range(40)]


def test_retries_of_events_first_answered_during_an_outage_are_not_answered_again(outage, make_settings, recorders):
    first = recorders(make_settings(outage.url), retry_after=60)
    assert first.claim_event("Ev-before") is True

    outage.cut()
    assert [first.claim_event(k) for k in KEYS] == [True] * 40  # answered during the outage, from memory
    assert [first.claim_event(k) for k in KEYS] == [False] * 40  # and a retry then is caught in memory

    outage.restore()
    assert first.flush(timeout=30)  # the keys this process claimed on its own reach the database
    second = recorders(make_settings(outage.url))  # another process, where Slack's later retries may land
    assert [second.claim_event(k) for k in KEYS] == [False] * 40
    assert [first.claim_event(k) for k in KEYS] == [False] * 40
    assert second.claim_event("Ev-new") is True


def test_a_retry_reaching_the_process_that_claimed_it_needs_no_database(make_settings, recorders, stores):
    recorder = recorders(make_settings())
    assert recorder.claim_event("Ev1") is True
    with stores(make_settings()).transaction() as cur:  # the database no longer has it
        cur.execute("DELETE FROM events")
    started = time.perf_counter()
    assert recorder.claim_event("Ev1") is False  # this process remembers
    assert time.perf_counter() - started < 0.05


def test_a_process_remembers_a_key_another_process_claimed(make_settings, recorders, stores):
    first, second = recorders(make_settings()), recorders(make_settings())
    assert first.claim_event("Ev9") is True
    assert second.claim_event("Ev9") is False
    with stores(make_settings()).transaction() as cur:
        cur.execute("DELETE FROM events")
    assert second.claim_event("Ev9") is False


def test_the_memory_is_bounded_and_forgets_the_oldest_first():
    ledger = MemoryLedger(capacity=100)
    assert all(ledger.claim(f"k{i}") for i in range(150))
    assert len(ledger.memory) == 100
    assert ledger.claim("k149") is False  # recent: remembered
    assert ledger.claim("k0") is True  # the oldest were let go


def test_the_memory_forgets_after_its_ttl():
    clock = FakeClock()
    ledger = MemoryLedger(ttl=86_400, clock=clock)
    assert ledger.claim("Ev1") is True
    clock.advance(hours=23)
    assert ledger.claim("Ev1") is False
    clock.advance(hours=2)
    assert ledger.claim("Ev1") is True  # a day later it is a new delivery, not a retry


# --- from an event loop: `claim_event_async` gives the same answers, and a hung database never holds the loop ---
def claim_async(recorder, key: str) -> bool:
    return asyncio.run(SafeRecorder(recorder).claim_event_async(key))


def test_a_claim_from_an_event_loop_has_one_winner_across_processes(make_settings, recorders):
    first, second = recorders(make_settings()), recorders(make_settings())
    assert claim_async(first, "Ev1") is True
    assert claim_async(second, "Ev1") is False  # the database decided
    assert first.claim_event("Ev1") is False and claim_async(first, "Ev1") is False
    assert second.claim_event("Ev2") is True and claim_async(first, "Ev2") is False


def test_a_claim_from_an_event_loop_during_an_outage_is_kept_and_written_later(outage, make_settings, recorders):
    first = recorders(make_settings(outage.url), retry_after=60)
    outage.cut()
    assert [claim_async(first, k) for k in KEYS] == [True] * 40  # answered, from memory
    assert [claim_async(first, k) for k in KEYS] == [False] * 40  # a retry is caught
    outage.restore()
    assert first.flush(timeout=30)
    second = recorders(make_settings(outage.url))
    assert [claim_async(second, k) for k in KEYS] == [False] * 40


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_hung_database_leaves_the_event_loop_free_and_the_delivery_answered(outage, make_settings, recorders):
    recorder = SafeRecorder(recorders(make_settings(outage.url), retry_after=60, claim_timeout=0.5))
    outage.stall()  # connections stay open but nothing comes back

    async def main() -> tuple[bool, int]:
        ticks = 0
        claim = asyncio.ensure_future(recorder.claim_event_async("Ev-hung"))
        while not claim.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return claim.result(), ticks

    first, ticks = asyncio.run(main())
    assert first is True  # fails open: answered rather than lost
    assert ticks > 1  # the loop went on serving others while the database did not answer
    assert recorder.claim_event("Ev-hung") is False  # and a retry of it is caught, from memory
    outage.restore()
