"""What the conversation core keeps between messages: a member's saved nation and a conversation's context.

Both are keyed by a keyed fingerprint (HMAC-SHA256 with the hash key), never by a raw member or conversation id,
and both work across processes through the database. A write goes into this process's memory at once and the
background writer puts it in the database (so a member's request never waits on a write); a read asks the
database within a short timeout and falls back to the memory while the database is away. Without a hash key
nothing is written to the database at all: the values live in this process's memory only, under a key made up
for the process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import secrets
import time
from collections.abc import Callable
from typing import Any

from bot.brain.nations import NATIONS
from bot.curators_log.access import DatabaseAccess, DatabaseSteps
from bot.curators_log.memory import Memory
from bot.curators_log.redact import fingerprint, hash_user
from bot.curators_log.schema import UTC
from bot.curators_log.store import Store

log = logging.getLogger("bot.curators_log")

CONTEXT_TTL = 1800.0
CONTEXT_LIMIT = 1024  # bytes of JSON: an entry id, a nation, a facet
MEMORY_SIZE = 10_000


def _when(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, UTC)


class MemberNations:
    """A member's UK nation ("england", "scotland", "wales", "northern-ireland"), kept until they clear it."""

    def __init__(
        self,
        access: DatabaseAccess,
        *,
        hash_key: str,
        clock: Callable[[], float] = time.time,
        timeout: float = 1.5,
        capacity: int = MEMORY_SIZE,
    ):
        self._access = access
        self._persist = bool(hash_key)
        self._key = hash_key or secrets.token_hex(32)
        self._timeout = timeout
        # Values read from the database are kept a day (used only while it is away); a change not yet written
        # is kept until it is.
        self.memory: Memory[str | None] = Memory(capacity=capacity, ttl=86_400.0, clock=clock)

    def get(self, user_id: str | None) -> str | None:
        return self._access.run(self._get(user_id))

    async def get_async(self, user_id: str | None) -> str | None:
        """`get` from an event loop: the database is asked from a helper thread."""
        return await self._access.run_async(self._get(user_id))

    def _get(self, user_id: str | None) -> DatabaseSteps[str | None]:
        if not user_id:
            return None
        key = hash_user(self._key, user_id) or ""
        item = self.memory.get(key)
        if item is not None and (item.dirty or not self._persist):
            return item.value  # this process's latest change, not in the database yet
        if self._persist and self._access.usable():
            try:
                nation = yield (lambda s: s.member_nation(key)), self._timeout, "reading a member's nation"
            except Exception:  # logged by call()
                return None if item is None else item.value
            self.memory.put(key, nation, dirty=False)
            return nation
        return None if item is None else item.value

    def set(self, user_id: str | None, nation: str | None) -> None:
        if not user_id:
            return
        if nation is not None and nation not in NATIONS:
            raise ValueError(f"a nation is one of {', '.join(NATIONS)} or None")
        key = hash_user(self._key, user_id) or ""
        self.memory.put(key, nation, dirty=self._persist, ttl=math.inf)

    def has_unsynced(self) -> bool:
        return self.memory.has_dirty()

    def sync(self, store: Store) -> int:
        items = self.memory.dirty_items()
        if items:
            store.write_nations([(key, item.value, _when(item.at)) for key, item in items])
            self.memory.mark_clean(items)
        return len(items)


ESCALATION_TTL = 14 * 24 * 3600.0  # a question sent to the help channel can be answered for two weeks


class Contexts:
    """Small JSON kept per conversation for follow-up questions, for `ttl` seconds after it was last written."""

    def __init__(
        self,
        access: DatabaseAccess,
        *,
        hash_key: str,
        clock: Callable[[], float] = time.time,
        timeout: float = 1.5,
        ttl: float = CONTEXT_TTL,
        capacity: int = MEMORY_SIZE,
        limit: int = CONTEXT_LIMIT,
    ):
        self._access = access
        self._persist = bool(hash_key)
        self._key = hash_key or secrets.token_hex(32)
        self._clock = clock
        self._timeout = timeout
        self.ttl = ttl
        self.limit = limit
        self.memory: Memory[str] = Memory(capacity=capacity, ttl=ttl, clock=clock)

    def _fingerprint(self, conversation_id: str) -> str:
        return fingerprint(self._key, "conversation", conversation_id)

    def get(self, conversation_id: str | None) -> dict[str, Any] | None:
        return self._access.run(self._get(conversation_id))

    async def get_async(self, conversation_id: str | None) -> dict[str, Any] | None:
        """`get` from an event loop: the database is asked from a helper thread."""
        return await self._access.run_async(self._get(conversation_id))

    def _get(self, conversation_id: str | None) -> DatabaseSteps[dict[str, Any] | None]:
        if not conversation_id:
            return None
        key = self._fingerprint(conversation_id)
        item = self.memory.get(key)
        text = None if item is None else item.value
        if (item is None or not item.dirty) and self._persist and self._access.usable():
            now = _when(self._clock())
            try:
                text = yield (lambda s: s.context(key, now=now)), self._timeout, "reading a context"
            except Exception:  # noqa: S110 - logged by call(); the memory is the best we have
                pass
        if text is None:
            return None
        data = json.loads(text)
        return data if isinstance(data, dict) else None

    def put(self, conversation_id: str | None, data: dict[str, Any]) -> None:
        if not conversation_id:
            return
        if not isinstance(data, dict):
            raise TypeError("a conversation context is a dict")
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        size = len(text.encode())
        if size > self.limit:
            log.warning(
                "curators' log: a conversation context of %d bytes was not kept (the limit is %d)", size, self.limit
            )
            return
        self.memory.put(self._fingerprint(conversation_id), text, dirty=self._persist)

    def has_unsynced(self) -> bool:
        return self.memory.has_dirty()

    def sync(self, store: Store) -> int:
        items = self.memory.dirty_items()
        if items:
            store.write_contexts([(k, i.value, _when(i.at), _when(i.at + self.ttl)) for k, i in items])
            self.memory.mark_clean(items)
        return len(items)
