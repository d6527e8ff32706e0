"""The conversation core: what a conversation does, for every channel and the terminal chat.

    assistant = Assistant(answerer, recorder)
    answered = assistant.ask("how much is band 3 in wales", "dm", Member(id="U123", conversation="D1"))
    answered.reply    # the neutral Reply, for the channel to render
    answered.ref      # the curators' log reference, carried by the reply's buttons

It answers and records, saves the member's nation (`nation scotland`), opens an entry from a button, records a
"did you mean" choice, "none of these" and feedback, and lists topics and notices. It knows nothing of any
channel: the text it gets is plain (each channel removes its own markup first) and it returns a `Reply`.

Calls may touch the curators' log (a database), so asynchronous channels run them in a worker thread; `ask`
also comes as steps (`ask_steps`), whose only waits are the `Lookup`s it yields (`bot.conversation.steps`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot import wording
from bot.brain.knowledge import KnowledgeBase
from bot.brain.markdown import Document, parse_markdown
from bot.brain.matcher import CLARIFY, FALLBACK, Match
from bot.brain.nations import LABELS, Nation, parse_nation
from bot.brain.reply import INFO, Answerer, Reply, Suggestion, TopicSummary
from bot.brain.text import normalise
from bot.conversation import followups
from bot.conversation.buttons import NONE_OF_THESE
from bot.conversation.steps import Lookup, Steps, run_steps
from bot.curators_log.recorder import NullRecorder, Recorder, SafeRecorder

log = logging.getLogger(__name__)

Surface = Literal["command", "dm", "mention", "button", "home", "chat", "cli", "teams"]
NATION_WORD = "nation"


@dataclass(frozen=True)
class Member:
    """Who is asking, as far as the core needs to know.

    `id` is the channel's user id: the curators' log only ever stores a keyed fingerprint of it. `conversation`
    identifies the DM or thread (for follow-up questions); `nation` is a nation given for this question alone
    (the terminal's `--nation`), which wins over the saved one.
    """

    id: str | None = None
    conversation: str | None = None
    nation: Nation | None = None


ANONYMOUS = Member()


@dataclass(frozen=True)
class Answered:
    reply: Reply
    ref: str | None = None


class Assistant:
    def __init__(
        self,
        answerer: Answerer,
        recorder: Recorder | None = None,
        *,
        today: Callable[[], dt.date] = dt.date.today,
    ):
        self.answerer = answerer
        # the curators' log's one guard: a failing log is logged and never costs a member their answer
        inner = recorder if recorder is not None else NullRecorder()
        self.recorder: Recorder = inner if isinstance(inner, SafeRecorder) else SafeRecorder(inner)
        self.today = today

    @property
    def kb(self) -> KnowledgeBase:
        return self.answerer.kb

    # --- questions ------------------------------------------------------------------------------------
    def ask(self, text: str, surface: Surface, member: Member = ANONYMOUS) -> Answered:
        """Answer what the member typed and record it; `nation ...` saves or clears their nation."""
        return run_steps(self.ask_steps(text, surface, member))

    def ask_steps(self, text: str, surface: Surface, member: Member = ANONYMOUS) -> Steps[Answered]:
        """`ask` as steps (`bot.conversation.steps`): the reads that may wait on the curators' log (the member's
        saved nation, the conversation's context, the `nation` command) are yielded as `Lookup`s; the rest (the
        brain, recording, keeping the context) never waits."""
        words = normalise(text).split()
        if words and words[0] == NATION_WORD and len(words) <= 4:
            return Answered((yield Lookup(self.nation_command, (" ".join(words[1:]), member))))
        today = self.today()
        understood = self.answerer.understand(text)  # matched once, answered for each nation it is needed for
        reply = self.answerer.answer(understood, today=today, nation=member.nation)
        nation = member.nation
        if reply.nation_assumed and not member.nation and member.id:
            # only an answer that differs by nation, and names none, needs the member's saved nation
            nation = yield Lookup(self.nation_of, (member,), self.nation_of_async)
            if nation:
                reply = self.answerer.answer(understood, today=today, nation=nation)
        if member.conversation:
            # the context is read only for what looks like a follow-up ("and band 4?"), and kept after answers
            context = None
            if followups.looks_like_a_follow_up(text):
                context = yield Lookup(self.recorder.get_context, (member.conversation,), self._get_context_async)
            if isinstance(context, dict):
                followed = followups.resolve(self.answerer, text, reply, context, today=today, nation=nation)
                if followed is not None:
                    reply = followed
            kept = followups.context_of(reply)
            if kept is not None:
                self.recorder.put_context(member.conversation, kept)  # into memory; the writer stores it
        ref = self._record(surface, text, reply, member)  # queued; the writer stores it
        return Answered(reply, ref)

    def open_entry(
        self, entry_id: str, surface: Surface, member: Member = ANONYMOUS, *, nation: str | None = None
    ) -> Answered | None:
        """An entry opened from a button (a related question, a topic's question, another nation)."""
        entry = self.kb.get(entry_id)
        if entry is None:
            return None
        chosen = nation if nation in LABELS else self.nation_of(member)
        reply = self.answerer.entry_reply(entry, today=self.today(), nation=chosen)
        ref = self._record(surface, entry.question, reply, member)
        return Answered(reply, ref)

    def choose(self, ref: str | None, entry_id: str, surface: Surface, member: Member = ANONYMOUS) -> Answered | None:
        """A "did you mean" candidate (or a topic's question) chosen: recorded against the question it follows."""
        if self.kb.get(entry_id) is None:
            return None
        if ref:
            self.recorder.record_choice(ref, entry_id, user_id=member.id)
        return self.open_entry(entry_id, surface, member)

    def none_of_these(self, ref: str | None, member: Member = ANONYMOUS) -> Answered:
        if ref:
            self.recorder.record_choice(ref, NONE_OF_THESE, user_id=member.id)
        return Answered(self.answerer.fallback(Match(FALLBACK, None, 0, ()), today=self.today()), ref)

    def feedback(self, ref: str | None, entry_id: str, helpful: bool, member: Member = ANONYMOUS) -> bool:
        """Record 👍 or 👎 on an answer; False (nothing stored) when the entry is unknown."""
        if self.kb.get(entry_id) is None:
            return False
        self.recorder.record_feedback(ref, entry_id, helpful, user_id=member.id)
        return True

    def not_what_i_asked(
        self, ref: str | None, entry_id: str, others: tuple[str, ...], member: Member = ANONYMOUS
    ) -> Reply | None:
        """The member says the answer missed: log it for the curators, offer the next best entries and a person."""
        if self.kb.get(entry_id) is None:
            return None
        self.recorder.record_flag(ref, entry_id, user_id=member.id)
        suggestions = tuple(
            Suggestion(o, self.kb.by_id[o].question) for o in others if o in self.kb.by_id and o != entry_id
        )
        text = wording.NOT_WHAT_I_ASKED if suggestions else wording.NOT_WHAT_I_ASKED_NONE
        return Reply(
            outcome=CLARIFY if suggestions else FALLBACK,
            title="Sorry I missed",
            body=parse_markdown(text),
            candidates=suggestions,
            offer_person=True,
            notices=self.notices(),
        )

    def thanks(self, helpful: bool) -> str:
        return wording.THANKS_UP if helpful else wording.THANKS_DOWN

    # --- browsing -------------------------------------------------------------------------------------
    def topics(self) -> tuple[TopicSummary, ...]:
        return self.answerer.topics()

    def topic(self, title: str) -> TopicSummary | None:
        return next((t for t in self.answerer.topics() if t.title == title), None)

    def notices(self) -> tuple[Document, ...]:
        return tuple(parse_markdown(n.text) for n in self.kb.notices_in_force(self.today()))

    def help(self) -> Reply:
        return self.answerer.help(today=self.today())

    # --- the member's nation --------------------------------------------------------------------------
    def nation_of(self, member: Member) -> Nation | None:
        """The nation for this question: the one given with it, else the member's saved one, else None."""
        if member.nation:
            return member.nation
        if not member.id:
            return None
        saved = self.recorder.member_nation(member.id)
        return saved if saved in LABELS else None  # type: ignore[return-value]

    async def nation_of_async(self, member: Member) -> Nation | None:
        """`nation_of` from an event loop: the saved nation is read without blocking it."""
        if member.nation:
            return member.nation
        if not member.id:
            return None
        read = getattr(self.recorder, "member_nation_async", None)
        if read is None:
            return await asyncio.to_thread(self.nation_of, member)
        saved = await read(member.id)
        return saved if saved in LABELS else None

    async def _get_context_async(self, conversation_id: str) -> dict | None:
        read = getattr(self.recorder, "get_context_async", None)
        if read is None:
            return await asyncio.to_thread(self.recorder.get_context, conversation_id)
        return await read(conversation_id)

    def set_nation(self, member: Member, nation: Nation | None) -> bool:
        """Save (or with None, forget) the member's nation; False when it cannot be stored."""
        if not member.id:
            return False
        self.recorder.set_member_nation(member.id, nation)
        return True

    def nation_command(self, rest: str, member: Member) -> Reply:
        """`nation scotland`, `nation clear`, or `nation` alone (shows what is saved)."""
        rest = rest.strip()
        if not rest:
            saved = self.nation_of(Member(id=member.id))
            text = wording.NATION_SHOWN.format(nation=LABELS[saved]) if saved else wording.NATION_NONE
            return self.info("Your nation", text)
        if rest in {"clear", "forget", "none", "reset"}:
            self.set_nation(member, None)
            return self.info("Nation forgotten", wording.NATION_CLEARED)
        nation = parse_nation(rest)
        if nation is None:
            return self.info("Which nation?", wording.NATION_UNKNOWN)
        self.set_nation(member, nation)
        return self.info("Nation saved", wording.NATION_SAVED.format(nation=LABELS[nation]))

    def info(self, title: str, text: str) -> Reply:
        return Reply(outcome=INFO, title=title, body=parse_markdown(text), notices=self.notices())

    # --- the curators' log ----------------------------------------------------------------------------
    def _record(self, surface: Surface, text: str, reply: Reply, member: Member) -> str | None:
        return self.recorder.record_question(surface, text, reply, user_id=member.id)
