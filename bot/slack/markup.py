"""Slack's own markup, both ways: what members send (mentions, links, `&amp;`) and what we send (mrkdwn).

Members' text reaches the conversation core as plain text: `to_plain` removes mentions and broadcasts and keeps
the visible text of links and channels. `escape` makes member text inert where the bot echoes it.
"""

from __future__ import annotations

import html
import re

_SLACK_LINK = re.compile(r"<(https?://[^|>\s]*|mailto:[^|>\s]*)(?:\|([^>]*))?>")
_SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>")
_SLACK_SPECIAL = re.compile(r"<[@!][^>]*>")
MAX_INPUT_CHARS = 4000  # longer messages are cut before any regular expression runs


def to_plain(text: str) -> str:
    """Remove mentions and broadcasts, keep the visible text of links and channels, undo &amp; escapes."""
    text = text[:MAX_INPUT_CHARS]
    text = _SLACK_LINK.sub(lambda m: m.group(2) or "", text)
    text = _SLACK_CHANNEL.sub(lambda m: m.group(1) or "", text)
    text = _SLACK_SPECIAL.sub(" ", text)
    return " ".join(html.unescape(text).split(" ")).strip()


strip_slack_markup = to_plain
