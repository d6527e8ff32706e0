"""Teams' own markup out of what members type, before the conversation core sees it.

Teams sends a message's text with every mention as `<at>Name</at>` (ours, and other people's) and may escape
`&`, `<` and `>` as HTML entities. `to_plain` removes every mention entirely (a colleague's name must never
reach the curators' log), drops any other HTML tag, undoes the entities and squeezes the spaces.
"""

from __future__ import annotations

import html
import re

MAX_INPUT_CHARS = 4000  # longer messages are cut before any regular expression runs
_MENTION = re.compile(r"<at(?:\s[^>]*)?>.*?</at\s*>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<(?:br|/p|/div|/li)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def to_plain(text: object) -> str:
    """The member's words as plain text: no mentions, no HTML, entities undone, spaces squeezed."""
    if not isinstance(text, str):
        return ""
    text = text[:MAX_INPUT_CHARS]
    text = _MENTION.sub(" ", text)
    text = _BREAK.sub(" ", text)
    text = _TAG.sub("", text)
    text = html.unescape(text).replace("\u00a0", " ")
    return " ".join(text.split())
