"""Every Slack identifier the app uses, in one place: the command, action ids, block ids and button values.

The renderer (`bot.slack.blocks`) builds blocks with these ids and the listeners register on them, so the two
cannot drift apart. Several buttons of one kind in a message get a numbered action id (`ask_question:0`,
`ask_question:1`, ...) because Slack wants action ids unique; `pattern(ACTION_...)` matches them all.
"""

from __future__ import annotations

import json
import re

COMMAND = "/physio-career"
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

# Action ids (buttons).
ACTION_ASK = "ask_question"  # a related question: opens that entry
ACTION_CHOOSE = "choose_question"  # a "Did you mean" candidate or a question of a topic: a recorded choice
ACTION_NONE = "none_of_these"  # "None of these" under the candidates
ACTION_TOPIC = "show_topic"  # a topic area: lists its questions
ACTION_FEEDBACK_UP = "feedback_up"
ACTION_FEEDBACK_DOWN = "feedback_down"
ACTION_SHARE = "share_answer"  # re-post an ephemeral answer in the channel
ACTION_LINK = "open_link"  # a link button; Slack opens the URL, we only acknowledge the click

# Block ids.
BLOCK_TITLE = "title"
BLOCK_ASKED = "asked"
BLOCK_SHARED_BY = "shared_by"
BLOCK_NOTICE = "notice"
BLOCK_ANSWER = "answer"
BLOCK_LINKS = "links"
BLOCK_SOURCE = "source"
BLOCK_RELATED = "related"
BLOCK_CANDIDATES = "candidates"
BLOCK_TOPICS = "topics"
BLOCK_TOPIC_QUESTIONS = "topic_questions"
BLOCK_FEEDBACK = "feedback"
BLOCK_THANKS = "thanks"
BLOCK_HOME_INTRO = "home_intro"
BLOCK_HOME_HOW = "home_how"

# The entry id recorded as the member's choice when they press "None of these".
NONE_CHOICE = "none-of-these"

# Slack's limits on what we send.
MAX_VALUE = 2000


def numbered(action_id: str, n: int) -> str:
    """The action id of the n-th button of one kind in a message."""
    return f"{action_id}:{n}"


def pattern(action_id: str) -> re.Pattern[str]:
    """Matches `action_id` and its numbered forms, for registering one listener for all of them."""
    return re.compile(rf"^{re.escape(action_id)}(?::\d+)?$")


def pack(*, entry: str | None = None, ref: str | None = None, topic: str | None = None) -> str:
    """A button value: which entry or topic it opens and the question it follows (the recorder's ref)."""
    data = {k: v for k, v in (("e", entry), ("r", ref), ("t", topic)) if v}
    value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(value) > MAX_VALUE and "r" in data:  # a ref is a convenience; never let it break the button
        data.pop("r")
        value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return value[:MAX_VALUE]


def unpack(value: str | None) -> dict[str, str]:
    """The fields of a button value; {} for anything we did not write (old or tampered buttons)."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in ("e", "r", "t") and isinstance(v, str)}
