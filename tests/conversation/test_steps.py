"""`Assistant.ask_steps`: the only reads that may wait on the curators' log are the `Lookup`s it yields, and the
asynchronous driver runs those, and only those, in a worker thread (never on the event loop)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest

from bot.brain.reply import Answerer
from bot.conversation import Assistant, Member
from bot.conversation.steps import Lookup, run_steps
from bot.curators_log.recorder import NullRecorder
from bot.runtime import run_steps as run_steps_async

TODAY = dt.date(2026, 12, 3)
DM = Member(id="U1", conversation="slack:T1:D1:")


class SlowRecorder(NullRecorder):
    """A database recorder stand-in: the member has saved Scotland; says which thread each read ran in."""

    def __init__(self, nation: str | None = "scotland", *, broken: bool = False) -> None:
        super().__init__()
        self.nation = nation
        self.broken = broken
        self.read_in: list[str] = []
        self.contexts: dict[str, dict] = {}

    def member_nation(self, user_id):
        self.read_in.append(threading.current_thread().name)
        if self.broken:
            raise ConnectionError("the database is down")
        return self.nation

    def get_context(self, conversation_id):
        self.read_in.append(threading.current_thread().name)
        return self.contexts.get(conversation_id)

    def put_context(self, conversation_id, data):
        self.contexts[conversation_id] = data


def assistant(kb, recorder) -> Assistant:
    return Assistant(Answerer(kb), recorder, today=lambda: TODAY)


def lookups(steps) -> list[Lookup]:
    """Every Lookup the steps yield, each answered with None."""
    seen = []
    try:
        step = next(steps)
        while True:
            seen.append(step)
            step = steps.send(None)
    except StopIteration:
        return seen


def test_a_question_that_needs_no_saved_nation_and_is_no_follow_up_reads_nothing(kb):
    recorder = SlowRecorder()
    assert lookups(assistant(kb, recorder).ask_steps("How do I join the CSP?", "dm", DM)) == []
    assert recorder.read_in == []


def test_an_answer_that_differs_by_nation_reads_the_saved_nation_as_a_lookup(kb):
    recorder = SlowRecorder()
    core = assistant(kb, recorder)
    [lookup] = lookups(core.ask_steps("How much are physio support workers paid on each band?", "command", DM))
    assert lookup.fn == core.nation_of
    answered = run_steps(core.ask_steps("How much are physio support workers paid on each band?", "command", DM))
    assert answered.reply.nation == "scotland"
    assert answered.reply == core.ask("How much are physio support workers paid on each band?", "command", DM).reply


def test_on_the_event_loop_only_the_reads_leave_it(kb):
    recorder = SlowRecorder()
    core = assistant(kb, recorder)

    async def main():
        loop_thread = threading.current_thread().name
        paid = await run_steps_async(core.ask_steps("How much are physio support workers paid on each band?", "dm", DM))
        joined = await run_steps_async(core.ask_steps("How do I join the CSP?", "dm", DM))
        return loop_thread, paid, joined

    loop_thread, paid, joined = asyncio.run(main())
    assert paid.reply.nation == "scotland"
    assert joined.reply.entry_id == "join-the-csp"
    assert recorder.read_in and loop_thread not in recorder.read_in


def test_a_read_that_fails_is_raised_inside_the_steps_where_the_core_guards_it(kb):
    recorder = SlowRecorder(broken=True)
    core = assistant(kb, recorder)  # wrapped in SafeRecorder: a failing log never costs the member the answer
    answered = asyncio.run(
        run_steps_async(core.ask_steps("How much are physio support workers paid on each band?", "dm", DM))
    )
    assert answered.reply.entry_id == "pay-rates"
    assert answered.reply.nation_assumed


def test_an_error_from_a_lookup_goes_back_into_the_steps():
    def steps():
        try:
            yield Lookup(int, ("not a number",))
        except ValueError:
            return "handled"
        return "not raised"

    assert run_steps(steps()) == "handled"
    assert asyncio.run(run_steps_async(steps())) == "handled"

    def unhandled():
        yield Lookup(int, ("not a number",))

    with pytest.raises(ValueError):
        asyncio.run(run_steps_async(unhandled()))


def test_a_question_is_matched_once_however_many_nations_it_is_answered_for(kb, monkeypatch):
    core = assistant(kb, SlowRecorder("wales"))
    question = "How much are physio support workers paid on each band?"
    expected = core.answerer.reply(question, today=TODAY, nation="wales")
    asked: list[str] = []
    match = core.answerer.matcher.match
    monkeypatch.setattr(core.answerer.matcher, "match", lambda q: asked.append(q) or match(q))
    answered = core.ask(question, "dm", DM)
    assert answered.reply == expected and answered.reply.nation == "wales"
    assert asked == [question]  # the saved nation changes the answer, not what the question matched
