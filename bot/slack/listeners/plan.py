"""The career pathway planner in Slack: `/physio-career plan`, `plan` in a DM or a mention, and its buttons.

The planner is private until the member shares it: the slash command and a mention get an ephemeral question
(only they see it), a DM gets it in the DM, and "Plan my next step" on the Home tab plays out on Home. Each answer
replaces the question with the next one (or with the plan) where it was clicked, since the answers so far travel
in the buttons (`bot.conversation.planner.unpack` checks them: anything forged gets a polite reply and nothing
is stored). "Send me a copy" posts the plan, without buttons, to the member's DM; "Share in channel" (on an
ephemeral plan only) posts it in the channel, saying who shared it.

Register this module before `commands`, `messages` and `actions`: its command, DM and mention listeners only match
`plan`, and the actions module ends with a catch-all for unknown buttons.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond, AsyncSay
from slack_sdk.web.async_client import AsyncWebClient

from bot import wording
from bot.conversation.planner import Answers, Plan, Planner, Turn, is_plan_request, unpack
from bot.runtime import off_loop
from bot.slack import blocks as render
from bot.slack import ids
from bot.slack import plan_blocks as plan_render
from bot.slack.app import SlackContext
from bot.slack.listeners.common import (
    call_slack,
    clicked_by,
    clicked_in,
    is_ephemeral,
    member,
    on_home,
    payload_text,
    post_shared,
    without_mention,
)
from bot.slack.listeners.messages import is_channel_mention, is_human_dm
from bot.slack.markup import to_plain

log = logging.getLogger(__name__)


def _in_dm(body: dict) -> bool:
    """A (non-ephemeral) message in the member's DM with the bot."""
    return not is_ephemeral(body) and str(clicked_in(body) or "").startswith("D")


def _typed(text: Any, bot_user_id: str | None) -> str:
    return to_plain(without_mention(payload_text(text), bot_user_id))


