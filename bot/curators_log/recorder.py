"""What the channels tell the curators' log, as one interface, and the one guard that keeps it from raising.

Channels call these methods on a member's path and never wait on them for long: a recorder must not raise (a
failing database is logged and the member still gets the reply) and must be quick. `guarded` is that rule, in
one place: every public method of `DatabaseRecorder` and `SafeRecorder` wears it. `SafeRecorder` puts the same
guard around any other recorder (a test double, a future one).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from bot.curators_log.access import DatabaseAccess, ThrottledWarning, describe_error
from bot.curators_log.ledger import EVENT_TTL, MemoryLedger
from bot.curators_log.state import CONTEXT_TTL, ESCALATION_TTL, Contexts, MemberNations

NOT_WHAT_I_ASKED = "not-what-i-asked"
UNAVAILABLE = (
    "The report is not available just now: the curators' log cannot be reached. "
    "Members still get their answers; please try again later."
)

S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")
D = TypeVar("D")

_failures = ThrottledWarning()  # for a guarded object that keeps no warnings of its own


def guarded(what: str, default: D) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R | D]]:
    """Never raise: log the failure (throttled, with the error's class, never its message) and return `default`."""

    def decorate(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R | D]:
        @functools.wraps(method)
        def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R | D:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                failures = getattr(self, "failures", None)
                (failures if isinstance(failures, ThrottledWarning) else _failures).failed(what, describe_error(exc))
                return default

        return wrapper

    return decorate


def guarded_async(
    what: str, default: D
) -> Callable[[Callable[Concatenate[S, P], Awaitable[R]]], Callable[Concatenate[S, P], Awaitable[R | D]]]:
    """`guarded` for a coroutine method."""

    def decorate(method: Callable[Concatenate[S, P], Awaitable[R]]) -> Callable[Concatenate[S, P], Awaitable[R | D]]:
        @functools.wraps(method)
        async def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R | D:
            try:
                return await method(self, *args, **kwargs)
            except Exception as exc:
                failures = getattr(self, "failures", None)
                (failures if isinstance(failures, ThrottledWarning) else _failures).failed(what, describe_error(exc))
                return default

        return wrapper

    return decorate


class Candidate(Protocol):
    @property
    def entry_id(self) -> str: ...


class RecordedReply(Protocol):
    """What the log reads from a reply (bot.brain.reply.Reply has all of it; `nation`, `guard` and `stale` are
    read when present)."""

    @property
    def outcome(self) -> str: ...
    @property
    def entry_id(self) -> str | None: ...
    @property
    def score(self) -> int: ...
    @property
    def candidates(self) -> Sequence[Candidate]: ...
    @property
    def declined(self) -> str | None: ...


class Recorder(Protocol):
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
        """Log one answered question; return a reference that feedback, choices and flags can point to (or None).

        `nation` and `guard` default to the reply's own, when it has them."""
        ...

    def record_feedback(
        self, ref: str | None, entry_id: str, helpful: bool, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        """Log a thumbs up (helpful=True) or down for the answer `entry_id` given to question `ref`."""
        ...

    def record_choice(
        self, ref: str | None, entry_id: str, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        """Log that a member picked `entry_id` from "did you mean" (or a topic button) after question `ref`."""
        ...

    def record_flag(
        self,
        ref: str | None,
        entry_id: str,
        *,
        reason: str = NOT_WHAT_I_ASKED,
        surface: str = "button",
        user_id: str | None = None,
    ) -> None:
        """Log that a member said the answer `entry_id` to question `ref` was not what they asked."""
        ...

    def claim_event(self, key: str) -> bool:
        """True the first time `key` (a delivery's id) is claimed, False for a repeat (a retried delivery)."""
        ...

    def member_nation(self, user_id: str | None) -> str | None:
        """The UK nation the member saved ("england", "scotland", "wales", "northern-ireland"), or None."""
        ...

    def set_member_nation(self, user_id: str | None, nation: str | None) -> None:
        """Save the member's nation; None clears it."""
        ...

    def get_context(self, conversation_id: str | None) -> dict[str, Any] | None:
        """What was kept for the conversation (for a follow-up question), unless it has expired."""
        ...

    def put_context(self, conversation_id: str | None, data: dict[str, Any]) -> None:
        """Keep small JSON for the conversation (about 1 KB at most; larger is refused) for `context_ttl`."""
        ...

    def escalation(self, thread_id: str | None) -> dict[str, Any] | None:
        """Who asked the question posted as help-channel thread `thread_id` (to pass a reply back), or None."""
        ...

    def keep_escalation(self, thread_id: str | None, data: dict[str, Any]) -> None:
        """Remember, for two weeks, who asked the question posted as thread `thread_id`."""
        ...

    def report_text(self, since: str = "30d") -> str:
        """The curators' report as plain text, or a short apology when it cannot be read."""
        ...

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until what was recorded so far is written (True), or `timeout` seconds pass (False)."""
        ...

    def close(self, timeout: float = 5.0) -> None:
        """Write what is waiting (for at most `timeout` seconds) and let go of the database."""
        ...


class NullRecorder:
    """Records nothing; `reason` says why (it is the report's apology). De-duplicates events, and keeps nations and
    conversation context, in this process's memory only (fine for one process, not for several)."""

    def __init__(
        self,
        reason: str | None = None,
        *,
        ttl_seconds: float = EVENT_TTL,
        context_ttl: float = CONTEXT_TTL,
        clock: Callable[[], float] = time.time,
    ):
        self.reason = reason
        self._ledger = MemoryLedger(ttl=ttl_seconds, clock=clock)
        nowhere = DatabaseAccess(None)
        self._nations = MemberNations(nowhere, hash_key="", clock=clock)
        self._contexts = Contexts(nowhere, hash_key="", clock=clock, ttl=context_ttl)
        self._escalations = Contexts(nowhere, hash_key="", clock=clock, ttl=ESCALATION_TTL)

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
        return None

    def record_feedback(
        self, ref: str | None, entry_id: str, helpful: bool, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        return None

    def record_choice(
        self, ref: str | None, entry_id: str, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        return None

    def record_flag(
        self,
        ref: str | None,
        entry_id: str,
        *,
        reason: str = NOT_WHAT_I_ASKED,
        surface: str = "button",
        user_id: str | None = None,
    ) -> None:
        return None

    def claim_event(self, key: str) -> bool:
        return self._ledger.claim(key)

    @guarded("reading a member's nation", None)
    def member_nation(self, user_id: str | None) -> str | None:
        return self._nations.get(user_id)

    @guarded("saving a member's nation", None)
    def set_member_nation(self, user_id: str | None, nation: str | None) -> None:
        self._nations.set(user_id, nation)

    @guarded("reading a conversation context", None)
    def get_context(self, conversation_id: str | None) -> dict[str, Any] | None:
        return self._contexts.get(conversation_id)

    @guarded("keeping a conversation context", None)
    def put_context(self, conversation_id: str | None, data: dict[str, Any]) -> None:
        self._contexts.put(conversation_id, data)

    @guarded("reading an escalation", None)
    def escalation(self, thread_id: str | None) -> dict[str, Any] | None:
        return self._escalations.get(f"escalation:{thread_id}" if thread_id else None)

    @guarded("keeping an escalation", None)
    def keep_escalation(self, thread_id: str | None, data: dict[str, Any]) -> None:
        self._escalations.put(f"escalation:{thread_id}" if thread_id else None, data)

    def report_text(self, since: str = "30d") -> str:
        return f"The report is not available: {self.reason or 'nothing is being recorded'}."

    def flush(self, timeout: float = 5.0) -> bool:
        return True

    def close(self, timeout: float = 5.0) -> None:
        return None


class SafeRecorder:
    """Any recorder behind the guard: a method that raises, or is missing, is logged and gets a safe answer.

    `claim_event` fails open: if the ledger cannot be asked, the delivery is handled (a rare duplicate beats a
    member getting no answer at all).
    """

    def __init__(self, inner: Recorder):
        self.inner = inner
        self.failures = ThrottledWarning()

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
        ref = self.inner.record_question(surface, question, reply, user_id=user_id, nation=nation, guard=guard)
        return None if ref is None else str(ref)

    @guarded("recording feedback", None)
    def record_feedback(
        self, ref: str | None, entry_id: str, helpful: bool, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        self.inner.record_feedback(ref, entry_id, helpful, surface=surface, user_id=user_id)

    @guarded("recording a choice", None)
    def record_choice(
        self, ref: str | None, entry_id: str, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        self.inner.record_choice(ref, entry_id, surface=surface, user_id=user_id)

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
        self.inner.record_flag(ref, entry_id, reason=reason, surface=surface, user_id=user_id)

    @guarded("checking an event id", True)
    def claim_event(self, key: str) -> bool:
        return bool(self.inner.claim_event(key))

    @guarded_async("checking an event id", True)
    async def claim_event_async(self, key: str) -> bool:
        """`claim_event` from an event loop: the inner recorder's own `claim_event_async` when it has one (the
        database recorder: one trip to a helper thread), else its `claim_event` in a worker thread."""
        claim = getattr(self.inner, "claim_event_async", None)
        if claim is not None:
            return bool(await claim(key))
        return bool(await asyncio.to_thread(self.inner.claim_event, key))

    @guarded("reading a member's nation", None)
    def member_nation(self, user_id: str | None) -> str | None:
        return self.inner.member_nation(user_id)

    @guarded_async("reading a member's nation", None)
    async def member_nation_async(self, user_id: str | None) -> str | None:
        """`member_nation` from an event loop (the inner recorder's own `member_nation_async`, else a worker
        thread)."""
        read = getattr(self.inner, "member_nation_async", None)
        if read is not None:
            return await read(user_id)
        return await asyncio.to_thread(self.inner.member_nation, user_id)

    @guarded("saving a member's nation", None)
    def set_member_nation(self, user_id: str | None, nation: str | None) -> None:
        self.inner.set_member_nation(user_id, nation)

    @guarded("reading a conversation context", None)
    def get_context(self, conversation_id: str | None) -> dict[str, Any] | None:
        data = self.inner.get_context(conversation_id)
        return data if isinstance(data, dict) else None

    @guarded_async("reading a conversation context", None)
    async def get_context_async(self, conversation_id: str | None) -> dict[str, Any] | None:
        """`get_context` from an event loop (the inner recorder's own `get_context_async`, else a worker
        thread)."""
        read = getattr(self.inner, "get_context_async", None)
        if read is not None:
            data = await read(conversation_id)
        else:
            data = await asyncio.to_thread(self.inner.get_context, conversation_id)
        return data if isinstance(data, dict) else None

    @guarded("keeping a conversation context", None)
    def put_context(self, conversation_id: str | None, data: dict[str, Any]) -> None:
        self.inner.put_context(conversation_id, data)

    @guarded("reading an escalation", None)
    def escalation(self, thread_id: str | None) -> dict[str, Any] | None:
        data = self.inner.escalation(thread_id)
        return data if isinstance(data, dict) else None

    @guarded("keeping an escalation", None)
    def keep_escalation(self, thread_id: str | None, data: dict[str, Any]) -> None:
        self.inner.keep_escalation(thread_id, data)

    @guarded("reading the report", UNAVAILABLE)
    def report_text(self, since: str = "30d") -> str:
        return str(self.inner.report_text(since))

    @guarded("writing what is waiting", False)
    def flush(self, timeout: float = 5.0) -> bool:
        return bool(self.inner.flush(timeout))

    @guarded("closing the log", None)
    def close(self, timeout: float = 5.0) -> None:
        self.inner.close(timeout)
