"""A process's own short memory: a thread-safe map, bounded in size (oldest out first), whose entries expire.

It stands in front of the database (a retried event this process already claimed needs no round trip) and
stands in for it while it is away: an entry is `dirty` until the writer has put it in the database.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass
class Item(Generic[V]):
    value: V
    at: float  # when it was put (the clock's seconds)
    expires: float
    dirty: bool  # not yet in the database
    version: int


class Memory(Generic[V]):
    """At most `capacity` entries, each kept `ttl` seconds of `clock` (by default; `put` can say otherwise)."""

    def __init__(self, *, capacity: int, ttl: float, clock: Callable[[], float]):
        self.capacity = max(1, capacity)
        self.ttl = ttl
        self._clock = clock
        self._items: dict[str, Item[V]] = {}  # in the order they were put: the oldest first
        self._dirty_keys: dict[str, None] = {}  # the dirty ones among them, in the same order
        self._version = 0
        self.lost = 0  # dirty entries pushed out by newer ones before the database took them
        self._lock = threading.Lock()
        ref = weakref.ref(self)

        def after_fork() -> None:
            memory = ref()
            if memory is not None:
                memory._after_fork()

        os.register_at_fork(after_in_child=after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()  # a parent's thread may have held it at the fork

    def __len__(self) -> int:
        return len(self._items)

    def has_dirty(self) -> bool:
        return bool(self._dirty_keys)

    def get(self, key: str) -> Item[V] | None:
        now = self._clock()
        with self._lock:
            item = self._items.get(key)
            if item is not None and item.expires <= now:
                self._drop(key)
                return None
            return item

    def put(self, key: str, value: V, *, dirty: bool, ttl: float | None = None) -> None:
        with self._lock:
            self._put(key, value, dirty, ttl)

    def add(self, key: str, value: V, *, dirty: bool) -> bool:
        """Put `key` unless it is already there and fresh: True if it was added (a first claim)."""
        now = self._clock()
        with self._lock:
            item = self._items.get(key)
            if item is not None and item.expires > now:
                return False
            self._put(key, value, dirty, None)
            return True

    def dirty_items(self, limit: int = 1000) -> list[tuple[str, Item[V]]]:
        """Up to `limit` entries the database does not have yet, oldest first (expired ones are dropped)."""
        now = self._clock()
        out: list[tuple[str, Item[V]]] = []
        with self._lock:
            if not self._dirty_keys:
                return out
            for key in list(self._dirty_keys):  # not every entry: the writer asks after every batch
                item = self._items[key]
                if item.expires <= now:
                    self._drop(key)
                    continue
                out.append((key, Item(item.value, item.at, item.expires, True, item.version)))
                if len(out) >= limit:
                    break
        return out

    def mark_clean(self, written: list[tuple[str, Item[V]]]) -> None:
        """The database now has these; an entry changed since it was read stays dirty."""
        with self._lock:
            for key, seen in written:
                item = self._items.get(key)
                if item is not None and item.dirty and item.version == seen.version:
                    item.dirty = False
                    self._dirty_keys.pop(key, None)

    # --- with the lock held -----------------------------------------------------------------------------
    def _put(self, key: str, value: V, dirty: bool, ttl: float | None) -> None:
        now = self._clock()
        keep = self.ttl if ttl is None else ttl
        self._drop(key)
        self._version += 1
        expires = math.inf if math.isinf(keep) else now + keep
        self._items[key] = Item(value, now, expires, dirty, self._version)
        if dirty:
            self._dirty_keys[key] = None
        while len(self._items) > self.capacity:
            oldest = next(iter(self._items))
            self.lost += self._items[oldest].dirty
            self._drop(oldest)
        while self._items:  # expired entries at the front go now; others when they are next read
            oldest = next(iter(self._items))
            if self._items[oldest].expires > now:
                break
            self._drop(oldest)

    def _drop(self, key: str) -> None:
        item = self._items.pop(key, None)
        if item is not None and item.dirty:
            self._dirty_keys.pop(key, None)
