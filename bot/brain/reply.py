"""The channel-neutral reply: what to say, built from a match and the knowledge base.

Every channel (Slack Block Kit, the terminal, later Teams) renders the same `Reply`; none of them decides what
to say. `Answerer.reply(question)` is the whole brain in one call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from bot.brain.guards import band_named
from bot.brain.knowledge import Entry, KnowledgeBase, Link
from bot.brain.markdown import BulletList, Document, parse_markdown
from bot.brain.matcher import ANSWER, CLARIFY, FALLBACK, Match, Matcher, build_matcher, stem
from bot.brain.nations import DEFAULT_NATION, LABELS, NATIONS, Nation
from bot.brain.text import normalise

Outcome = Literal["answer", "clarify", "fallback", "help", "info"]
HELP: Final = "help"
INFO: Final = "info"  # a confirmation, such as "your nation is saved"
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
    outcome: Outcome
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
    # the nation the answer holds for (None when the facts are the same everywhere)
    nation: Nation | None = None
    # True when nothing said which nation, so the answer is for DEFAULT_NATION and says so
    nation_assumed: bool = False
    # the nations offered as "answer for ..." buttons, in order
    other_nations: tuple[Nation, ...] = ()
    # set when the figures shown are past their valid_until: the line that says so
    stale: Document | None = None
    guard: str | None = None  # the guard that decided (a clinical question, another profession...), if any
    facet: str | None = None  # the facet that chose the entry (a band's pay, a band's duties...), if any
    cue: str | None = None  # the words that fired the guard or facet, for `explain` and the curators' report
    offer_person: bool = False  # the bot could not answer: channels with a help channel offer "Ask a person"
    match: Match | None = field(default=None, compare=False)

    @property
    def feedback_allowed(self) -> bool:
        return self.outcome == ANSWER and self.entry_id is not None

    @property
    def alternatives(self) -> tuple[str, ...]:
        """The next best entries after the one answered (for "Not what I asked"), best first."""
        if self.match is None:
            return ()
        return tuple(c.entry_id for c in self.match.candidates if c.entry_id != self.entry_id)[:3]

    @property
    def nation_label(self) -> str:
        return LABELS.get(self.nation or "", "")


@dataclass(frozen=True)
class Understood:
    """`Answerer.understand`: a question's match (None for the help words) and the reply the rules decided on
    (a function of the day and the nation), if any."""

    match: Match | None
    decided: Callable[[dt.date, str | None], Reply] | None


class Answerer:
    """The brain: knowledge base + matcher -> Reply. Pure, thread-safe, no I/O."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher | None = None):
        self.kb = kb
        self.matcher = matcher or build_matcher(kb)
        # answers are parsed once, here, not on every reply
        self._answers = {e.id: parse_markdown(e.answer) for e in kb.entries}
        self._parts = {(e.id, p.nation): parse_markdown(e.text_for(p.nation)) for e in kb.entries for p in e.nations}
        self._shortcuts = {s for e in kb.entries for s in e.shortcuts}
        self._shortcut_entries = {e.id for e in kb.entries if e.shortcuts}
        self._notice_docs: dict[str, Document] = {}  # a notice's text, parsed once (Documents are immutable)

    # entry points --------------------------------------------------------------------------------------
    def reply(self, question: str, *, today: dt.date | None = None, nation: str | None = None) -> Reply:
        """Answer a question or a shortcut; empty text or 'help' gives the help reply.

        `nation` is the member's saved nation; a nation the question names wins over it.
        """
        return self.answer(self.understand(question), today=today, nation=nation)

    def understand(self, question: str) -> Understood:
        """What the question asks, whatever the member's nation: the match and what the rules decided. The costly
        half of `reply`; `answer` it once for each nation it is needed for."""
        if normalise(question) in HELP_WORDS:
            return Understood(None, None)
        match = self.matcher.match(question)
        return Understood(match, self.apply_rules(match, self.matcher.unmended(question)))

    def answer(self, understood: Understood, *, today: dt.date | None = None, nation: str | None = None) -> Reply:
        """The reply to an understood question (`reply` is `answer(understand(question))`)."""
        today = today or dt.date.today()
        if understood.match is None:
            return self.help(today=today)
        if understood.decided is not None:
            return understood.decided(today, nation)
        return self.from_match(understood.match, today=today, nation=nation)

    def apply_rules(self, match: Match, typed: list[str] | None = None):
        """Guards, then facets (bot.brain.guards): a function that builds the reply they decide, or None."""
        rules = self.kb.rules
        if not (rules.guards or rules.facets) or (
            match.score == 100
            and match.query == normalise(match.query)
            and match.entry_id in self._shortcut_entries
            and match.query.replace(" ", "") in self._shortcuts
        ):
            return None
        words = [stem(w) for w in match.query.split()]
        hit = rules.guard(words)
        if hit is None and typed:
            as_typed = [stem(w) for w in typed]
            if as_typed != words:  # the same words cannot fire a guard the first pass did not
                hit = rules.guard(as_typed)  # the words as typed, before typo mending
        if hit is not None:
            guard, cue = hit
            declined = Match(FALLBACK, None, match.score, (), guard.decline, match.query, match.nations)

            def decline(today: dt.date, nation: str | None) -> Reply:
                return replace(self.fallback(declined, today=today), guard=guard.id, cue=cue)

            return decline
        if match.outcome == ANSWER and match.entry_id:
            chosen: tuple[str, ...] = (match.entry_id,)
        elif match.outcome == CLARIFY:
            chosen = tuple(c.entry_id for c in match.candidates)
        else:
            return None
        found = rules.facet(words, chosen)
        if found is None:
            return None
        facet, target, cue = found
        entry = self.kb.get(target)
        if (
            entry is None
            or entry.kind == "decline"
            or (match.outcome == ANSWER and target == match.entry_id and not facet.lead_with_band)
        ):
            return None
        band = band_named(words)

        def answer(today: dt.date, nation: str | None) -> Reply:
            chosen_nation, assumed, others = choose_nation(match.nations, nation)
            reply = self.entry_reply(
                entry, today=today, match=match, nation=chosen_nation, assumed=assumed, others=others
            )
            body = lead_with_band(reply.body, band) if facet.lead_with_band and band else reply.body
            return replace(reply, body=body, facet=facet.id, cue=cue)

        return answer

    def from_match(self, match: Match, *, today: dt.date | None = None, nation: str | None = None) -> Reply:
        today = today or dt.date.today()
        if match.outcome == ANSWER and match.entry_id:
            chosen, assumed, others = choose_nation(match.nations, nation)
            return self.entry_reply(
                self.kb.by_id[match.entry_id], today=today, match=match, nation=chosen, assumed=assumed, others=others
            )
        if match.outcome == CLARIFY:
            return self.clarify(match, today=today)
        return self.fallback(match, today=today)

    def entry_reply(
        self,
        entry: Entry,
        *,
        today: dt.date | None = None,
        match: Match | None = None,
        nation: str | None = None,
        assumed: bool | None = None,
        others: tuple[Nation, ...] | None = None,
    ) -> Reply:
        """The reply for one entry, e.g. when a member presses a related-question button.

        For an entry whose facts differ by nation: the part for `nation`, else for DEFAULT_NATION, saying so and
        offering the other three.
        """
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
        shown: Nation | None = None
        body = self._answers[entry.id]
        if entry.by_nation:
            picked, was_assumed, offered = choose_nation((), nation)
            shown = picked
            assumed = was_assumed if assumed is None else assumed
            others = offered if others is None or not assumed else others
            part = entry.part(shown)
            body = self._parts[(entry.id, shown)]
            if part is not None and part.links:
                links = (*part.links, *(link for link in links if link not in part.links))
            sources = tuple(dict.fromkeys((*(part.source if part else ()), *entry.source)))
        else:
            assumed, others, sources = False, (), entry.source
        until = entry.valid_until_for(shown)
        stale = None
        if until is not None and until < today:
            stale = parse_markdown(
                f"The figures here were due for review on {until:%-d %B %Y} and may be out of date. "
                "Check them on the official page linked below."
            )
        return Reply(
            outcome=ANSWER,
            title=entry.question,
            body=body,
            entry_id=entry.id,
            score=match.score if match else 100,
            nation=shown,
            nation_assumed=bool(assumed) and shown is not None,
            other_nations=tuple(others or ()) if shown is not None else (),
            stale=stale,
            links=links,
            primary_url=primary,
            related=tuple(
                Suggestion(rid, self.kb.by_id[rid].question) for rid in entry.related if rid in self.kb.by_id
            ),
            source=sources,
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
            title = declined.title or "That one is not for me"
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
            offer_person=declined is None,
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
        return tuple(self._notice_doc(n.text) for n in self.kb.notices_in_force(today))

    def _notice_doc(self, text: str) -> Document:
        doc = self._notice_docs.get(text)
        if doc is None:
            doc = self._notice_docs[text] = parse_markdown(text)
        return doc


def lead_with_band(doc: Document, band: int) -> Document:
    """The same answer with the bullet about `band` ("Band 3: ...") first in each list that has one."""
    label = f"band {band}"
    blocks = []
    for block in doc.blocks:
        if isinstance(block, BulletList):
            first = [i for i in block.items if "".join(s.text for s in i).strip().lower().startswith(label)]
            rest = [i for i in block.items if i not in first]
            block = BulletList(tuple(first + rest))
        blocks.append(block)
    return Document(tuple(blocks))


def choose_nation(named: tuple[str, ...], saved: str | None) -> tuple[Nation, bool, tuple[Nation, ...]]:
    """Which nation to answer for: (nation, assumed, the nations to offer instead).

    One nation named in the question wins. Several ("health board": Scotland or Wales) are narrowed by the
    member's saved nation, else the first is shown and the others offered first. With none named, the saved
    nation; with nothing known, DEFAULT_NATION, saying so and offering the other three.
    """
    named_ok = [n for n in NATIONS if n in named]
    ordered = [n for n in named if n in named_ok]
    if len(ordered) == 1:
        return ordered[0], False, ()
    if ordered:
        if saved in ordered:
            return saved, False, ()
        first, rest = ordered[0], ordered[1:]
        return first, True, (*rest, *(n for n in NATIONS if n not in ordered))
    if saved in NATIONS:
        return saved, False, ()
    return DEFAULT_NATION, True, tuple(n for n in NATIONS if n != DEFAULT_NATION)


def _mentions_toolkit(entry: Entry) -> bool:
    """Entries about job descriptions and banding carry the toolkit as their main button."""
    return TOOLKIT_ID in entry.related or "toolkit" in entry.answer.lower()
