"""`/physio-career <shortcut or question>`: an ephemeral answer, sent with the acknowledgement itself.

The brain answers in about a millisecond, so the answer goes back in the HTTP response to the command
(`ack(...)`): no second request, and always well inside Slack's 3 seconds. `report` is for the curators only.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.slack import blocks as render
from bot.slack import ids
from bot.slack.deps import Deps

log = logging.getLogger(__name__)

REPORT_WORD = "report"


def register(app: App, deps: Deps) -> None:
    def handle_command(ack: Ack, command: dict) -> None:
        text = command.get("text") or ""
        user_id = command.get("user_id")
        if text.strip().lower() == REPORT_WORD:
            ack(response_type="ephemeral", **report_for(deps, user_id))
            return
        reply = deps.reply(text)
        ref = deps.recorder.record_question("command", text, reply, user_id=user_id)
        message = render.reply_message(reply, ref=ref, question=text if text.strip() else None, share=True)
        ack(response_type="ephemeral", **message, **render.NO_UNFURL)

    app.command(ids.COMMAND)(handle_command)


def report_for(deps: Deps, user_id: str | None) -> dict:
    """The curators' report for an admin; a polite refusal for anyone else."""
    if not user_id or user_id not in deps.settings.admin_user_ids:
        log.info("refused the report to a member who is not in ADMIN_USER_IDS")
        return render.notice_message(render.REPORT_REFUSED)
    if deps.reporter is None:
        return render.notice_message(render.REPORT_UNAVAILABLE)
    try:
        return render.report_message(deps.reporter())
    except Exception:
        log.exception("the report could not be built")
        return render.notice_message(render.REPORT_FAILED)
