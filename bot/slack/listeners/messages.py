"""Direct messages and @mentions.

A member's DM gets the answer in the DM (in its thread, if asked in one); a mention in a channel gets it in a
thread under the message. Only people are answered: anything with a `bot_id`, Slackbot (`USLACKBOT`), and
subtypes that are not a person saying something (edits, deletions, joins, bot messages) get a 200 and no reply
from the catch-all listener, which must be registered last. A question sent with a file (`file_share`), a
thread reply also sent to the channel (`thread_broadcast`) and `/me` messages are answered like any other.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncSay

from bot.conversation import Surface
from bot.runtime import run_steps
from bot.slack import blocks as render
from bot.slack.app import SlackContext
from bot.slack.listeners.common import call_slack, member, payload_text, without_mention
from bot.slack.markup import to_plain

log = logging.getLogger(__name__)

ANSWERED_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message"}
SLACKBOT = "USLACKBOT"


def from_a_person(event: dict) -> bool:
    """Something a member typed: a person's user id, no bot, and a subtype that is still them speaking."""
    user = event.get("user")
    return (
        event.get("subtype") in ANSWERED_SUBTYPES
        and "bot_id" not in event
        and isinstance(user, str)
        and bool(user)
        and user != SLACKBOT
    )


def is_human_dm(event: dict) -> bool:
    return event.get("channel_type") == "im" and from_a_person(event)


def is_channel_mention(event: dict) -> bool:
    """A person's mention outside our DM (a mention inside the DM is answered as a DM)."""
    return from_a_person(event) and not str(event.get("channel") or "").startswith("D")


def register(app: AsyncApp, ctx: SlackContext) -> None:
    async def answer(surface: Surface, event: dict, context: AsyncBoltContext, say: AsyncSay, thread_ts) -> None:
        async with ctx.inflight.track():
            text = to_plain(without_mention(payload_text(event.get("text")), context.bot_user_id))
            if not text.strip() and event.get("subtype") is not None:
                return  # a file shared with no words: nothing to answer (a bare mention gets the help)
            who = member(event.get("user"), team=context.team_id, channel=event.get("channel"), thread=thread_ts)
            answered = await run_steps(ctx.assistant.ask_steps(text, surface, who))
            message = render.reply_message(
                answered.reply, ref=answered.ref, person_question=text if ctx.escalation_channel else None
            )
            await call_slack(
                ctx,
                "answer a message",
                lambda: say(channel=event["channel"], thread_ts=thread_ts, **message, **render.NO_UNFURL),
            )

    async def handle_dm(event: dict, say: AsyncSay, context: AsyncBoltContext) -> None:
        await answer("dm", event, context, say, event.get("thread_ts"))

    async def handle_mention(event: dict, say: AsyncSay, context: AsyncBoltContext) -> None:
        await answer("mention", event, context, say, event.get("thread_ts") or event.get("ts"))

    async def ignore_mention(event: dict) -> None:
        return None

    async def human_dm(event: dict) -> bool:  # Bolt's asyncio matchers must be coroutines
        return is_human_dm(event)

    async def channel_mention(event: dict) -> bool:
        return is_channel_mention(event)

    app.event("message", matchers=[human_dm])(handle_dm)
    app.event("app_mention", matchers=[channel_mention])(handle_mention)
    app.event("app_mention")(ignore_mention)


def register_catch_all(app: AsyncApp) -> None:
    """Every other message event: 200 and no reply. Register after every other message listener."""

    async def ignore_message(event: dict) -> None:
        log.debug("ignored a message event (subtype %s)", str(event.get("subtype") or "none")[:40])

    app.event("message")(ignore_message)
