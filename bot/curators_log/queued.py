"""The curators' log as the channels see it: a `Recorder` that never slows an answer and never raises.

Questions, feedback and choices go into an in-memory queue and a background thread writes them in batches, so a
slow or missing database costs a member nothing. While the database is away the thread keeps what it holds (up to
`queue_size` rows), retries with a growing pause, and logs the failure once in a while, not per call. When it
comes back, the rows land. The only call that waits on the database is `claim_event` (a Slack retry must be seen
by every process); it is bounded by the store's timeouts, and while the database is away it falls back to this
process's memory.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import hmac
import logging
import os
import queue
import threading
import time
import uuid
import weakref
from collections.abc import Callable

from bot.curators_log.recorder import NullRecorder
from bot.curators_log.redact import redact
from bot.curators_log.store import UTC, ChoiceRow, FeedbackRow, QuestionRow, Row, StorageError, Store

log = logging.getLogger("bot.curators_log")

_WAKE = object()  # put on the queue to wake the writer; not a row
BATCH = 500
UNAVAILABLE = (
    "The report is not available just now: the curators' log cannot be reached. "
    "Members still get their answers; please try again later."
)


def hash_user(key: str, user_id: str | None) -> str | None:
    """A Slack user id as HMAC-SHA256 keyed with `key`; None when there is no id or no key (nothing stored)."""
    if not user_id or not key:
        return None
    return hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()


class FailureLog:
    """Logs a failing database at once, then at most every `every` seconds, with how many failures it skipped."""

    def __init__(self, every: float = 300.0):
        self.every = every
        self._lock = threading.Lock()
        self._last: float | None = None
        self._skipped = 0
        self._down = False
        self.total = 0  # every failure, logged or not

    def failed(self, what: str, exc: object) -> None:
        now = time.monotonic()
        with self._lock:
            self._down = True
            self.total += 1
            if self._last is not None and now - self._last < self.every:
                self._skipped += 1
                return
            skipped, self._skipped, self._last = self._skipped, 0, now
        more = f" ({skipped} more failure(s) since the last message)" if skipped else ""
        log.warning("curators' log: %s failed: %s%s. Members still get their answers.", what, exc, more)

    def recovered(self) -> None:
        with self._lock:
            if not self._down:
                return
            self._down, self._last, skipped = False, None, self._skipped
            self._skipped = 0
        log.info("curators' log: the database is working again (%d failure(s) not logged one by one)", skipped)


class DatabaseRecorder:
    """Implements bot.curators_log.recorder.Recorder on a Store, plus `report_text`, `flush` and `close`."""

    def __init__(
        self,
        store: Store | None,
        *,
        log_questions: bool = True,
        hash_key: str = "",
        retention_days: int = 180,
        clock: Callable[[], float] = time.time,
        queue_size: int = 10_000,
        event_ttl: float = 3600.0,
        housekeeping_every: float = 3600.0,
        retry_after: float = 15.0,
        claim_timeout: float = 2.0,
        log_every: float = 300.0,
        broken_reason: str | None = None,
    ):
        self._store = store
        self._log_questions = log_questions
        self._hash_key = hash_key
        self._retention_days = retention_days
        self._clock = clock
        self._queue_size = queue_size
        self._event_ttl = event_ttl
        self._housekeeping_every = housekeeping_every
        self._retry_after = retry_after
        self._claim_timeout = claim_timeout
        self._broken_reason = broken_reason
        self.failures = FailureLog(log_every)
        self._local = NullRecorder(event_ttl)
        self._ready = False
        self._closed = False
        self._down_until = 0.0
        self._last_housekeeping = float("-inf")
        self._deadline = float("inf")
        self.dropped = 0
        self._setup_threading()
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (r := ref()) is not None and r._setup_threading())
        atexit.register(_close_at_exit, ref)
        if store is not None:
            self._open()
            self._start_writer()

    def _setup_threading(self) -> None:
        """Fresh queue, locks and no writer: at start, and in a forked child (the parent writes its own rows)."""
        self._pid = os.getpid()
        self._queue: queue.Queue = queue.Queue(self._queue_size)
        self._cond = threading.Condition()
        self._pending = 0
        self._stop = threading.Event()
        self._thread_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # --- the Recorder protocol --------------------------------------------------------------------------
    def record_question(self, surface, question, reply, *, user_id=None):
        try:
            ref = uuid.uuid4().hex
            text = redact(question or "") if self._log_questions else ""
            row = QuestionRow(
                ref=ref,
                created_at=self._now(),
                surface=str(surface)[:20],
                outcome=str(reply.outcome)[:20],
                entry_id=reply.entry_id,
                score=int(reply.score or 0),
                question=text or None,
                candidates=" ".join(c.entry_id for c in reply.candidates) or None,
                declined=reply.declined,
                user_hash=hash_user(self._hash_key, user_id),
            )
            return ref if self._enqueue(row) else None
        except Exception as exc:  # recording must never cost a member their answer
            self.failures.failed("recording a question", repr(exc))
            return None

    def record_feedback(self, ref, entry_id, helpful, *, surface="button", user_id=None):
        try:
            self._enqueue(
                FeedbackRow(self._now(), ref, str(entry_id), bool(helpful), str(surface)[:20], self._user(user_id))
            )
        except Exception as exc:
            self.failures.failed("recording feedback", repr(exc))

    def record_choice(self, ref, entry_id, *, surface="button", user_id=None):
        try:
            self._enqueue(ChoiceRow(self._now(), ref, str(entry_id), str(surface)[:20], self._user(user_id)))
        except Exception as exc:
            self.failures.failed("recording a choice", repr(exc))

    def claim_event(self, key: str) -> bool:
        """One winner per key across every process sharing the database; this process's memory when it is away."""
        try:
            if self._store is None or not self._ready or time.monotonic() < self._down_until:
                return self._local.claim_event(key)
            now = self._now()
            claimed = self._bounded(
                lambda: self._store.claim(key, now=now, ttl=self._event_ttl), self._claim_timeout, "a Slack event id"
            )
        except StorageError as exc:
            self.failures.failed("checking a Slack event id", exc)
            self._mark_down()
            return self._local.claim_event(key)
        except Exception as exc:
            self.failures.failed("checking a Slack event id", repr(exc))
            return self._local.claim_event(key)
        if claimed:
            self._local.claim_event(key)  # so a retry is still caught here if the database goes away
        return claimed

    def report_text(self, since: str = "30d") -> str:
        """The curators' report as plain text (for Slack); a short apology if the database cannot be read."""
        from bot.curators_log.report import build_report, render_report

        try:
            if self._store is None:
                return f"The report is not available: {self._broken_reason or 'nothing is being recorded'}."
            if time.monotonic() < self._down_until:  # it failed moments ago: do not make an admin wait for it
                return UNAVAILABLE
            self.flush(timeout=1.0)
            now = self._now()
            if not self._ready:
                self._bounded(lambda: self._store.open(retention_days=self._retention_days, now=now), 10.0, "opening")
                self._ready = True
            report = self._bounded(lambda: build_report(self._store, since=since, now=now), 10.0, "the report")
            return render_report(report, "text")
        except ValueError as exc:
            return f"Sorry, {exc}."
        except StorageError as exc:
            self.failures.failed("reading the report", exc)
            return UNAVAILABLE
        except Exception:
            log.exception("curators' log: the report failed")
            return UNAVAILABLE

    # --- lifecycle --------------------------------------------------------------------------------------
    @property
    def store(self) -> Store | None:
        return self._store

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every row recorded so far is written (True), or `timeout` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        self._wake()
        with self._cond:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (for at most `timeout` seconds), then stop the writer and close the store."""
        if self._closed:
            return
        self._closed = True
        self._deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake()
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            thread.join(timeout + 1.0)
        if self._store is not None:
            self._store.close()

    # --- the writer -------------------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._clock(), UTC)

    @staticmethod
    def _bounded(fn: Callable, timeout: float, what: str):
        """fn() on a helper thread, waiting at most `timeout` seconds: a hung connection cannot hold a member up.

        The helper is a daemon thread, so one stuck on a dead connection never delays the process's exit.
        """
        box: dict = {}
        done = threading.Event()

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="physio-career-db-call", daemon=True).start()
        if not done.wait(timeout):
            raise StorageError(f"the database did not answer within {timeout:g}s ({what})")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def _user(self, user_id: str | None) -> str | None:
        return hash_user(self._hash_key, user_id)

    def _mark_down(self) -> None:
        self._down_until = time.monotonic() + self._retry_after

    def _open(self) -> bool:
        now = self._now()
        try:
            self._bounded(
                lambda: self._store.open(retention_days=self._retention_days, now=now),
                self._store.timeout + 5,
                "opening",
            )
        except StorageError as exc:
            self.failures.failed(f"opening the {self._store.kind} database", exc)
            self._mark_down()
            return False
        self._ready = True
        self._last_housekeeping = self._clock()
        return True

    def _start_writer(self) -> None:
        if self._pid != os.getpid():
            self._setup_threading()
        if self._thread is not None and self._thread.is_alive():
            return
        with self._thread_lock:
            if self._closed or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name="physio-career-recorder", daemon=True)
            self._thread.start()

    def _enqueue(self, row: Row) -> bool:
        if self._store is None or self._closed:
            return False
        self._start_writer()
        with self._cond:
            self._pending += 1
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            self._done(1)
            self.dropped += 1
            self.failures.failed("recording", f"{self._queue_size} rows are waiting for the database; dropping")
            return False
        return True

    def _wake(self) -> None:
        try:
            self._queue.put_nowait(_WAKE)
        except queue.Full:
            pass

    def _done(self, n: int) -> None:
        with self._cond:
            self._pending -= n
            self._cond.notify_all()

    def _take(self, wait: float) -> list[Row]:
        try:
            # Once stopping, never block: the wake-up that close() sent may already have been taken.
            items = [self._queue.get_nowait() if self._stop.is_set() else self._queue.get(timeout=wait)]
        except queue.Empty:
            return []
        while len(items) < BATCH:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return [item for item in items if item is not _WAKE]

    def _run(self) -> None:
        batch: list[Row] = []
        pause = 0.5
        while True:
            if not batch:
                batch = self._take(wait=1.0)
            if not batch and self._stop.is_set() and self._queue.empty():
                return
            written = 0
            try:
                if not self._ready:
                    self._store.open(retention_days=self._retention_days, now=self._now())
                    self._ready = True
                    self._last_housekeeping = self._clock()
                if batch:
                    self._store.write(batch)
                    written, batch = len(batch), []
                self._housekeep()
            except StorageError as exc:
                self.failures.failed("writing to the database", exc)
                self._mark_down()
                if batch and self._ready and not exc.transient:
                    log.error("curators' log: %d row(s) could not be stored and were dropped: %s", len(batch), exc)
                    self._done(len(batch))
                    batch = []
                if self._stop.is_set() and time.monotonic() >= self._deadline:
                    self._give_up(batch)
                    return
                if self._stop.is_set():
                    time.sleep(min(pause, 0.1))  # shutting down: keep trying until the deadline
                else:
                    self._stop.wait(pause)
                pause = min(pause * 2, 30.0)
                continue
            except Exception:
                log.exception("curators' log: unexpected error in the writer; %d row(s) dropped", len(batch))
                self._done(len(batch))
                batch = []
                continue
            finally:
                if written:
                    self._done(written)
            pause = 0.5
            self._down_until = 0.0
            self.failures.recovered()

    def _housekeep(self) -> None:
        """Delete rows older than RETENTION_DAYS: at most once every `housekeeping_every` seconds."""
        if self._clock() - self._last_housekeeping < self._housekeeping_every:
            return
        now = self._now()
        self._store.purge(
            now - dt.timedelta(days=self._retention_days),
            events_before=now - dt.timedelta(seconds=max(self._event_ttl, 86_400)),
        )
        self._last_housekeeping = self._clock()

    def _give_up(self, batch: list[Row]) -> None:
        lost = len(batch)
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            lost += item is not _WAKE
        if lost:
            log.warning("curators' log: the database is unavailable at shutdown; %d row(s) were not stored", lost)
        self._done(lost)


def _close_at_exit(ref: weakref.ref) -> None:
    recorder = ref()
    if recorder is not None:
        recorder.close(timeout=2.0)
