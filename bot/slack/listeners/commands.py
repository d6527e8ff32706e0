"""`/physio-career <shortcut or question>`: an ephemeral answer, sent with the acknowledgement itself.

The brain answers in about a millisecond, so the answer goes back in the HTTP response to the command
(`ack(...)`): no second request, no Web API call, always well inside Slack's 3 seconds. `report` is for the
curators only; `nation scotland` saves the member's nation.

The listener runs inside Bolt's dispatch, as the listener's own middleware (`Inline`): when it does not process
before responding, Bolt starts a listener as a task of its own and then looks for its `ack` every 10 ms, so every
command would wait those 10 ms (and the loop would wake for nothing). Run inline, the `ack` is the HTTP answer as
soon as it is made. An error in it reaches the same error handler (which apologises in the answer).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.runtime import off_loop, run_steps
from bot.slack import blocks as render
from bot.slack import ids
from bot.slack.app import SlackContext
from bot.slack.listeners.common import member, payload_text
from bot.slack.markup import to_plain

log = logging.getLogger(__name__)

REPORT_WORD = "report"


def register(app: AsyncApp, ctx: SlackContext) -> None:
    async def handle_command(ack: AsyncAck, command: dict) -> None:
        async with ctx.inflight.track():
            raw = payload_text(command.get("text"))
            text = to_plain(raw)
            user_id = command.get("user_id")
            if text.strip().lower() == REPORT_WORD:
                await ack(response_type="ephemeral", **(await off_loop(report_for, ctx, user_id)))
                return
            who = member(user_id, team=command.get("team_id"))
            answered = await run_steps(ctx.assistant.ask_steps(text, "command", who))
            message = render.reply_message(
                answered.reply,
                ref=answered.ref,
                question=text if text.strip() else None,
                share=True,
                person_question=text if ctx.escalation_channel else None,
            )
            await ack(response_type="ephemeral", **message, **render.NO_UNFURL)

    app.command(ids.COMMAND, middleware=[Inline(handle_command)])(handle_command)


class Inline(AsyncMiddleware):
    """A command's listener run in Bolt's dispatch (see the module docstring); its `ack` is the response."""

    def __init__(self, listener: Callable[[AsyncAck, dict], Awaitable[None]]) -> None:
        self.listener = listener

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # noqa: A002 - Bolt's keyword
    ) -> BoltResponse | None:
        ack = req.context.ack
        await self.listener(ack, req.body)
        return ack.response if ack.response is not None else BoltResponse(status=200, body="")


def report_for(ctx: SlackContext, user_id: object) -> dict:
    """The curators' report for an admin; a polite refusal for anyone else."""
    if not isinstance(user_id, str) or user_id not in ctx.admin_user_ids:
        log.info("refused the report to a member who is not in ADMIN_USER_IDS")
        return render.notice_message(render.REPORT_REFUSED)
    if ctx.reporter is None:
        return render.notice_message(render.REPORT_UNAVAILABLE)
    try:
        return render.report_message(ctx.reporter())
    except Exception as exc:
        log.error("the report could not be built (%s)", type(exc).__name__)
        return render.notice_message(render.REPORT_FAILED)
