"""Database calls from an event loop (`bounded_async`): taken together by one helper thread, each caller still gets
its own answer, and one call stuck on a dead connection does not hold up the calls after it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.curators_log.access import bounded_async
from bot.curators_log.schema import StorageError


def test_calls_made_together_each_get_their_own_value_or_error():
    def value(i: int):
        return lambda: i * i

    def failing():
        raise ValueError("not this one")

    async def main():
        calls = [bounded_async(value(i), 5.0, "a read") for i in range(50)]
        calls.insert(7, bounded_async(failing, 5.0, "a read"))
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results.pop(7), ValueError)
    assert results == [i * i for i in range(50)]


def test_a_stuck_call_times_out_and_the_calls_after_it_are_still_answered():
    release = threading.Event()

    def stuck():
        release.wait(10)
        return "too late"

    async def main():
        first = asyncio.ensure_future(bounded_async(stuck, 0.2, "a read"))
        await asyncio.sleep(0.05)  # the helper is now inside the stuck call
        queued = asyncio.ensure_future(bounded_async(lambda: "queued behind it", 5.0, "a read"))
        with pytest.raises(StorageError, match="did not answer within"):
            await first
        after = await bounded_async(lambda: "after it", 5.0, "a read")
        return await queued, after

    try:
        assert asyncio.run(main()) == ("queued behind it", "after it")
    finally:
        release.set()
