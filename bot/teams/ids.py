"""Every identifier the Teams cards and handlers share: the verbs card actions carry, and the content types.

A card action's data is `{"verb": VERB, "v": pack(...)}` (`bot.conversation.pack`): the verb says what the
click does, `v` which entry, question, topic or nation it is about, checked by `unpack` when it comes back.
Navigation (a related question, a "did you mean" choice, a topic, another nation) is an `Action.Submit`, which
Teams delivers as a message; 👍/👎 are `Action.Execute` (an `adaptiveCard/action` invoke), so the answer card can
be refreshed in place with a thank-you. "Not what I asked" is an `Action.Submit` too: the did-you-mean it opens
is a new card. "Ask a person" and its two send buttons are `Action.Submit`s whose `v` carries the member's
question (bounded by the codec) and, for "with my name", `named`.

The career planner's actions (`PLAN_VERBS`) are `Action.Submit`s whose `v` is the planner's own codec
(`bot.conversation.planner.pack`: the answers so far), checked by `bot.conversation.planner.unpack`.
"""

from __future__ import annotations

MESSAGES_PATH = "/api/messages"

VERB_ASK = "ask"  # a related question: opens that entry
VERB_CHOOSE = "choose"  # a "did you mean" candidate or a topic's question: recorded as the member's choice
VERB_NONE = "none"  # "None of these" under the candidates
VERB_TOPIC = "topic"  # a topic area: lists its questions
VERB_NATION = "nation"  # the same answer for another UK nation
VERB_HELPFUL = "helpful"  # 👍
VERB_NOT_HELPFUL = "not_helpful"  # 👎
VERB_NOT_WHAT_I_ASKED = "not_what_i_asked"  # beside 👍/👎: records a flag and offers the next best entries
VERB_ASK_PERSON = "ask_person"  # "Ask a person": shows what would be posted in the help channel, and the choices
VERB_SEND_TO_PERSON = "send_to_person"  # "Send without my name" / "Send with my name": posts it there
VERB_PLAN_START = "plan_start"  # "Plan my next step": the planner's first question
VERB_PLAN_ANSWER = "plan_answer"  # an answer or a "Change ...": the next question, or the plan
VERB_PLAN_STOP = "plan_stop"  # Stop: the plan is dropped
PLAN_VERBS = frozenset({VERB_PLAN_START, VERB_PLAN_ANSWER, VERB_PLAN_STOP})
VERBS = frozenset(
    {
        VERB_ASK,
        VERB_CHOOSE,
        VERB_NONE,
        VERB_TOPIC,
        VERB_NATION,
        VERB_HELPFUL,
        VERB_NOT_HELPFUL,
        VERB_NOT_WHAT_I_ASKED,
        VERB_ASK_PERSON,
        VERB_SEND_TO_PERSON,
        *PLAN_VERBS,
    }
)
FEEDBACK_VERBS = {VERB_HELPFUL: True, VERB_NOT_HELPFUL: False}
VERB_KEY = "verb"
VALUE_KEY = "v"

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
