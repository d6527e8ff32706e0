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


@dataclass(frozen=True)
class ButtonValue:
    entry: str | None = None
    ref: str | None = None
    topic: str | None = None
    nation: Nation | None = None


def pack(
    *, entry: str | None = None, ref: str | None = None, topic: str | None = None, nation: str | None = None
) -> str:
    data = {k: v for k, v in (("e", entry), ("r", ref), ("t", topic), ("n", nation)) if v}
    value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(value) > MAX_VALUE and "r" in data:  # a ref is a convenience; never let it break the button
        data.pop("r")
        value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return value[:MAX_VALUE]


def unpack(value: object, kb: KnowledgeBase) -> ButtonValue | None:
    """The button's fields if every one is valid for `kb`, else None (a forged, tampered or stale button)."""
    if isinstance(value, dict):
        data = value
    else:
        if not isinstance(value, str) or not value or len(value) > MAX_VALUE:
            return None
        try:
            data = json.loads(value)
        except ValueError:
            return None
    if not isinstance(data, dict) or not data or set(data) - {"e", "r", "t", "n"}:
        return None
    if not all(isinstance(v, str) for v in data.values()):
        return None
    entry, ref, topic, nation = data.get("e"), data.get("r"), data.get("t"), data.get("n")
    if entry is not None and entry != NONE_OF_THESE and kb.get(entry) is None:
        return None
    if ref is not None and not _REF.match(ref):
        return None
    if topic is not None and topic not in {t.title for t in kb.topics}:
        return None
    if nation is not None and nation not in NATIONS:
        return None
    return ButtonValue(entry, ref, topic, nation)
