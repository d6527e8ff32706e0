"""A small connection pool, and a cursor that takes `?` placeholders on every back end."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bot.curators_log.schema import StorageError

if TYPE_CHECKING:
    from bot.curators_log.store import Store


class Pool:
    """At most `size` open connections, each used by one thread at a time; broken ones are dropped, not reused.

    After a fork the child never touches its parent's connections (closing them would close the parent's
    sessions too): it forgets them and opens its own.
    """

    def __init__(self, connect: Callable[[], Any], size: int, wait: float):
        self._connect = connect
        self._size = size
        self._wait = wait
        self._reset()
        self._orphans: list[Any] = []
        ref = weakref.ref(self)

        def after_fork() -> None:
            pool = ref()
            if pool is not None:
                pool._forget()

        os.register_at_fork(after_in_child=after_fork)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[Any] = []
        self._slots = threading.BoundedSemaphore(self._size)
        self._closed = False

    def _forget(self) -> None:
        self._orphans.extend(self._idle)
        self._reset()

    def acquire(self) -> Any:
        if self._closed:
            raise StorageError("the store is closed", transient=False)
        slots = self._slots
        if not slots.acquire(timeout=self._wait):
            raise StorageError(f"every database connection stayed busy for {self._wait:g}s")
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            return conn if conn is not None else self._connect()
        except BaseException:
            slots.release()
            raise

    def release(self, conn: Any, *, broken: bool) -> None:
        with self._lock:
            keep = not broken and not self._closed and len(self._idle) < self._size
            if keep:
                self._idle.append(conn)
        if not keep:
            close_quietly(conn)
        try:
            self._slots.release()
        except ValueError:  # a connection taken before a fork and given back after it
            pass

    def drop_idle(self) -> None:
        """Close every idle connection (they point at a file that is gone); busy ones are dropped when released."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            close_quietly(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.drop_idle()


def close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # noqa: S110 - it is being thrown away
        pass


class Cursor:
    """A driver cursor that takes `?` placeholders on every back end."""

    def __init__(self, store: Store, cursor: Any):
        self._store = store
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self._cursor.execute(self._store.sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(r) for r in rows]
        if batch:
            self._cursor.executemany(self._store.sql(sql), batch)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._cursor.fetchall()]

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)
