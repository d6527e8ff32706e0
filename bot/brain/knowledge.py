"""The curated knowledge base as data: entries, their per-nation parts, topics, notices, settings.

`bot.brain.lint` reads and checks `knowledge/*.yaml` into these classes (`load_knowledge`, `check_knowledge`).
Nothing here does I/O or knows about any channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.brain.guards import Rules
from bot.brain.nations import Nation, NationCues
from bot.brain.pathways import Pathways

EntryKind = Literal["answer", "smalltalk", "bot", "decline"]
KINDS: tuple[EntryKind, ...] = ("answer", "smalltalk", "bot", "decline")
ANSWERABLE_KINDS: tuple[EntryKind, ...] = ("answer", "bot")  # shown as answers with sources and review dates

__all__ = [
    "ANSWERABLE_KINDS",
    "KINDS",
    "Entry",
    "EntryKind",
    "KnowledgeBase",
    "Link",
    "NationPart",
    "Notice",
    "Topic",
]


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class NationPart:
    """What an entry says for one nation. `nothing_specific` parts say that the nation has nothing of its own
    here and what applies instead; they are shown like any other part."""

    nation: Nation
    answer: str
    links: tuple[Link, ...] = ()
    source: tuple[str, ...] = ()
    valid_until: dt.date | None = None
    nothing_specific: bool = False


@dataclass(frozen=True)
class Entry:
    id: str
    question: str
    alternates: tuple[str, ...]
    answer: str  # for a nation-specific entry: the lead shown for every nation (may be empty)
    links: tuple[Link, ...]
    related: tuple[str, ...]
    source: tuple[str, ...]  # official pages only: members see them
    reviewed: dt.date
    topic: str
    file: str
    line: int
    shortcuts: tuple[str, ...] = ()
    kind: EntryKind = "answer"
    valid_until: dt.date | None = None
    nations: tuple[NationPart, ...] = ()  # empty, or one part for each of the four nations
    corroboration: tuple[str, ...] = ()  # third-party pages that back the facts: for curators, never shown
    title: str = ""  # the heading of a decline ("That one is for HR"); other kinds are headed by their question

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question first, then the alternates."""
        return (self.question, *self.alternates)

    @property
    def by_nation(self) -> bool:
        """True when the facts differ by nation (the entry has per-nation parts)."""
        return bool(self.nations)

    def part(self, nation: str) -> NationPart | None:
        return next((p for p in self.nations if p.nation == nation), None)

    def valid_until_for(self, nation: str | None) -> dt.date | None:
        """The earliest date the figures shown for `nation` need re-checking (the entry's or the part's)."""
        part = self.part(nation) if nation else None
        dates = [d for d in (self.valid_until, part.valid_until if part else None) if d is not None]
        return min(dates) if dates else None

    def text_for(self, nation: str | None) -> str:
        """The whole answer as shown for `nation`: the lead, then that nation's part."""
        part = self.part(nation) if nation else None
        if part is None:
            return self.answer
        return "\n\n".join(t for t in (self.answer, part.answer) if t)


@dataclass(frozen=True)
class Topic:
    title: str
    file: str
    entry_ids: tuple[str, ...]


MonthDay = tuple[int, int]


@dataclass(frozen=True)
class Notice:
    """A time-bound message; `start`/`end` are (month, day) for a yearly window or full dates.

    `lead_days` shows it that many days before `start` too (the Christmas closure from 1 December).
    """

    id: str
    text: str
    start: dt.date | MonthDay
    end: dt.date | MonthDay
    source: str = ""
    lead_days: int = 0

    def in_force(self, day: dt.date) -> bool:
        """True on every day from `lead_days` before the start to the end, both included."""
        if isinstance(self.start, dt.date) and isinstance(self.end, dt.date):
            return self.start - dt.timedelta(days=self.lead_days) <= day <= self.end
        assert not isinstance(self.start, dt.date) and not isinstance(self.end, dt.date)
        # a yearly window: try the window that starts this year and the one that started last year
        for year in (day.year, day.year - 1):
            start = _month_day(year, self.start)
            end = _month_day(year + (self.end < self.start), self.end)
            if start - dt.timedelta(days=self.lead_days) <= day <= end:
                return True
        return False


def _month_day(year: int, md: MonthDay) -> dt.date:
    month, day = md
    if (month, day) == (2, 29):
        day = 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return dt.date(year, month, day)


@dataclass(frozen=True)
class Example:
    """A question members ask and the entry that answers it (or "fallback"), from knowledge/examples/."""

    q: str
    expect: str
    source: str = ""  # the examples file it came from, without .yaml


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    topics: tuple[Topic, ...]
    synonyms: Mapping[str, tuple[str, ...]]
    placeholders: Mapping[str, str]
    notices: tuple[Notice, ...] = ()
    directory: str = ""
    nation_cues: NationCues = field(default_factory=NationCues)
    rules: Rules = field(default_factory=Rules)  # guards before matching, facets after (guards.yaml, facets.yaml)
    pathways: Pathways = field(default_factory=Pathways)  # the career pathway planner's steps (pathways.yaml)
    examples: tuple[Example, ...] = ()  # labelled member questions the matcher learns from (examples/*.yaml)
    by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {e.id: e for e in self.entries})

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)

    def notices_in_force(self, day: dt.date) -> tuple[Notice, ...]:
        return tuple(n for n in self.notices if n.in_force(day))

    def answerable(self) -> Iterable[Entry]:
        """Entries a member can be shown as answers (not the declines)."""
        return (e for e in self.entries if e.kind != "decline")

    def expired(self, day: dt.date) -> tuple[Entry, ...]:
        """Entries with a figure whose `valid_until` (for any nation) has passed."""
        out = []
        for e in self.entries:
            dates = [d for d in (e.valid_until, *(p.valid_until for p in e.nations)) if d is not None]
            if any(d < day for d in dates):
                out.append(e)
        return tuple(out)
