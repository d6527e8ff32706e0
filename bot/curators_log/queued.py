"""The curators' log as the channels see it: a `Recorder` on a database that never slows an answer and never raises.

Questions, feedback, choices and flags go into an in-memory queue, and one background thread writes them in
batches, so a slow or missing database costs a member nothing. The same thread writes what the ledger, the
members' nations and the conversation contexts kept in memory while the database was away, and deletes what
RETENTION_DAYS no longer keeps. While the database is away the thread keeps what it holds (up to `queue_size`
rows), retries with a growing pause, and logs the failure once in a while, not per call. When it comes back, the
rows land.

Only `claim_event`, `member_nation` and `get_context` read the database on a member's path: each waits at most
`claim_timeout` seconds, and for `retry_after` seconds after a failure they go straight to this process's memory.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import queue
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from bot.curators_log.access import DatabaseAccess, bounded, describe_error
from bot.curators_log.ledger import EVENT_MEMORY, EVENT_TTL, DatabaseLedger
from bot.curators_log.recorder import NOT_WHAT_I_ASKED, UNAVAILABLE, RecordedReply, guarded, guarded_async
from bot.curators_log.redact import clean_text, hash_user, redact
from bot.curators_log.schema import UTC, ChoiceRow, FeedbackRow, FlagRow, QuestionRow, Row, StorageError
from bot.curators_log.state import CONTEXT_TTL, ESCALATION_TTL, MEMORY_SIZE, Contexts, MemberNations
from bot.curators_log.store import Store

__all__ = ["UNAVAILABLE", "DatabaseRecorder"]

log = logging.getLogger("bot.curators_log")

_WAKE = object()  # put on the queue to wake the writer; not a row
BATCH = 500


def _label(value: object, limit: int = 20) -> str | None:
    """A short code (surface, outcome, nation, guard) as stored: plain text, cut to `limit`."""
    return None if value is None else (clean_text(str(value), limit) or None)


def _entry(value: object) -> str:
    """An entry id or ref from a button is whatever the button said: bounded, so a forged one cannot stall a batch."""
    return clean_text(str(value), 200)


class DatabaseRecorder:
    """Implements bot.curators_log.recorder.Recorder on a Store."""

    def __init__(
        self,
        store: Store,
        *,
        log_questions: bool = True,
        hash_key: str = "",
        retention_days: int = 180,
        clock: Callable[[], float] = time.time,
        queue_size: int = 10_000,
        event_ttl: float = EVENT_TTL,
        event_memory: int = EVENT_MEMORY,
        context_ttl: float = CONTEXT_TTL,
        member_memory: int = MEMORY_SIZE,
        housekeeping_every: float = 3600.0,
        retry_after: float = 15.0,
        max_pause: float = 5.0,
        claim_timeout: float = 1.5,
        log_every: float = 300.0,
        gather: float = 0.02,
    ):
        self._store = store
        self._gather = gather
        self._log_questions = log_questions
        self._hash_key = hash_key
        self._retention_days = retention_days
        self._clock = clock
        self._queue_size = queue_size
        self._event_ttl = event_ttl
        self._housekeeping_every = housekeeping_every
        self._max_pause = max_pause
        self.access = DatabaseAccess(store, retry_after=retry_after, log_every=log_every)
        self.failures = self.access.failures
        self.ledger = DatabaseLedger(
            self.access, ttl=event_ttl, capacity=event_memory, clock=clock, timeout=claim_timeout
        )
        self.nations = MemberNations(
            self.access, hash_key=hash_key, clock=clock, timeout=claim_timeout, capacity=member_memory
        )
        self.contexts = Contexts(
            self.access, hash_key=hash_key, clock=clock, timeout=claim_timeout, ttl=context_ttl, capacity=member_memory
        )
        # who asked a person (the help channel's thread -> the member to pass replies back to), for two weeks
        self.escalations = Contexts(
            self.access,
            hash_key=hash_key,
            clock=clock,
            timeout=claim_timeout,
            ttl=ESCALATION_TTL,
            capacity=member_memory,
        )
        self._closed = False
        self._last_housekeeping = float("-inf")
        self._deadline = float("inf")
        self._lost_logged = 0
        self._finished = 0  # rows written or given up in the writer's current pass
        self.dropped = 0
        self._setup_threading()
        ref = weakref.ref(self)

        def after_fork() -> None:
            recorder = ref()
            if recorder is not None:
                recorder._setup_threading()

        os.register_at_fork(after_in_child=after_fork)
        atexit.register(_close_at_exit, ref)
        self._open()
        self._start_writer()

    def _setup_threading(self) -> None:
        """Fresh queue, locks and no writer: at start, and in a forked child (the parent writes its own rows)."""
        self._pid = os.getpid()
        self._queue: queue.Queue[Any] = queue.Queue(self._queue_size)
        self._cond = threading.Condition()
        self._pending = 0
        self._stop = threading.Event()
        self._thread_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.failures.after_fork()

    # --- the Recorder protocol --------------------------------------------------------------------------
    @guarded("recording a question", None)
    def record_question(
        self,
        surface: str,
        question: str,
        reply: RecordedReply,
        *,
        user_id: str | None = None,
        nation: str | None = None,
        guard: str | None = None,
    ) -> str | None:
        ref = uuid.uuid4().hex
        text = redact(question or "") if self._log_questions else ""
        row = QuestionRow(
            ref=ref,
            created_at=self._now(),
            surface=_label(surface) or "?",
            outcome=_label(reply.outcome) or "?",
            entry_id=_entry(reply.entry_id) if reply.entry_id else None,
            score=int(reply.score or 0),
            question=text or None,
            candidates=clean_text(" ".join(c.entry_id for c in reply.candidates), 1000) or None,
            declined=_entry(reply.declined) if reply.declined else None,
            user_hash=hash_user(self._hash_key, user_id),
            nation=_label(nation if nation is not None else getattr(reply, "nation", None)),
            guard=_label(guard if guard is not None else getattr(reply, "guard", None), 40),
            stale=getattr(reply, "stale", None) is not None,
        )
        return ref if self._enqueue(row) else None

    @guarded("recording feedback", None)
    def record_feedback(
        self, ref: str | None, entry_id: str, helpful: bool, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        self._enqueue(
            FeedbackRow(
                self._now(),
                self._ref(ref),
                _entry(entry_id),
                bool(helpful),
                _label(surface) or "?",
                hash_user(self._hash_key, user_id),
            )
        )

    @guarded("recording a choice", None)
    def record_choice(
        self, ref: str | None, entry_id: str, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        self._enqueue(
            ChoiceRow(
                self._now(),
                self._ref(ref),
                _entry(entry_id),
                _label(surface) or "?",
                hash_user(self._hash_key, user_id),
            )
        )

    @guarded("recording a flag", None)
    def record_flag(
        self,
        ref: str | None,
        entry_id: str,
        *,
        reason: str = NOT_WHAT_I_ASKED,
        surface: str = "button",
        user_id: str | None = None,
    ) -> None:
        self._enqueue(
            FlagRow(
                self._now(),
                self._ref(ref),
                _entry(entry_id),
                _label(reason, 40) or NOT_WHAT_I_ASKED,
                _label(surface) or "?",
                hash_user(self._hash_key, user_id),
            )
        )

    @guarded("checking an event id", True)
    def claim_event(self, key: str) -> bool:
        """One winner per key across every process sharing the database (see bot.curators_log.ledger)."""
        return self.ledger.claim(key)

    @guarded_async("checking an event id", True)
    async def claim_event_async(self, key: str) -> bool:
        """`claim_event` for a caller on an event loop (`DatabaseLedger.claim_async`)."""
        return await self.ledger.claim_async(key)

    @guarded("reading a member's nation", None)
    def member_nation(self, user_id: str | None) -> str | None:
        return self.nations.get(user_id)

    @guarded_async("reading a member's nation", None)
    async def member_nation_async(self, user_id: str | None) -> str | None:
        return await self.nations.get_async(user_id)

    @guarded("saving a member's nation", None)
    def set_member_nation(self, user_id: str | None, nation: str | None) -> None:
        self.nations.set(user_id, nation)
        self._wake()

    @guarded("reading a conversation context", None)
    def get_context(self, conversation_id: str | None) -> dict[str, Any] | None:
        return self.contexts.get(conversation_id)

    @guarded_async("reading a conversation context", None)
    async def get_context_async(self, conversation_id: str | None) -> dict[str, Any] | None:
        return await self.contexts.get_async(conversation_id)

    @guarded("keeping a conversation context", None)
    def put_context(self, conversation_id: str | None, data: dict[str, Any]) -> None:
        self.contexts.put(conversation_id, data)
        self._wake()

    @guarded("reading an escalation", None)
    def escalation(self, thread_id: str | None) -> dict[str, Any] | None:
        return self.escalations.get(f"escalation:{thread_id}" if thread_id else None)

    @guarded("keeping an escalation", None)
    def keep_escalation(self, thread_id: str | None, data: dict[str, Any]) -> None:
        self.escalations.put(f"escalation:{thread_id}" if thread_id else None, data)
        self._wake()

    @guarded("reading the report", UNAVAILABLE)
    def report_text(self, since: str = "30d") -> str:
        """The curators' report as plain text (for Slack); a short apology if the database cannot be read."""
        from bot.curators_log.report import build_report, parse_since, render_report

        try:
            parse_since(since)
        except ValueError as exc:
            return f"Sorry, {exc}."
        if self.access.recently_failed():  # it failed moments ago: do not make an admin wait for it
            return UNAVAILABLE
        self.flush(timeout=1.0)
        now = self._now()
        store = self._store
        try:
            if not self.access.ready:
                bounded(lambda: store.open(retention_days=self._retention_days, now=now), 10.0, "opening")
                self.access.ready = True
            report = bounded(lambda: build_report(store, since=since, now=now), 10.0, "the report")
        except StorageError as exc:
            self.access.failed("reading the report", exc)
            return UNAVAILABLE
        return render_report(report, "text")

    # --- lifecycle --------------------------------------------------------------------------------------
    @guarded("writing what is waiting", False)
    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every row recorded so far, and everything kept in memory, is written (True), or `timeout`
        seconds pass (False)."""
        deadline = time.monotonic() + timeout
        self._wake()
        with self._cond:
            while self._pending > 0 or self._unsynced():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
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
        self._store.close()

    # --- helpers ----------------------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._clock(), UTC)

    @staticmethod
    def _ref(ref: str | None) -> str | None:
        return (clean_text(str(ref), 64) or None) if ref else None

    def _unsynced(self) -> bool:
        return (
            self.ledger.has_unsynced()
            or self.nations.has_unsynced()
            or self.contexts.has_unsynced()
            or self.escalations.has_unsynced()
        )

    def _open(self) -> bool:
        now = self._now()
        store = self._store
        try:
            bounded(lambda: store.open(retention_days=self._retention_days, now=now), store.timeout + 5, "opening")
        except StorageError as exc:
            self.access.failed(f"opening the {store.kind} database", exc)
            return False
        self.access.ready = True
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
        if self._closed:
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
        self._start_writer()  # (not once closed)
        try:
            self._queue.put_nowait(_WAKE)
        except queue.Full:
            pass

    def _done(self, n: int) -> None:
        with self._cond:
            self._pending -= n
            self._cond.notify_all()

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # --- the writer -------------------------------------------------------------------------------------
    def _take(self, wait: float) -> list[Row]:
        try:
            # Once stopping, never block: the wake-up that close() sent may already have been taken.
            items = [self._queue.get_nowait() if self._stop.is_set() else self._queue.get(timeout=wait)]
        except queue.Empty:
            return []
        if self._gather > 0 and not self._stop.is_set():
            # a moment for what else is on its way (other members' questions, the contexts they keep), so that
            # one transaction writes them all rather than one each; close() cuts it short
            self._stop.wait(self._gather)
        while len(items) < BATCH:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return [item for item in items if item is not _WAKE]

    def _housekeeping_due(self) -> bool:
        return self._clock() - self._last_housekeeping >= self._housekeeping_every

    def _run(self) -> None:
        batch: list[Row] = []
        pause = 0.5
        while True:
            if not batch:
                batch = self._take(wait=1.0)
            stopping = self._stop.is_set()
            if stopping and not batch and self._queue.empty() and not self._unsynced():
                return
            if batch or not self.access.ready or self._unsynced() or self._housekeeping_due():
                self._finished = 0
                try:
                    self._pass(batch)
                except StorageError as exc:
                    self.access.failed("writing to the database", exc)
                    if stopping and time.monotonic() >= self._deadline:
                        self._give_up(batch)
                        return
                    if stopping:
                        time.sleep(min(pause, 0.1))  # shutting down: keep trying until the deadline
                    else:
                        self._stop.wait(pause)
                    pause = min(pause * 2, self._max_pause)
                    continue
                except Exception as exc:
                    log.error(
                        "curators' log: unexpected error in the writer (%s); %d row(s) dropped",
                        describe_error(exc),
                        len(batch),
                    )
                    self._done(len(batch))
                    batch = []
                    continue
                finally:
                    # Rows count as done once the whole pass is over: flush() then also waits for housekeeping.
                    self._done(self._finished)
                pause = 0.5
                self.access.succeeded()
            self._notify()

    def _pass(self, batch: list[Row]) -> None:
        """One round of writing: the schema if needed, the batch (emptied as it is written), what memory kept,
        and housekeeping when it is due. A StorageError leaves what is not written in `batch`."""
        store = self._store
        if not self.access.ready:
            store.open(retention_days=self._retention_days, now=self._now())
            self.access.ready = True
            self._last_housekeeping = self._clock()
        if batch:
            self._write(batch)
        self.ledger.sync(store)
        self.nations.sync(store)
        self.contexts.sync(store)
        self.escalations.sync(store)
        lost = self.ledger.memory.lost + self.nations.memory.lost + self.contexts.memory.lost
        if lost > self._lost_logged:
            log.warning(
                "curators' log: %d value(s) kept in memory while the database was away were pushed out by newer "
                "ones before it came back",
                lost - self._lost_logged,
            )
            self._lost_logged = lost
        self._housekeep()

    def _write(self, batch: list[Row]) -> None:
        try:
            self._store.write(batch)
        except StorageError as exc:
            if exc.transient:
                raise
            self._write_one_by_one(batch)  # one bad row must not cost the others
            return
        self._finished += len(batch)
        batch.clear()

    def _write_one_by_one(self, batch: list[Row]) -> None:
        dropped, reason = 0, ""
        while batch:
            try:
                self._store.write(batch[:1])
            except StorageError as exc:
                if exc.transient:
                    raise
                dropped, reason = dropped + 1, str(exc)
            del batch[0]
            self._finished += 1
        if dropped:
            self.dropped += dropped
            log.error("curators' log: %d row(s) could not be stored and were dropped: %s", dropped, reason)

    def _housekeep(self) -> None:
        """Delete rows older than RETENTION_DAYS, old event keys and expired contexts: at most once every
        `housekeeping_every` seconds."""
        if not self._housekeeping_due():
            return
        now = self._now()
        self._store.purge(
            now - dt.timedelta(days=self._retention_days),
            events_before=now - dt.timedelta(seconds=max(self._event_ttl, 86_400)),
            now=now,
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
        kept = sum(len(part.memory.dirty_items(limit=10**9)) for part in (self.ledger, self.nations, self.contexts))
        if lost or kept:
            log.warning(
                "curators' log: the database is unavailable at shutdown; %d row(s) and %d value(s) kept in memory "
                "(event ids, nations, contexts) were not stored",
                lost,
                kept,
            )
        self._done(lost)


def _close_at_exit(ref: weakref.ref[DatabaseRecorder]) -> None:
    recorder = ref()
    if recorder is not None:
        recorder.close(timeout=2.0)
