"""A core call as steps: the work that only needs the CPU, and the reads that may wait on a database.

`Assistant.ask_steps` is a generator: it yields a `Lookup` for each read that may wait (a member's saved nation,
a conversation's context; the curators' log may be a database that is slow or away) and is sent its value back;
everything between them is the brain and in-memory work that never waits. `run_steps` runs such a generator
where waiting is fine (the terminal, a worker thread); an asynchronous channel runs the steps on its event loop
and only each `Lookup` in a worker thread (`bot.runtime.run_steps`), so a question that needs no read costs no
trip to a thread at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Lookup:
    """`fn(*args)`: a call that may wait on the curators' log; its value (or exception) goes back to the steps.
    `on_loop`, when given, is the same call as a coroutine function that never blocks its event loop (it waits
    on the database from a helper thread); an asynchronous driver awaits it instead of sending `fn` to a thread."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    on_loop: Callable[..., Awaitable[Any]] | None = None


Steps = Generator[Lookup, Any, T]


def run_steps(steps: Steps[T]) -> T:
    """Run `steps` here, each `Lookup` included, and return their result."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            lookup = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration as done:
            return done.value
        try:
            value, error = lookup.fn(*lookup.args), None
        except Exception as exc:
            value, error = None, exc
