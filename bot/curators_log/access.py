"""Reaching a database that may be down or hung: calls bounded in time, a pause after a failure, and warnings
that are logged once in a while rather than once per member.

What is logged is only ever a count, a reason we wrote, or an error's class and where it was raised: never a
question, a user id or a row (an exception's own message may quote them).
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from bot.curators_log.schema import StorageError
from bot.curators_log.store import Store

log = logging.getLogger("bot.curators_log")

T = TypeVar("T")

DatabaseSteps = Generator[tuple[Callable[[Store], Any], float, str], Any, T]
"""A read written once for both callers: it yields `(fn, timeout, what)` for `DatabaseAccess.call` (or
`call_async`) and is sent the value back, or has the failure (already logged) raised where it yielded."""


def describe_error(exc: BaseException) -> str:
    """What went wrong, safe to log: our own StorageError's message (which holds no member data), otherwise the
    error's class and the line that raised it."""
    if isinstance(exc, StorageError):
        return str(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


class ThrottledWarning:
    """Logs a failure at once, then at most every `every` seconds, with how many failures it skipped."""

    def __init__(self, every: float = 300.0):
        self.every = every
        self._lock = threading.Lock()
        self._last: float | None = None
        self._skipped = 0
        self._down = False
        self.total = 0  # every failure, logged or not

    def after_fork(self) -> None:
        self._lock = threading.Lock()  # a parent's thread may have held it at the fork

    def failed(self, what: str, reason: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._down = True
            self.total += 1
            if self._last is not None and now - self._last < self.every:
                self._skipped += 1
                return
            skipped, self._skipped, self._last = self._skipped, 0, now
        more = f" ({skipped} more failure(s) since the last message)" if skipped else ""
        log.warning("curators' log: %s failed: %s%s. Members still get their answers.", what, reason, more)

    def recovered(self) -> None:
        with self._lock:
            if not self._down:
                return
            self._down, self._last, skipped = False, None, self._skipped
            self._skipped = 0
        log.info("curators' log: the database is working again (%d failure(s) not logged one by one)", skipped)


class _Helpers:
    """Daemon threads for `bounded`, kept for the next call instead of one new thread per call.

    A call goes to an idle helper, or to a new one when none is idle, so a call never waits behind another (one
    stuck on a dead connection holds only its own helper). A helper that finishes goes back to the idle list,
    unless `KEEP` are already idle; then it ends. A forked child starts with none (its parent's threads are not
    in it).
    """

    KEEP = 8

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Callable[[], None]]] = []

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name="physio-career-db-call", daemon=True).start()
        inbox.put(job)

    def _serve(self, inbox: queue.SimpleQueue[Callable[[], None]]) -> None:
        lock = self._lock
        while True:
            inbox.get()()  # the job never raises: bounded's run() keeps what it raised
            with lock:
                if lock is not self._lock or len(self._idle) >= self.KEEP:
                    return
                self._idle.append(inbox)


_helpers = _Helpers()


def bounded(fn: Callable[[], T], timeout: float, what: str) -> T:
    """fn() on a helper thread, waiting at most `timeout` seconds: a hung connection cannot hold a member up.

    The helper is a daemon thread, so one stuck on a dead connection never delays the process's exit; idle
    helpers are reused (`_Helpers`).
    """
    box: dict[str, object] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    _helpers.submit(run)
    if not done.wait(timeout):
        raise StorageError(f"the database did not answer within {timeout:g}s ({what})")
    error = box.get("error")
    if isinstance(error, BaseException):
        raise error
    return box["value"]  # type: ignore[return-value]


Settled = list[tuple["asyncio.Future[Any]", object, "BaseException | None"]]


def _settle(settled: Settled) -> None:
    """On the loop: hand each call its value or error, unless its caller stopped waiting (a timeout)."""
    for future, value, error in settled:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


