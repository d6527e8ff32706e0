"""The four UK nations, and how a question names or implies one.

Pay, apprenticeships, student funding, frameworks and codes of conduct differ between England, Scotland, Wales
and Northern Ireland. The knowledge base says which words point to which nation (`knowledge/nations.yaml`:
"nhs scotland", "health board", "belfast", board and trust names); `NationCues.find` reads them in a question.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

Nation = Literal["england", "scotland", "wales", "northern-ireland"]
NATIONS: tuple[Nation, ...] = ("england", "scotland", "wales", "northern-ireland")
LABELS: dict[str, str] = {
    "england": "England",
    "scotland": "Scotland",
    "wales": "Wales",
    "northern-ireland": "Northern Ireland",
}
# When a nation-specific answer is asked for and nothing says which nation, this one is shown (most NHS support
# workers work in England) and the other three are offered.
DEFAULT_NATION: Nation = "england"
# What members may type after `nation` (`/physio-career nation scotland`), mapped to a nation.
NAMES: dict[str, Nation] = {
    "england": "england",
    "english": "england",
    "scotland": "scotland",
    "scottish": "scotland",
    "wales": "wales",
    "welsh": "wales",
    "cymru": "wales",
    "northern ireland": "northern-ireland",
    "northern-ireland": "northern-ireland",
    "northernireland": "northern-ireland",
    "ni": "northern-ireland",
}


def parse_nation(text: str) -> Nation | None:
    """A nation from what a member typed ('Scotland', 'northern ireland', 'NI'), or None."""
    key = " ".join(text.strip().lower().replace("_", " ").split())
    return NAMES.get(key) or NAMES.get(key.replace(" ", "-"))


def label(nation: str | None) -> str:
    return LABELS.get(nation or "", "")


@dataclass(frozen=True)
class NationCues:
    """Phrases (normalised word sequences) that point to one nation, or to a few ('health board')."""

    cues: Mapping[tuple[str, ...], tuple[Nation, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, table: Mapping[str, Iterable[str]], normalise) -> NationCues:
        """`table` maps a phrase to the nations it points to; phrases are normalised like questions."""
        cues: dict[tuple[str, ...], tuple[Nation, ...]] = {}
        for phrase, nations in table.items():
            key = tuple(normalise(phrase).split())
            if key:
                cues[key] = tuple(n for n in NATIONS if n in set(nations))
        return cls(cues)

    @cached_property
    def longest(self) -> int:
        return max((len(k) for k in self.cues), default=0)

    @cached_property
    def first_words(self) -> frozenset[str]:
        return frozenset(k[0] for k in self.cues)

    def find(self, tokens: list[str]) -> tuple[tuple[Nation, ...], list[str]]:
        """The nations the question points to, in the order named, and the tokens without the cue words.

        A phrase that points to several nations ('health board': Scotland or Wales) adds them all; the caller
        decides with the member's saved nation, or asks.
        """
        found: list[Nation] = []
        if self.first_words.isdisjoint(tokens):
            return (), list(tokens)  # the usual case: no nation named
        rest: list[str] = []
        longest = self.longest
        i = 0
        while i < len(tokens):
            for size in range(min(longest, len(tokens) - i), 0, -1):
                nations = self.cues.get(tuple(tokens[i : i + size]))
                if nations is not None:
                    found.extend(n for n in nations if n not in found)
                    i += size
                    break
            else:
                rest.append(tokens[i])
                i += 1
        return tuple(found), rest
