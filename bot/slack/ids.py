"""Every Slack identifier the app uses, in one place: the command, action ids, block ids and button values.

The renderer (`bot.slack.blocks`) builds blocks with these ids and the listeners register on them, so the two
cannot drift apart. Several buttons of one kind in a message get a numbered action id (`ask_question:0`,
`ask_question:1`, ...) because Slack wants action ids unique; `pattern(ACTION_...)` matches them all.
"""

from __future__ import annotations

import re

from bot.conversation.buttons import NONE_OF_THESE, pack, unpack

__all__ = ["NONE_CHOICE", "pack", "unpack"]

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
ACTION_NATION = "answer_for_nation"  # the same answer for another UK nation
ACTION_SET_NATION = "set_nation"  # the Home tab's nation choice (an empty value forgets it)
# The career pathway planner (bot.slack.listeners.plan): its buttons carry the answers so far.
ACTION_PLAN_START = "plan_start"  # "Plan my next step" on Home and under career answers
ACTION_PLAN_ANSWER = "plan_answer"  # an answer to a question, or a "Change ..." (the answers without that one)
ACTION_PLAN_STOP = "plan_stop"
ACTION_PLAN_KEEP = "plan_keep"  # send the plan to the member's DM to keep
ACTION_PLAN_SHARE = "plan_share"  # post the plan in the channel, saying who shared it
ACTION_NOT_WHAT_I_ASKED = "not_what_i_asked"  # beside 👍/👎: offers the next best entries and a person
ACTION_ASK_PERSON = "ask_person"  # "Ask a person": shows what would be posted, and the choices
ACTION_SEND_TO_PERSON = "send_to_person"  # posts the question in the help channel (anonymously or named)

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
BLOCK_NATION = "nation"
BLOCK_PLAN = "plan"  # the planner's blocks are "plan_<what>"
BLOCK_PERSON = "ask_person"

# What a button carries is the conversation core's business (bot.conversation.buttons).
NONE_CHOICE = NONE_OF_THESE
MAX_VALUE = 2000


def numbered(action_id: str, n: int) -> str:
    """The action id of the n-th button of one kind in a message."""
    return f"{action_id}:{n}"


def pattern(action_id: str) -> re.Pattern[str]:
    """Matches `action_id` and its numbered forms, for registering one listener for all of them."""
    return re.compile(rf"^{re.escape(action_id)}(?::\d+)?$")
