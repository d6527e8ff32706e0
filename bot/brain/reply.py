"""The channel-neutral reply: what to say, built from a match and the knowledge base.

Every channel (Slack Block Kit, the terminal, later Teams) renders the same `Reply`; none of them decides what
to say. `Answerer.reply(question)` is the whole brain in one call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.brain.knowledge import Entry, KnowledgeBase, Link
from bot.brain.markdown import Document, parse_markdown
from bot.brain.matcher import ANSWER, CLARIFY, FALLBACK, Match, Matcher, build_matcher
from bot.brain.text import normalise

HELP = "help"
HELP_WORDS = {"", "help", "topics", "menu", "start", "commands", "shortcuts", "options"}
TOOLKIT_ID = "job-description-toolkit"


@dataclass(frozen=True)
class Suggestion:
    """A follow-up question offered as a button: the entry it opens and its question."""

    entry_id: str
    label: str
    score: int | None = None


@dataclass(frozen=True)
class TopicSummary:
    title: str
    suggestions: tuple[Suggestion, ...]
    shortcuts: tuple[str, ...]


@dataclass(frozen=True)
class Reply:
    outcome: str  # answer | clarify | fallback | help
    title: str
    body: Document
    entry_id: str | None = None
    score: int = 0
    links: tuple[Link, ...] = ()
    primary_url: str | None = None  # the link to show as the main call to action (the toolkit)
    related: tuple[Suggestion, ...] = ()
    candidates: tuple[Suggestion, ...] = ()
    source: tuple[str, ...] = ()
    reviewed: dt.date | None = None
    notices: tuple[Document, ...] = ()
    topics: tuple[TopicSummary, ...] = ()
    declined: str | None = None
    match: Match | None = field(default=None, compare=False)

    @property
    def feedback_allowed(self) -> bool:
        return self.outcome == ANSWER and self.entry_id is not None


class Answerer:
    """The brain: knowledge base + matcher -> Reply. Pure, thread-safe, no I/O."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher | None = None):
        self.kb = kb
        self.matcher = matcher or build_matcher(kb)
        # answers are parsed once, here, not on every reply
        self._answers = {e.id: parse_markdown(e.answer) for e in kb.entries}

    # entry points --------------------------------------------------------------------------------------
    def reply(self, question: str, *, today: dt.date | None = None) -> Reply:
        """Answer a question or a shortcut; empty text or 'help' gives the help reply."""
        today = today or dt.date.today()
        key = normalise(question)
        if key in HELP_WORDS:
            return self.help(today=today)
        return self.from_match(self.matcher.match(question), today=today)

    def from_match(self, match: Match, *, today: dt.date | None = None) -> Reply:
        today = today or dt.date.today()
        if match.outcome == ANSWER and match.entry_id:
            return self.entry_reply(self.kb.by_id[match.entry_id], today=today, match=match)
        if match.outcome == CLARIFY:
            return self.clarify(match, today=today)
        return self.fallback(match, today=today)

    def entry_reply(self, entry: Entry, *, today: dt.date | None = None, match: Match | None = None) -> Reply:
        """The reply for one entry, e.g. when a member presses a related-question button."""
        today = today or dt.date.today()
        if entry.kind == "decline":
            return self.fallback(match or Match(FALLBACK, None, 0, (), entry.id), today=today)
        primary = None
        if entry.id == TOOLKIT_ID and entry.links:
            primary = entry.links[0].url
        toolkit = self.kb.get(TOOLKIT_ID)
        links = entry.links
        if primary is None and toolkit is not None and toolkit.links and _mentions_toolkit(entry):
            links = (*links, toolkit.links[0]) if toolkit.links[0] not in links else links
            primary = toolkit.links[0].url
        return Reply(
            outcome=ANSWER,
            title=entry.question,
            body=self._answers[entry.id],
            entry_id=entry.id,
            score=match.score if match else 100,
            links=links,
            primary_url=primary,
            related=tuple(
                Suggestion(rid, self.kb.by_id[rid].question) for rid in entry.related if rid in self.kb.by_id
            ),
            source=entry.source,
            reviewed=entry.reviewed if entry.kind in ("answer", "bot") else None,
            notices=self._notices(today),
            match=match,
        )

    def clarify(self, match: Match, *, today: dt.date | None = None) -> Reply:
        today = today or dt.date.today()
        suggestions = tuple(
            Suggestion(c.entry_id, self.kb.by_id[c.entry_id].question, c.score)
            for c in match.candidates
            if c.entry_id in self.kb.by_id
        )
        return Reply(
            outcome=CLARIFY,
            title="Did you mean...",
            body=parse_markdown("I'm not quite sure what you're asking. Did you mean one of these?"),
            score=match.score,
            candidates=suggestions,
            notices=self._notices(today),
            match=match,
        )

    def fallback(self, match: Match, *, today: dt.date | None = None) -> Reply:
        today = today or dt.date.today()
        declined = self.kb.get(match.declined) if match.declined else None
        p = self.kb.placeholders
        contact = (
            f"For anything else, a person can help: CSP enquiries on {p.get('csp_phone', '')} or "
            f"{p.get('csp_email', '')}. For a problem at work, talk to your local CSP steward first."
        )
        if declined is not None:
            body = self._answers[declined.id]
            title = "That's one for a clinician"
            topics: tuple[TopicSummary, ...] = ()
        else:
            body = parse_markdown(
                "Sorry, I don't know that one. I answer career questions for physiotherapy support workers: "
                "bands and pay, re-banding, apprenticeships, becoming a physio, CSP membership and the "
                "Associates Network.\n\n" + contact
            )
            title = "I don't know that one"
            topics = self.topics()
        return Reply(
            outcome=FALLBACK,
            title=title,
            body=body,
            score=match.score,
            topics=topics,
            declined=declined.id if declined else None,
            notices=self._notices(today),
            match=match,
        )

    def help(self, *, today: dt.date | None = None) -> Reply:
        today = today or dt.date.today()
        shortcuts = sorted(s for e in self.kb.answerable() for s in e.shortcuts)
        example = "band5" if "band5" in shortcuts else (shortcuts[0] if shortcuts else "")
        text = (
            "Ask me a career question in your own words, for example **how do I become a physio?** or "
            "**can I be re-banded if I do band 4 work?**\n\n"
            f"Or use a shortcut such as **{example}**. The topics I know are below."
        )
        return Reply(
            outcome=HELP,
            title="How to ask physio-career",
            body=parse_markdown(text),
            topics=self.topics(),
            notices=self._notices(today),
        )

    # helpers -------------------------------------------------------------------------------------------
    def topics(self) -> tuple[TopicSummary, ...]:
        out = []
        for topic in self.kb.topics:
            entries = [self.kb.by_id[i] for i in topic.entry_ids if self.kb.by_id[i].kind in ("answer", "bot")]
            if not entries:
                continue
            out.append(
                TopicSummary(
                    title=topic.title,
                    suggestions=tuple(Suggestion(e.id, e.question) for e in entries),
                    shortcuts=tuple(s for e in entries for s in e.shortcuts),
                )
            )
        return tuple(out)

    def _notices(self, today: dt.date) -> tuple[Document, ...]:
        return tuple(parse_markdown(n.text) for n in self.kb.notices_in_force(today))


def _mentions_toolkit(entry: Entry) -> bool:
    """Entries about job descriptions and banding carry the toolkit as their main button."""
    return TOOLKIT_ID in entry.related or "toolkit" in entry.answer.lower()