def register(app: AsyncApp, ctx: SlackContext) -> None:
    assistant = ctx.assistant
    planner = Planner(assistant)

    # --- starting: typed ----------------------------------------------------------------------------------
    async def plan_command(command: dict) -> bool:  # Bolt's asyncio matchers must be coroutines
        return is_plan_request(_typed(command.get("text"), None))

    async def plan_dm(event: dict, context: AsyncBoltContext) -> bool:
        return is_human_dm(event) and is_plan_request(_typed(event.get("text"), context.bot_user_id))

    async def plan_mention(event: dict, context: AsyncBoltContext) -> bool:
        return is_channel_mention(event) and is_plan_request(_typed(event.get("text"), context.bot_user_id))

    async def handle_plan_command(ack: AsyncAck, command: dict) -> None:
        """`/physio-career plan`: the first question, ephemeral, in the acknowledgement itself."""
        async with ctx.inflight.track():
            turn = await off_loop(planner.start, member(command.get("user_id"), team=command.get("team_id")))
            await ack(response_type="ephemeral", **plan_render.turn_message(turn, share=True), **render.NO_UNFURL)

    async def handle_plan_dm(event: dict, say: AsyncSay) -> None:
        async with ctx.inflight.track():
            turn = await off_loop(planner.start, member(event.get("user")))
            message = plan_render.turn_message(turn)
            await call_slack(
                ctx,
                "start a plan",
                lambda: say(channel=event["channel"], thread_ts=event.get("thread_ts"), **message, **render.NO_UNFURL),
            )

    async def handle_plan_mention(event: dict, client: AsyncWebClient) -> None:
        """A mention in a channel: the plan is personal, so only the member sees it (in the thread)."""
        async with ctx.inflight.track():
            turn = await off_loop(planner.start, member(event.get("user")))
            message = plan_render.turn_message(turn, share=True)
            thread_ts = event.get("thread_ts") or event.get("ts")
            await call_slack(
                ctx,
                "start a plan",
                lambda: client.chat_postEphemeral(
                    channel=event["channel"], user=event["user"], thread_ts=thread_ts, **message
                ),
            )

    # --- showing ------------------------------------------------------------------------------------------
    async def publish_home(body: dict, client: AsyncWebClient, message: dict | None = None) -> None:
        user_id = clicked_by(body)
        if not user_id:
            return
        nation = await off_loop(assistant.nation_of, member(user_id))
        view = render.home_view(assistant.topics(), assistant.notices(), nation=nation)
        if message is not None:
            view = plan_render.with_plan(view, message)
        await call_slack(ctx, "publish Home", lambda: client.views_publish(user_id=user_id, view=view))

    async def show_new(body: dict, respond: AsyncRespond | None, client: AsyncWebClient, turn: Turn) -> None:
        """A plan started from a button: on Home, in the DM, else privately to the member who clicked."""
        if on_home(body):
            await publish_home(body, client, plan_render.turn_message(turn))
            return
        channel, clicked = clicked_in(body), body.get("message") or {}
        if _in_dm(body):
            message = plan_render.turn_message(turn)
            await call_slack(
                ctx,
                "start a plan",
                lambda: client.chat_postMessage(
                    channel=str(channel), thread_ts=clicked.get("thread_ts"), **message, **render.NO_UNFURL
                ),
            )
        elif is_ephemeral(body) or channel is None:
            if respond is not None:
                message = plan_render.turn_message(turn, share=True)
                await respond(replace_original=False, response_type="ephemeral", **message, **render.NO_UNFURL)
        else:  # under an answer in a channel: privately, in its thread
            message = plan_render.turn_message(turn, share=True)
            thread_ts = clicked.get("thread_ts") or clicked.get("ts")
            await call_slack(
                ctx,
                "start a plan",
                lambda: client.chat_postEphemeral(
                    channel=channel, user=clicked_by(body) or "", thread_ts=thread_ts, **message
                ),
            )

    async def show_in_place(body: dict, respond: AsyncRespond | None, client: AsyncWebClient, turn: Turn) -> None:
        """The next turn replaces the one that was clicked."""
        if on_home(body):
            await publish_home(body, client, plan_render.turn_message(turn))
        elif respond is not None:
            message = plan_render.turn_message(turn, share=not _in_dm(body))
            await respond(replace_original=True, **message, **render.NO_UNFURL)

    async def say_privately(body: dict, respond: AsyncRespond | None, client: AsyncWebClient, text: str) -> None:
        if on_home(body):
            await publish_home(body, client, render.notice_message(text))
        elif respond is not None:
            await respond(replace_original=False, response_type="ephemeral", **render.notice_message(text))

    async def checked(body: dict, action: dict, respond: AsyncRespond | None, client: AsyncWebClient) -> Answers | None:
        answers = unpack(action.get("value"))
        if answers is None:
            log.info("ignored a click on a plan button with a value we did not write")
            await say_privately(body, respond, client, wording.BAD_BUTTON)
        return answers

    async def complete_plan(
        body: dict, action: dict, respond: AsyncRespond | None, client: AsyncWebClient
    ) -> Plan | None:
        """The plan a Keep or Share button stands for (never counted again in the curators' log)."""
        answers = await checked(body, action, respond, client)
        if answers is None:
            return None
        if not answers.complete or not planner.available:
            await say_privately(body, respond, client, wording.BAD_BUTTON)
            return None
        return planner.plan(answers)

    # --- buttons ------------------------------------------------------------------------------------------
    async def handle_start(ack: AsyncAck, body: dict, respond: AsyncRespond, client: AsyncWebClient) -> None:
        """The "Plan my next step" button, on Home or under an answer."""
        await ack()
        async with ctx.inflight.track():
            turn = await off_loop(planner.start, member(clicked_by(body)))
            await show_new(body, respond, client, turn)

    async def handle_answer(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """An answer, or a "Change ...": the next question, or the plan (counted once, as pathway and nation)."""
        await ack()
        async with ctx.inflight.track():
            answers = await checked(body, action, respond, client)
            if answers is None:
                return
            turn = await off_loop(planner.resume, answers)
            await show_in_place(body, respond, client, turn)

    async def handle_stop(ack: AsyncAck, body: dict, respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        async with ctx.inflight.track():
            if on_home(body):
                await publish_home(body, client)
            else:
                await show_in_place(body, respond, client, planner.stop())

    async def handle_keep(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """Send the plan, without buttons, to the member's DM with the bot."""
        await ack()
        async with ctx.inflight.track():
            plan = await complete_plan(body, action, respond, client)
            user_id = clicked_by(body)
            if plan is None or not user_id:
                return
            copy = plan_render.plan_message(plan, interactive=False, note=plan_render.KEPT_HERE)
            await call_slack(
                ctx, "send a plan", lambda: client.chat_postMessage(channel=user_id, **copy, **render.NO_UNFURL)
            )
            if on_home(body):
                await publish_home(body, client, plan_render.plan_message(plan, note=plan_render.KEPT))
            elif not _in_dm(body):
                await say_privately(body, respond, client, plan_render.KEPT)

    async def handle_share(
        ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """Post the plan in the channel, as the bot, saying who shared it: only when the member chooses to."""
        await ack()
        async with ctx.inflight.track():
            plan = await complete_plan(body, action, respond, client)
            channel = clicked_in(body)
            if plan is None or channel is None or on_home(body):
                return
            message = plan_render.plan_message(plan, interactive=False, shared_by=clicked_by(body))
            if not await post_shared(ctx, client, channel, message, "share a plan"):
                await say_privately(body, respond, client, render.NOT_IN_CHANNEL)

    app.command(ids.COMMAND, matchers=[plan_command])(handle_plan_command)
    app.event("message", matchers=[plan_dm])(handle_plan_dm)
    app.event("app_mention", matchers=[plan_mention])(handle_plan_mention)
    app.action(ids.pattern(ids.ACTION_PLAN_START))(handle_start)
    app.action(ids.pattern(ids.ACTION_PLAN_ANSWER))(handle_answer)
    app.action(ids.pattern(ids.ACTION_PLAN_STOP))(handle_stop)
    app.action(ids.pattern(ids.ACTION_PLAN_KEEP))(handle_keep)
    app.action(ids.pattern(ids.ACTION_PLAN_SHARE))(handle_share)
