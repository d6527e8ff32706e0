"""What a button carries: only values we could have written for this knowledge base are accepted."""

from __future__ import annotations

import json

import pytest

from bot.conversation import NONE_OF_THESE, ButtonValue, pack, unpack
from bot.conversation.buttons import MAX_VALUE


def test_values_round_trip(kb):
    assert unpack(pack(entry="band-4", ref="42"), kb) == ButtonValue(entry="band-4", ref="42")
    assert unpack(pack(entry="pay-rates", nation="wales"), kb) == ButtonValue(entry="pay-rates", nation="wales")
    title = kb.topics[0].title
    assert unpack(pack(topic=title, ref="q1"), kb) == ButtonValue(topic=title, ref="q1")
    assert unpack(pack(entry=NONE_OF_THESE, ref="q1"), kb) == ButtonValue(entry=NONE_OF_THESE, ref="q1")


def test_a_long_reference_is_dropped_rather_than_breaking_the_button(kb):
    value = pack(entry="band-4", ref="x" * 5000)
    assert len(value) <= MAX_VALUE
    assert unpack(value, kb) == ButtonValue(entry="band-4")


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "band6-interview",
        "[1]",
        '{"e": 5}',
        "{}",
        json.dumps({"e": "no-such-entry"}),
        json.dumps({"e": "band-4", "x": "1"}),
        json.dumps({"r": "has spaces in it"}),
        json.dumps({"e": "band-4", "r": "x" * 65}),
        json.dumps({"t": "No such topic"}),
        json.dumps({"e": "band-4", "n": "narnia"}),
        "{" * 3000,
    ],
)
def test_anything_else_is_refused(kb, bad):
    assert unpack(bad, kb) is None
