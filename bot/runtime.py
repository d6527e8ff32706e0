"""What a running server needs whatever the channel: work in hand, and running blocking calls off the loop
(`off_loop`; `run_steps` for a core call given as steps, which leaves the loop only for what may wait).

`InFlight` counts the listener work that was acknowledged but not yet answered, so that a server told to stop
(SIGTERM at every Heroku restart) finishes it, within a grace period, before it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from bot.conversation.steps import Steps

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class InFlight:
    def __init__(self) -> None:
        self._count = 0
        self._idle: asyncio.Event | None = None

    @property
    def count(self) -> int:
        return self._count

    def _event(self) -> asyncio.Event:
        if self._idle is None:
            self._idle = asyncio.Event()
            self._idle.set()
        return self._idle

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        self._count += 1
        self._event().clear()
        try:
            yield
        finally:
            self._count -= 1
            if self._count == 0:
                self._event().set()

    async def drain(self, grace: float) -> bool:
        """Wait until no work is in hand, at most `grace` seconds; True when everything finished."""
        if self._count == 0:
            return True
        log.info("finishing %d piece(s) of work in hand before stopping (at most %.0f s)", self._count, grace)
        try:
            await asyncio.wait_for(self._event().wait(), grace)
        except TimeoutError:
            log.warning("stopped with %d piece(s) of work unfinished after %.0f s", self._count, grace)
            return False
        return True


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call (the curators' log, the brain) in a worker thread, never on the event loop."""
    return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))


async def run_steps(steps: Steps[T]) -> T:
    """Run a core call given as steps (`bot.conversation.steps`) on the event loop, and only each `Lookup` it
    yields (a read that may wait on the database) in a worker thread: most questions need no thread at all."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            lookup = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration as done:
            return done.value
        try:
            if lookup.on_loop is not None:
                value, error = await lookup.on_loop(*lookup.args), None
            else:
                value, error = await off_loop(lookup.fn, *lookup.args), None
        except Exception as exc:
            value, error = None, exc


class Services:
    """What every channel of one process shares: the knowledge, the conversation core, the curators' log."""

    def __init__(self, settings, kb, *, recorder=None, today=None) -> None:
        import datetime as dt

        from bot.brain.reply import Answerer
        from bot.conversation import Assistant

        self.settings = settings
        self.kb = kb
        self.recorder = recorder if recorder is not None else open_recorder(settings)
        self.assistant = Assistant(Answerer(kb), self.recorder, today=today or dt.date.today)
        self.inflight = InFlight()

    @property
    def reporter(self) -> Callable[[], str] | None:
        report_text = getattr(self.recorder, "report_text", None)
        if report_text is None:
            return None
        return lambda: report_text(since="30d")

    def close(self) -> None:
        close = getattr(self.recorder, "close", None)
        if close is not None:
            try:
                close()
            except Exception as exc:
                log.warning("the curators' log did not close cleanly (%s)", type(exc).__name__)


def open_recorder(settings):
    """The curators' log; a NullRecorder (answers, no log) when it cannot even be set up."""
    from bot.curators_log import open_recorder as open_log
    from bot.curators_log.recorder import NullRecorder

    try:
        return open_log(settings)
    except Exception as exc:  # a database problem must not stop members getting answers
        log.error("could not open the curators' log (%s); answering without it", type(exc).__name__)
        return NullRecorder()
