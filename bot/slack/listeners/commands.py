"""`/physio-career <shortcut or question>`: an ephemeral answer, sent with the acknowledgement itself.

The brain answers in about a millisecond, so the answer goes back in the HTTP response to the command
(`ack(...)`): no second request, no Web API call, always well inside Slack's 3 seconds. `report` is for the
curators only; `nation scotland` saves the member's nation.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncApp

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

    app.command(ids.COMMAND)(handle_command)


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
