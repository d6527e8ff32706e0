"""What a button carries, for every channel: the entry it opens, the question it follows, a topic, a nation.

A button's value comes back from the member's client and may be forged or stale: `unpack` accepts only what
`pack` could have written for this knowledge base (a known entry, a known topic, a nation, a reference of the
curators' log), bounded in length, and gives None for anything else, so the caller can reply politely and store
nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.brain.knowledge import KnowledgeBase
from bot.brain.nations import NATIONS, Nation

MAX_VALUE = 2000  # Slack's limit on a button value; Teams' card data is kept within it too
MAX_REF = 64
NONE_OF_THESE = "none-of-these"  # recorded as the member's choice when they press "None of these"
_REF = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


MAX_QUESTION = 300  # a question carried to "Ask a person" (the member's own words, sent back by their client)
MAX_OTHERS = 3


@dataclass(frozen=True)
class ButtonValue:
    entry: str | None = None
    ref: str | None = None
    topic: str | None = None
    nation: Nation | None = None
    others: tuple[str, ...] = ()  # the next best entries ("Not what I asked")
    question: str | None = None  # the member's question, for "Ask a person"
    named: bool = False  # "Ask a person" with the member's name (else anonymously)


def pack(
    *,
    entry: str | None = None,
    ref: str | None = None,
    topic: str | None = None,
    nation: str | None = None,
    others: tuple[str, ...] | list[str] = (),
    question: str | None = None,
    named: bool = False,
) -> str:
    fields = (
        ("e", entry),
        ("r", ref),
        ("t", topic),
        ("n", nation),
        ("o", ",".join(list(others)[:MAX_OTHERS])),
        ("q", (question or "")[:MAX_QUESTION]),
        ("a", "named" if named else ""),
    )
    data = {k: v for k, v in fields if v}
    value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(value) > MAX_VALUE and "r" in data:  # a ref is a convenience; never let it break the button
        data.pop("r")
        value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return value[:MAX_VALUE]


def decode(value: object, limit: int = MAX_VALUE) -> dict | None:
    """A button value as a dict (a channel may hand it over parsed), or None if it is not a bounded JSON object."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value or len(value) > limit:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def unpack(value: object, kb: KnowledgeBase) -> ButtonValue | None:
    """The button's fields if every one is valid for `kb`, else None (a forged, tampered or stale button)."""
    data = decode(value)
    if data is None or not data or set(data) - {"e", "r", "t", "n", "o", "q", "a"}:
        return None
    if not all(isinstance(v, str) for v in data.values()):
        return None
    entry, ref, topic, nation = data.get("e"), data.get("r"), data.get("t"), data.get("n")
    others = tuple(o for o in (data.get("o") or "").split(",") if o)
    question, named = data.get("q"), data.get("a")
    if len(others) > MAX_OTHERS or any(kb.get(o) is None for o in others):
        return None
    if question is not None and (len(question) > MAX_QUESTION or not question.strip()):
        return None
    if named not in (None, "named"):
        return None
    if entry is not None and entry != NONE_OF_THESE and kb.get(entry) is None:
        return None
    if ref is not None and not _REF.match(ref):
        return None
    if topic is not None and topic not in {t.title for t in kb.topics}:
        return None
    if nation is not None and nation not in NATIONS:
        return None
    return ButtonValue(entry, ref, topic, nation, others, question, named == "named")
