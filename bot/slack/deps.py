"""What every listener needs, built once by `create_app` and handed to each surface's `register(app, deps)`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.brain.knowledge import KnowledgeBase
from bot.brain.markdown import Document, parse_markdown
from bot.brain.reply import Answerer, Reply, TopicSummary
from bot.config import Settings
from bot.curators_log.recorder import Recorder
from bot.slack import blocks as render

log = logging.getLogger(__name__)


class SafeRecorder:
    """Wraps a recorder so that a failing one (a database down) is logged and never stops a reply.

    `claim_event` fails open: if the store cannot be asked, the event is answered (a rare duplicate beats a
    member getting no answer at all).
    """

    def __init__(self, inner: Recorder):
        self.inner = inner

    def record_question(self, surface: str, question: str, reply: Reply, *, user_id: str | None = None) -> str | None:
        try:
            ref = self.inner.record_question(surface, question, reply, user_id=user_id)
        except Exception:
            log.exception("could not record a %s question; the member is answered anyway", surface)
            return None
        return str(ref) if ref is not None else None

    def record_feedback(
        self, ref: str | None, entry_id: str, helpful: bool, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        try:
            self.inner.record_feedback(ref, entry_id, helpful, surface=surface, user_id=user_id)
        except Exception:
            log.exception("could not record feedback on %s", entry_id)

    def record_choice(
        self, ref: str | None, entry_id: str, *, surface: str = "button", user_id: str | None = None
    ) -> None:
        try:
            self.inner.record_choice(ref, entry_id, surface=surface, user_id=user_id)
        except Exception:
            log.exception("could not record a choice of %s", entry_id)

    def claim_event(self, key: str) -> bool:
        try:
            return bool(self.inner.claim_event(key))
        except Exception:
            log.exception("could not check whether event %s was already handled; handling it", key)
            return True


@dataclass(frozen=True)
class Deps:
    settings: Settings
    kb: KnowledgeBase
    answerer: Answerer
    recorder: SafeRecorder
    today: Callable[[], dt.date]
    reporter: Callable[[], str] | None = None

    def reply(self, question: str) -> Reply:
        return self.answerer.reply(question, today=self.today())

    def answer_message(self, surface: str, text: str, user_id: str | None) -> dict:
        """Answer a member's message, log it, and return the Slack message (text, blocks) to post."""
        reply = self.reply(text)
        ref = self.recorder.record_question(surface, text, reply, user_id=user_id)
        return {**render.reply_message(reply, ref=ref), **render.NO_UNFURL}

    def entry_reply(self, entry_id: str) -> Reply | None:
        entry = self.kb.get(entry_id)
        if entry is None:
            return None
        return self.answerer.entry_reply(entry, today=self.today())

    def topic(self, title: str) -> TopicSummary | None:
        return next((t for t in self.answerer.topics() if t.title == title), None)

    def notices(self) -> tuple[Document, ...]:
        return tuple(parse_markdown(n.text) for n in self.kb.notices_in_force(self.today()))
