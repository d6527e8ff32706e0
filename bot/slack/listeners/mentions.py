"""@mentions in a channel: the answer goes in a thread under the message (or in the thread it was asked in)."""

from __future__ import annotations

from slack_bolt import App, BoltContext, Say

from bot.slack.deps import Deps
from bot.slack.listeners.messages import from_a_person, without_mention


def is_channel_mention(event: dict) -> bool:
    """A person's mention outside our DM (a mention inside the DM is answered as a DM)."""
    return from_a_person(event) and not str(event.get("channel") or "").startswith("D")


def register(app: App, deps: Deps) -> None:
    def handle_mention(event: dict, say: Say, context: BoltContext) -> None:
        text = without_mention(event.get("text") or "", context.bot_user_id)
        message = deps.answer_message("mention", text, event.get("user"))
        say(channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"], **message)

    def ignore_mention(event: dict) -> None:
        return None

    app.event("app_mention", matchers=[is_channel_mention])(handle_mention)
    app.event("app_mention")(ignore_mention)
