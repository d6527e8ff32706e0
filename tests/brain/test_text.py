"""Normalising what members type, and synonyms."""

from __future__ import annotations

import pytest

from bot.brain.text import MAX_QUESTION_CHARS, SynonymMap, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("What does a Band 3 do?", "what does a band 3 do"),
        ("I'm a TI — what’s next?", "im a ti whats next"),
        ("Pay £24,465 for band-2", "pay 24465 for band 2"),
        ("Ｂａｎｄ　５", "band 5"),  # full-width letters (NFKC)
        ("rééducation café", "reeducation cafe"),
        (":tada: :+1:", ""),
        ("", ""),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_very_long_input_is_bounded():
    out = normalise("band 5 " * 10_000)
    assert len(out) <= MAX_QUESTION_CHARS


def test_right_to_left_text_survives():
    assert normalise("ما هو الفرق") == "ما هو الفرق"


def test_synonyms_match_whole_words_longest_first():
    syn = SynonymMap({"band 5": ["b5", "band five"], "technical instructor": ["ti"], "physiotherapist": ["physio"]})
    assert syn.expand("im a ti on b5") == "im a technical instructor on band 5"
    assert syn.expand("band five please") == "band 5 please"
    assert syn.expand("tie the knot") == "tie the knot"  # 'ti' only as a whole word
    assert syn.expand("physio") == "physiotherapist"
