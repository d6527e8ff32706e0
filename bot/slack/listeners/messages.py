"""Direct messages: a member's DM gets the answer in the DM (in its thread, if asked in one).

Only messages from people are answered: anything with a `bot_id` (our bot or another), and every subtype
(edits, deletions, joins, bot_message, file shares...) is acknowledged with a 200 and left alone by the
catch-all listener, which must be registered last.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import App, BoltContext, Say

from bot.slack.deps import Deps

log = logging.getLogger(__name__)


def from_a_person(event: dict) -> bool:
    """A plain message typed by a member: no subtype, no bot, a user."""
    return event.get("subtype") is None and "bot_id" not in event and bool(event.get("user"))


def is_human_dm(event: dict) -> bool:
    return event.get("channel_type") == "im" and from_a_person(event)


def without_mention(text: str, bot_user_id: str | None) -> str:
    """The text with mentions of our bot removed (`<@U0002>` or `<@U0002|name>`)."""
    if not bot_user_id:
        return text
    return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text).strip()


def register(app: App, deps: Deps) -> None:
    def handle_dm(event: dict, say: Say, context: BoltContext) -> None:
        text = without_mention(event.get("text") or "", context.bot_user_id)
        message = deps.answer_message("dm", text, event.get("user"))
        say(channel=event["channel"], thread_ts=event.get("thread_ts"), **message)

    app.event("message", matchers=[is_human_dm])(handle_dm)


def register_catch_all(app: App) -> None:
    """Every other message event: 200 and no reply. Register after every other message listener."""

    def ignore_message(event: dict) -> None:
        log.debug("ignored a message event (subtype %s)", event.get("subtype") or "none")

    app.event("message")(ignore_message)
