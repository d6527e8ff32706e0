"""What the listeners share: who is asking, and posting with one clear alarm for a revoked token."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError

from bot.conversation import Member
from bot.slack.app import SlackContext, slack_error

log = logging.getLogger(__name__)
T = TypeVar("T")

# The token was revoked or the app uninstalled: every call will fail the same way until someone acts.
AUTH_ERRORS = {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired"}


def member(user_id: object, *, team: object = None, channel: object = None, thread: object = None) -> Member:
    """The core's view of a Slack member; `conversation` keys follow-ups to the DM or thread."""
    uid = str(user_id)[:40] if user_id else None
    conversation = None
    if channel:
        conversation = f"slack:{str(team or '')[:20]}:{str(channel)[:40]}:{str(thread or '')[:40]}"
    return Member(id=uid, conversation=conversation)


def without_mention(text: str, bot_user_id: str | None) -> str:
    """The text with mentions of our bot removed (`<@U0002>` or `<@U0002|name>`)."""
    if not bot_user_id:
        return text
    return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text).strip()


async def call_slack(ctx: SlackContext, what: str, call: Callable[[], Awaitable[T]]) -> T | None:
    """Make a Web API call; a revoked token raises one alarm (and /healthz says so), not a traceback per message."""
    try:
        result = await call()
    except SlackApiError as exc:
        code = slack_error(exc)
        if code in AUTH_ERRORS:
            if ctx.health.get("slack") != code:
                log.error(
                    "Slack rejected the bot token (%s) while trying to %s: reinstall the app or renew "
                    "SLACK_BOT_TOKEN; members get no replies until then",
                    code,
                    what,
                )
            ctx.health["slack"] = code or "invalid_auth"
            return None
        raise
    ctx.health.pop("slack", None)
    return result


RESPOND_RETRY_DELAY = 0.5


async def respond_ephemeral(respond: Any, message: dict[str, Any], *, delay: float = RESPOND_RETRY_DELAY) -> bool:
    """Post an ephemeral answer to the click's response_url; a Slack server error (5xx) or a dropped connection
    is tried once more, then logged (never silently lost). True when Slack took it."""
    for attempt in (1, 2):
        try:
            response = await respond(replace_original=False, response_type="ephemeral", **message)
            status = int(getattr(response, "status_code", 200) or 200)
        except (OSError, TimeoutError) as exc:
            status, problem = 0, type(exc).__name__
        else:
            problem = f"HTTP {status}"
        if status < 500 and status != 0:
            if status >= 400:
                log.warning("Slack refused an answer to a response_url (%s); not retried", problem)
                return False
            return True
        if attempt == 1:
            await asyncio.sleep(delay)
    log.warning("could not answer a member's click: the response_url failed twice (%s)", problem)
    return False


# Errors that mean "the bot cannot post in that conversation": tell the member rather than fail.
CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "cannot_reply_to_message"}


async def post_shared(ctx: SlackContext, client: Any, channel: str, message: dict[str, Any], what: str) -> bool:
    """Post what a member chose to share in a channel; False (logged) when the bot cannot post there."""
    try:
        await call_slack(
            ctx,
            what,
            lambda: client.chat_postMessage(channel=channel, **message, unfurl_links=False, unfurl_media=False),
        )
    except SlackApiError as exc:
        error = slack_error(exc)
        if error not in CANNOT_POST:
            raise
        log.info("could not %s: %s", what, error)
        return False
    return True


def payload_text(value: Any, limit: int = 4000) -> str:
    return value[:limit] if isinstance(value, str) else ""


# --- what a click's payload says ------------------------------------------------------------------------------
def clicked_by(body: dict) -> str | None:
    """The id of the member who clicked."""
    user = body.get("user")
    uid = user.get("id") if isinstance(user, dict) else None
    return uid if isinstance(uid, str) else None


def on_home(body: dict) -> bool:
    return (body.get("container") or {}).get("type") == "view"


def is_ephemeral(body: dict) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def clicked_in(body: dict) -> str | None:
    """The channel of the message that was clicked, if any."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel if isinstance(channel, str) else None


def clicked_member(body: dict) -> Member:
    """The core's view of the member who clicked, in the conversation (DM or thread) of the clicked message."""
    clicked = body.get("message") or {}
    return member(
        clicked_by(body),
        team=(body.get("team") or {}).get("id"),
        channel=clicked_in(body),
        thread=clicked.get("thread_ts") or clicked.get("ts"),
    )
