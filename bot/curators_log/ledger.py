"""The event ledger: was this delivery (a Slack event id, a Teams activity id) already handled?

Slack sends an event again when it did not see our acknowledgement in time, and the copy can reach any process.
`claim(key)` is True for the first delivery only. Every process keeps its own short memory of the keys it has
seen (a day, up to 100,000 keys, oldest out first), in front of the database:

- a copy that reaches the process that claimed the key is caught in memory, with no round trip;
- otherwise the database decides, once, across every process that shares it;
- while the database is away, the process decides from its memory alone and remembers what it claimed; when the
  database is back, the writer puts those keys in it, so that a later copy reaching another process (Slack
  retries after about 1 and 5 minutes) is not answered again.

`claim` never raises and never waits longer than its timeout.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Protocol

from bot.curators_log.access import DatabaseAccess, DatabaseSteps
from bot.curators_log.memory import Memory
from bot.curators_log.schema import UTC
from bot.curators_log.store import Store

EVENT_TTL = 86_400.0  # a key claimed less than a day ago is a repeat
EVENT_MEMORY = 100_000


class EventLedger(Protocol):
    def claim(self, key: str) -> bool:
        """True the first time `key` is claimed, False for a repeat (a retried delivery)."""
        ...


class MemoryLedger:
    """This process's memory only: right for one process, not for several (they would each answer a copy)."""

    def __init__(self, *, ttl: float = EVENT_TTL, capacity: int = EVENT_MEMORY, clock: Callable[[], float] = time.time):
        self.memory: Memory[bool] = Memory(capacity=capacity, ttl=ttl, clock=clock)

    def claim(self, key: str) -> bool:
        return self.memory.add(str(key)[:200], True, dirty=False)


class DatabaseLedger:
    """One winner per key across every process sharing the database; this process's memory in front and as the
    fallback."""

    def __init__(
        self,
        access: DatabaseAccess,
        *,
        ttl: float = EVENT_TTL,
        capacity: int = EVENT_MEMORY,
        clock: Callable[[], float] = time.time,
        timeout: float = 1.5,
    ):
        self._access = access
        self._ttl = ttl
        self._clock = clock
        self._timeout = timeout
        self.memory: Memory[bool] = Memory(capacity=capacity, ttl=ttl, clock=clock)

    def claim(self, key: str) -> bool:
        return self._access.run(self._claim(key))

    async def claim_async(self, key: str) -> bool:
        """`claim` for a caller on an event loop: the same answer, with the database asked from a helper thread
        (`DatabaseAccess.call_async`) and nothing else leaving the loop."""
        return await self._access.run_async(self._claim(key))

    def _claim(self, key: str) -> DatabaseSteps[bool]:
        """The claim, written once for both callers: the database call is yielded to whoever runs it."""
        key = str(key)[:200]
        decided = self._without_database(key)
        if decided is not None:
            return decided
        now = dt.datetime.fromtimestamp(self._clock(), UTC)
        try:
            won = yield (lambda s: s.claim(key, now=now, ttl=self._ttl)), self._timeout, "checking an event id"
        except Exception:  # logged by the runner; answer it rather than risk no answer at all
            return self.memory.add(key, True, dirty=True)
        self.memory.add(key, True, dirty=False)  # so a retry is caught here, even if the database goes away
        return bool(won)

    def _without_database(self, key: str) -> bool | None:
        """False for a key this process has seen (a retry); while the database is away, the memory's answer (the
        key kept to be written later); None when the database must decide."""
        if self.memory.get(key) is not None:
            return False  # this process has seen it: a retry
        if not self._access.usable():
            return self.memory.add(key, True, dirty=True)
        return None

    def has_unsynced(self) -> bool:
        return self.memory.has_dirty()

    def sync(self, store: Store) -> int:
        """Write the keys claimed while the database was away (the writer calls this); how many were written."""
        items = self.memory.dirty_items()
        if items:
            store.record_claims([(key, dt.datetime.fromtimestamp(item.at, UTC)) for key, item in items])
            self.memory.mark_clean(items)
        return len(items)
