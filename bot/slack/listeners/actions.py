"""Button clicks. Each answers where it was clicked: an ephemeral answer with another ephemeral one
(`respond()`), a DM in the DM, a thread in the thread, a channel message in a thread under it, and the App
Home tab by re-publishing Home.

Every button's value is checked by the conversation core's codec (`bot.conversation.unpack`): a known entry,
topic or nation and a bounded reference, or the click gets a polite reply and nothing is stored.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import wording
from bot.conversation import NONE_OF_THESE, Answered, ButtonValue, unpack
from bot.runtime import off_loop
from bot.slack import blocks as render
from bot.slack import ids
from bot.slack.app import SlackContext
from bot.slack.listeners.common import (
    call_slack,
    clicked_by,
    clicked_in,
    clicked_member,
    is_ephemeral,
    member,
    on_home,
    post_shared,
    respond_ephemeral,
)

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    assistant = ctx.assistant

    async def answer_in_place(body: dict, respond: AsyncRespond | None, client: AsyncWebClient, message: dict) -> None:
        """Post `message` where the clicked button was (a click on Home re-publishes Home instead)."""
        channel = clicked_in(body)
        if is_ephemeral(body) or channel is None:
            if respond is not None:
                await respond_ephemeral(respond, {**message, **render.NO_UNFURL})
            return
        clicked = body.get("message") or {}
        thread_ts = clicked.get("thread_ts")
        if thread_ts is None and not str(channel).startswith("D"):
            # in a channel, answer in a thread under the message rather than adding to the channel
            thread_ts = clicked.get("ts") or (body.get("container") or {}).get("message_ts")
        await call_slack(
            ctx,
            "answer a button",
            lambda: client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message, **render.NO_UNFURL),
        )

    async def publish_home(body: dict, client: AsyncWebClient, **view_args: Any) -> None:
        user_id = clicked_by(body)
        if not user_id:
            return
        nation = await off_loop(assistant.nation_of, member(user_id))
        view = render.home_view(assistant.topics(), assistant.notices(), nation=nation, **view_args)
        await call_slack(ctx, "publish Home", lambda: client.views_publish(user_id=user_id, view=view))

    async def show(body: dict, respond: AsyncRespond | None, client: AsyncWebClient, answered: Answered | None) -> None:
        if answered is None:
            if on_home(body):
                await publish_home(body, client)
            else:
                await answer_in_place(body, respond, client, render.notice_message(wording.GONE))
            return
        if on_home(body):
            await publish_home(body, client, reply=answered.reply, ref=answered.ref)
        else:
            message = render.reply_message(answered.reply, ref=answered.ref, share=is_ephemeral(body))
            await answer_in_place(body, respond, client, message)

    async def checked(
        body: dict, action: dict, respond: AsyncRespond | None, client: AsyncWebClient
    ) -> ButtonValue | None:
        """The button's value if it is one we could have written; otherwise a polite reply and None."""
        value = unpack(action.get("value"), assistant.kb)
        if value is None:
            log.info("ignored a click on a button with a value we did not write")
            await answer_in_place(body, respond, client, render.notice_message(wording.BAD_BUTTON))
        return value

    async def handle_ask(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """A related question."""
        await ack()
        async with ctx.inflight.track():
            value = await checked(body, action, respond, client)
            if value is None or not value.entry or value.entry == NONE_OF_THESE:
                return
            await show(
                body, respond, client, await off_loop(assistant.open_entry, value.entry, "button", clicked_member(body))
            )

    async def handle_nation(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """The same answer for another UK nation."""
        await ack()
        async with ctx.inflight.track():
            value = await checked(body, action, respond, client)
            if value is None or not value.entry or not value.nation:
                return
            answered = await off_loop(
                assistant.open_entry, value.entry, "button", clicked_member(body), nation=value.nation
            )
            await show(body, respond, client, answered)

    async def handle_choose(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """A "Did you mean" candidate or a question of a topic: recorded as the member's choice."""
        await ack()
        async with ctx.inflight.track():
            value = await checked(body, action, respond, client)
            if value is None or not value.entry or value.entry == NONE_OF_THESE:
                return
            answered = await off_loop(assistant.choose, value.ref, value.entry, "button", clicked_member(body))
            await show(body, respond, client, answered)

    async def handle_none(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        async with ctx.inflight.track():
            value = await checked(body, action, respond, client)
            if value is None:
                return
            answered = await off_loop(assistant.none_of_these, value.ref, clicked_member(body))
            await answer_in_place(body, respond, client, render.reply_message(answered.reply, ref=answered.ref))

    async def handle_topic(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        async with ctx.inflight.track():
            value = await checked(body, action, respond, client)
            if value is None or not value.topic:
                return
            topic = assistant.topic(value.topic)
            if on_home(body):
                await publish_home(body, client, topic=topic)
            elif topic is not None:
                message = render.topic_message(topic, assistant.notices(), ref=value.ref)
                await answer_in_place(body, respond, client, message)

    def feedback(helpful: bool):
        async def handle_feedback(
            ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
        ) -> None:
            await ack()
            async with ctx.inflight.track():
                value = await checked(body, action, respond, client)
                if value is None or not value.entry or value.entry == NONE_OF_THESE:
                    return
                who = clicked_member(body)
                await off_loop(assistant.feedback, value.ref, value.entry, helpful, who)
                thanks = render.thanks_message(helpful)
                if on_home(body):
                    answered = await off_loop(assistant.open_entry, value.entry, "home", who)
                    reply = answered.reply if answered else None
                    await publish_home(body, client, reply=reply, ref=value.ref, thanks=helpful)
                elif is_ephemeral(body) or clicked_in(body) is None or clicked_by(body) is None:
                    await respond_ephemeral(respond, thanks)
                else:
                    # only the member who clicked sees the thanks; others can still give their own feedback
                    channel, user = str(clicked_in(body)), str(clicked_by(body))
                    thread_ts = (body.get("message") or {}).get("thread_ts")
                    await call_slack(
                        ctx,
                        "thank a member",
                        lambda: client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, **thanks),
                    )

        handle_feedback.__name__ = f"handle_feedback_{'up' if helpful else 'down'}"
        return handle_feedback

    async def handle_share(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """Re-post an ephemeral answer in the channel, as the bot, saying who shared it."""
        await ack()
        async with ctx.inflight.track():
            value = await checked(body, action, respond, client)
            if value is None or not value.entry or value.entry == NONE_OF_THESE:
                return
            answered = await off_loop(
                assistant.open_entry, value.entry, "button", clicked_member(body), nation=value.nation
            )
            if answered is None:
                await respond_ephemeral(respond, render.notice_message(wording.GONE))
                return
            channel = clicked_in(body)
            if channel is None:
                return
            message = render.reply_message(answered.reply, shared_by=clicked_by(body), feedback=False)
            if not await post_shared(ctx, client, channel, message, "share an answer"):
                await respond_ephemeral(respond, render.notice_message(render.NOT_IN_CHANNEL))

    async def handle_set_nation(ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient) -> None:
        """The Home tab's nation choice; an empty value forgets it."""
        await ack()
        async with ctx.inflight.track():
            raw = action.get("value")
            value = None if raw == "{}" else unpack(raw, assistant.kb)
            if raw != "{}" and (value is None or not value.nation):
                return
            await off_loop(assistant.set_nation, member(clicked_by(body)), value.nation if value else None)
            await publish_home(body, client)

    async def handle_link(ack: AsyncAck) -> None:
        """Slack opens a link button's URL itself; the click still comes to us and must be acknowledged."""
        await ack()

    app.action(ids.pattern(ids.ACTION_ASK))(handle_ask)
    app.action(ids.pattern(ids.ACTION_NATION))(handle_nation)
    app.action(ids.pattern(ids.ACTION_CHOOSE))(handle_choose)
    app.action(ids.pattern(ids.ACTION_NONE))(handle_none)
    app.action(ids.pattern(ids.ACTION_TOPIC))(handle_topic)
    app.action(ids.pattern(ids.ACTION_FEEDBACK_UP))(feedback(True))
    app.action(ids.pattern(ids.ACTION_FEEDBACK_DOWN))(feedback(False))
    app.action(ids.pattern(ids.ACTION_SHARE))(handle_share)
    app.action(ids.pattern(ids.ACTION_SET_NATION))(handle_set_nation)
    app.action(ids.pattern(ids.ACTION_LINK))(handle_link)

    async def handle_unknown_action(ack: AsyncAck, action: dict) -> None:
        """A button this version does not know (an old message): acknowledge it, so Slack shows no error."""
        await ack()
        log.info(
            "ignored a click on an unknown button %s", re.sub(r"[^a-z_:0-9]", "", str(action.get("action_id"))[:40])
        )

    app.action(re.compile(r".*"))(handle_unknown_action)  # last: the specific listeners above win