class _LoopCalls:
    """Calls from event loops, taken together: one helper thread runs, one after another, every call waiting when
    it wakes, and hands their results back to each loop in one callback. Under load the loop makes many calls
    while a helper waits for its turn, so they cost one wake of a helper and one of the loop between them, not
    one each; alone, a call costs the same as a helper of its own.

    A call that is not answered in time may be stuck on a dead connection with its helper: the next call starts
    a fresh helper (`abandon`), and the stuck one stops once it is free. A forked child starts with none.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[tuple[asyncio.AbstractEventLoop, Callable[[], Any], asyncio.Future[Any]]] = []
        self._draining = False
        self._generation = 0

    def submit(self, loop: asyncio.AbstractEventLoop, fn: Callable[[], Any], future: asyncio.Future[Any]) -> None:
        with self._lock:
            self._waiting.append((loop, fn, future))
            if self._draining:
                return  # the helper at work takes it with the others
            self._draining = True
            generation = self._generation
        _helpers.submit(lambda: self._drain(generation))

    def abandon(self) -> None:
        """A call was not answered in time: later calls go to a fresh helper."""
        with self._lock:
            self._generation += 1
            if self._waiting:
                generation = self._generation
                self._draining = True
            else:
                self._draining = False
                return
        _helpers.submit(lambda: self._drain(generation))

    def _drain(self, generation: int) -> None:
        while True:
            with self._lock:
                if generation != self._generation:
                    return  # abandoned while it was stuck: a fresh helper has the calls
                batch, self._waiting = self._waiting, []
                if not batch:
                    self._draining = False
                    return
            settled: dict[asyncio.AbstractEventLoop, Settled] = {}
            for loop, fn, future in batch:
                value: object = None
                error: BaseException | None = None
                try:
                    value = fn()
                except BaseException as exc:  # handed to its caller, never raised here
                    error = exc
                settled.setdefault(loop, []).append((future, value, error))
            for loop, results in settled.items():
                try:
                    loop.call_soon_threadsafe(_settle, results)
                except RuntimeError:  # the loop was closed while the database took its time: nobody is waiting
                    pass


_loop_calls = _LoopCalls()


async def bounded_async(fn: Callable[[], T], timeout: float, what: str) -> T:
    """`bounded` for a caller on an event loop: fn() on a helper thread (with the other calls waiting then,
    `_LoopCalls`), awaited at most `timeout` seconds; no worker thread waits in between."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    _loop_calls.submit(loop, fn, future)
    try:
        async with asyncio.timeout(timeout):
            return await future
    except TimeoutError:
        _loop_calls.abandon()
        raise StorageError(f"the database did not answer within {timeout:g}s ({what})") from None


class DatabaseAccess:
    """One store as the recorder's parts share it: whether it is open (schema ready), whether it failed moments
    ago (then callers on a member's path go straight to memory for `retry_after` seconds), and its warnings."""

    def __init__(self, store: Store | None, *, retry_after: float = 15.0, log_every: float = 300.0):
        self.store = store
        self.retry_after = retry_after
        self.failures = ThrottledWarning(log_every)
        self.ready = False
        self._down_until = 0.0

    def usable(self) -> bool:
        """True if a member's request may ask the database now."""
        return self.store is not None and self.ready and time.monotonic() >= self._down_until

    def recently_failed(self) -> bool:
        return time.monotonic() < self._down_until

    def call(self, fn: Callable[[Store], T], timeout: float, what: str) -> T:
        """fn(store), bounded by `timeout`. A failure is logged (throttled) and re-raised; a database failure also
        pauses the database for members' requests."""
        store = self.store
        if store is None:
            raise StorageError("nothing is being recorded", transient=False)
        try:
            return bounded(lambda: fn(store), timeout, what)
        except Exception as exc:
            self.failed(what, exc)
            raise

    async def call_async(self, fn: Callable[[Store], T], timeout: float, what: str) -> T:
        """`call` for a caller on an event loop (`bounded_async`)."""
        store = self.store
        if store is None:
            raise StorageError("nothing is being recorded", transient=False)
        try:
            return await bounded_async(lambda: fn(store), timeout, what)
        except Exception as exc:
            self.failed(what, exc)
            raise

    def run(self, steps: DatabaseSteps[T]) -> T:
        """Run a read's steps here, each database call bounded by `call`."""
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                fn, timeout, what = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as done:
                return done.value
            try:
                value, error = self.call(fn, timeout, what), None
            except Exception as exc:
                value, error = None, exc

    async def run_async(self, steps: DatabaseSteps[T]) -> T:
        """Run a read's steps on the event loop, each database call on a helper thread (`call_async`)."""
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                fn, timeout, what = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as done:
                return done.value
            try:
                value, error = await self.call_async(fn, timeout, what), None
            except Exception as exc:
                value, error = None, exc

    def failed(self, what: str, exc: BaseException) -> None:
        self.failures.failed(what, describe_error(exc))
        if isinstance(exc, StorageError):
            self._down_until = time.monotonic() + self.retry_after

    def succeeded(self) -> None:
        self._down_until = 0.0
        self.failures.recovered()
