"""Reaching a person: "Not what I asked" beside 👍/👎, and "Ask a person" (ESCALATION_CHANNEL).

"Not what I asked" is logged for the curators' report and offers the next best entries. "Ask a person" shows
the member what would be posted and lets them choose to send it without their name (the default) or with it;
nothing is posted without that click. The bot posts the question in the help channel, tells the member where it
went, and keeps (for two weeks, in the curators' log) which member the thread belongs to, so that a person's
reply in that thread is passed back to the member in a DM.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import wording
from bot.conversation import NONE_OF_THESE, unpack
from bot.runtime import off_loop
from bot.slack import blocks as render
from bot.slack import ids
from bot.slack.app import SlackContext
from bot.slack.listeners.common import call_slack, clicked_by, clicked_member, payload_text, respond_ephemeral
from bot.slack.listeners.messages import from_a_person
from bot.slack.markup import to_plain

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    assistant = ctx.assistant

    async def bad_button(respond: AsyncRespond) -> None:
        log.info("ignored a click on a button with a value we did not write")
        await respond_ephemeral(respond, render.notice_message(wording.BAD_BUTTON))

    async def handle_not_what_i_asked(ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond) -> None:
        await ack()
        async with ctx.inflight.track():
            value = unpack(action.get("value"), assistant.kb)
            if value is None or not value.entry or value.entry == NONE_OF_THESE:
                await bad_button(respond)
                return
            reply = await off_loop(
                assistant.not_what_i_asked, value.ref, value.entry, value.others, clicked_member(body)
            )
            if reply is None:
                await bad_button(respond)
                return
            # the member's words are not in the button: "Ask a person" here asks about the answer that missed
            missed = assistant.kb.by_id[value.entry].question if ctx.escalation_channel else None
            message = render.reply_message(reply, ref=value.ref, person_question=missed)
            await respond_ephemeral(respond, {**message, **render.NO_UNFURL})

    async def handle_ask_person(ack: AsyncAck, action: dict, respond: AsyncRespond) -> None:
        await ack()
        async with ctx.inflight.track():
            value = unpack(action.get("value"), assistant.kb)
            if value is None or not value.question or not ctx.escalation_channel:
                await bad_button(respond)
                return
            await respond_ephemeral(respond, render.ask_person_message(value.question, value.ref))

    async def handle_send(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        async with ctx.inflight.track():
            value = unpack(action.get("value"), assistant.kb)
            user = clicked_by(body)
            if value is None or not value.question or not ctx.escalation_channel or not user:
                await bad_button(respond)
                return
            posted = await call_slack(
                ctx,
                "post a question for a person",
                lambda: client.chat_postMessage(
                    channel=ctx.escalation_channel,
                    **render.escalation_message(value.question or "", user if value.named else None),
                    **render.NO_UNFURL,
                ),
            )
            thread = posted.get("ts") if posted is not None else None
            if not thread:
                await respond_ephemeral(respond, render.notice_message(wording.ASK_PERSON_FAILED))
                return
            # who to pass replies back to: kept under the thread, for two weeks
            await off_loop(assistant.recorder.keep_escalation, f"{ctx.escalation_channel}:{thread}", {"u": user})
            sent = wording.ASK_PERSON_SENT.format(channel=f"<#{ctx.escalation_channel}>")
            await respond_ephemeral(respond, render.notice_message(sent))

    async def in_help_thread(event: dict) -> bool:
        return bool(
            ctx.escalation_channel
            and event.get("channel") == ctx.escalation_channel
            and event.get("thread_ts")
            and event.get("thread_ts") != event.get("ts")
            and from_a_person(event)
        )

    async def handle_help_reply(event: dict, client: AsyncWebClient) -> None:
        """A person replied in a help-channel thread: pass it on to the member who asked."""
        async with ctx.inflight.track():
            key = f"{ctx.escalation_channel}:{event.get('thread_ts')}"
            kept = await off_loop(assistant.recorder.escalation, key)
            member = kept.get("u") if isinstance(kept, dict) else None
            text = to_plain(payload_text(event.get("text")))
            if not isinstance(member, str) or not text.strip():
                return  # not a thread we started, or nothing to pass on
            opened = await call_slack(ctx, "open a DM", lambda: client.conversations_open(users=member))
            dm = opened.get("channel") if opened is not None else None
            channel = dm.get("id") if isinstance(dm, dict) else None
            if not channel:
                return
            message = render.relayed_reply_message(text)
            await call_slack(
                ctx, "pass on a reply", lambda: client.chat_postMessage(channel=channel, **message, **render.NO_UNFURL)
            )

    app.action(ids.pattern(ids.ACTION_NOT_WHAT_I_ASKED))(handle_not_what_i_asked)
    app.action(ids.pattern(ids.ACTION_ASK_PERSON))(handle_ask_person)
    app.action(ids.pattern(ids.ACTION_SEND_TO_PERSON))(handle_send)
    app.event("message", matchers=[in_help_thread])(handle_help_reply)
