"""Turning what members type into comparable text: Unicode, case, punctuation, synonyms.

Plain text only: each channel removes its own markup (Slack's `<@U…>`, Teams' `<at>…</at>`) before the brain sees it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# A question longer than this is cut before matching: nobody asks a career question in 2,000 characters,
# and the cap keeps a 40,000-character paste as fast as a short question.
MAX_QUESTION_CHARS = 600

_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_APOSTROPHE = re.compile(r"['\u2018\u2019\u02bc`]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces; accents on Latin letters and punctuation gone."""
    text = text[:MAX_QUESTION_CHARS]
    ascii_only = text.isascii()
    if not ascii_only:
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    text = _EMOJI_CODE.sub(" ", text)
    text = _APOSTROPHE.sub("", text)
    # 'band-5' and 'band_5' read as 'band 5'; '£24,465' keeps its digits.
    text = _THOUSANDS.sub("", text)
    if not ascii_only:
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", text).strip()


class SynonymMap:
    """Replaces variants (whole words or word sequences) by their canonical form, longest match first."""

    def __init__(self, synonyms: Mapping[str, Iterable[str]]):
        self._table: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in synonyms.items():
            target = tuple(normalise(canonical).split())
            for variant in variants:
                key = tuple(normalise(variant).split())
                if key and key != target:
                    self._table[key] = target
        self._longest = max((len(k) for k in self._table), default=0)
        self._starts = {k[0] for k in self._table}

    def __len__(self) -> int:
        return len(self._table)

    def expand_tokens(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            if tokens[i] not in self._starts:  # most words start no variant: skip the lookups
                out.append(tokens[i])
                i += 1
                continue
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                target = self._table.get(tuple(tokens[i : i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out

    def expand(self, normalised: str) -> str:
        return " ".join(self.expand_tokens(normalised.split()))
