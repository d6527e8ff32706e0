"""Every identifier the Teams cards and handlers share: the verbs card actions carry, and the content types.

A card action's data is `{"verb": VERB, "v": pack(...)}` (`bot.conversation.pack`): the verb says what the
click does, `v` which entry, question, topic or nation it is about, checked by `unpack` when it comes back.
Navigation (a related question, a "did you mean" choice, a topic, another nation) is an `Action.Submit`, which
Teams delivers as a message; 👍/👎 are `Action.Execute` (an `adaptiveCard/action` invoke), so the answer card can
be refreshed in place with a thank-you.
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
VERBS = frozenset({VERB_ASK, VERB_CHOOSE, VERB_NONE, VERB_TOPIC, VERB_NATION, VERB_HELPFUL, VERB_NOT_HELPFUL})
FEEDBACK_VERBS = {VERB_HELPFUL: True, VERB_NOT_HELPFUL: False}
VERB_KEY = "verb"
VALUE_KEY = "v"

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
