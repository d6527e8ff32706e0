"""Guards and facets: curated word rules that run around the matcher (`knowledge/guards.yaml`, `facets.yaml`).

A **guard** runs before matching and decides alone: a question about a particular patient's care, or the
member's own treatment, always gets the clinical decline, however career-like its words; a question about
training for another profession gets the other-careers decline unless it is about physiotherapy; workplace admin
(rotas, payslips, passwords) gets its decline. A **facet** runs after matching and picks the side of a topic the
member asked about: a band's pay goes to the pay answer (that band's figures first), what a band does goes to
the band's entry, and "does this qualification get me that band" goes to the answer that says what sets a band.

Rules are phrases, compared word by word after the same normalising, synonyms and stemming as questions, so
"exercises" matches "exercise" and "b4" matches "band 4". A rule fires when the question has any phrase of
`any`, or a phrase from every list of `all`, and none of `unless`. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

Phrase = tuple[str, ...]
_BAND = re.compile(r"^[2-9]$")


@dataclass(frozen=True)
class Rule:
    any: tuple[Phrase, ...] = ()
    all: tuple[tuple[Phrase, ...], ...] = ()
    unless: tuple[Phrase, ...] = ()

    @cached_property
    def _firsts(self) -> frozenset[str]:
        """Every first word of an `any` or `all` phrase: a question with none of them cannot fire the rule."""
        return frozenset(p[0] for p in self.any) | frozenset(p[0] for g in self.all for p in g)

    def fires(self, words: Sequence[str], present: frozenset[str] | set[str] | None = None) -> str | None:
        """The cue that fired ("my patient", or "mr + sets"), or None."""
        present = set(words) if present is None else present
        if self._firsts.isdisjoint(present):
            return None
        if any(p[0] in present and _has(words, p) for p in self.unless):
            return None
        for phrase in self.any:
            if phrase[0] in present and _has(words, phrase):
                return " ".join(phrase)
        if self.all:
            found = []
            for group in self.all:
                hit = next((p for p in group if p[0] in present and _has(words, p)), None)
                if hit is None:
                    return None
                found.append(" ".join(hit))
            return " + ".join(found)
        return None


@dataclass(frozen=True)
class Guard:
    id: str
    decline: str  # the decline entry that answers
    rule: Rule


@dataclass(frozen=True)
class Facet:
    id: str
    rule: Rule
    answer: str | None = None  # the entry that answers this side of the topic
    by_band: dict[int, str] = field(default_factory=dict)  # or: the entry for the band the question names
    applies_to: tuple[str, ...] = ()  # only when the matcher chose (or offered) one of these entries
    lead_with_band: bool = False  # put the bullet about the band named first ("Band 3: ...")

    def target(self, band: int | None) -> str | None:
        if self.by_band:
            return self.by_band.get(band) if band is not None else None
        return self.answer


@dataclass(frozen=True)
class Rules:
    """Guards and facets, with the word preparation they share with the matcher."""

    guards: tuple[Guard, ...] = ()
    facets: tuple[Facet, ...] = ()

    def guard(self, words: Sequence[str]) -> tuple[Guard, str] | None:
        present = set(words)
        for guard in self.guards:
            cue = guard.rule.fires(words, present)
            if cue:
                return guard, cue
        return None

    def facet(self, words: Sequence[str], chosen: Iterable[str]) -> tuple[Facet, str, str] | None:
        """The first facet that fires for a match among `chosen` entries: (facet, target entry, cue)."""
        chosen = tuple(chosen)
        band = band_named(words)
        for facet in self.facets:
            if facet.applies_to and not any(c in facet.applies_to for c in chosen):
                continue
            target = facet.target(band)
            if target is None:
                continue
            cue = facet.rule.fires(words)
            if cue:
                return facet, target, cue
        return None


def prepare_phrases(phrases: Iterable[str], words_of: Callable[[str], list[str]]) -> tuple[Phrase, ...]:
    out = []
    for phrase in phrases:
        words = tuple(words_of(phrase))
        if words:
            out.append(words)
    return tuple(dict.fromkeys(out))


def band_named(words: Sequence[str]) -> int | None:
    """The band a question names ("band 3", "b3" after synonyms), or None; the first one if several."""
    for i, word in enumerate(words[:-1]):
        if word == "band" and _BAND.match(words[i + 1]):
            return int(words[i + 1])
    return None


def _has(words: Sequence[str], phrase: Phrase) -> bool:
    n = len(phrase)
    if n == 1:
        return phrase[0] in words
    first = phrase[0]
    last = len(words) - n  # the last position a phrase of n words can start at
    if last < 0:
        return False
    i = -1
    while True:  # each place the first word occurs (found by list.index, not a Python loop over every word)
        try:
            i = words.index(first, i + 1, last + 1)
        except ValueError:
            return False
        if tuple(words[i : i + n]) == phrase:
            return True
