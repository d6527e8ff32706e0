"""The Slack app: `create_app(settings, knowledge)` builds a Bolt `App` over the brain (`bot.brain.reply.Answerer`).

Nothing here talks to Slack at import time. Building the app calls `auth.test` once (Bolt checks the token and
learns our bot's ids, which it uses to ignore our own messages). Both Socket Mode and HTTP serve the same app;
only `bot.server` differs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.brain.knowledge import KnowledgeBase
from bot.brain.reply import Answerer
from bot.config import Settings
from bot.curators_log.recorder import NullRecorder, Recorder
from bot.slack import blocks as render
from bot.slack.deps import Deps, SafeRecorder
from bot.slack.listeners import register_listeners
from bot.slack.middleware import deduplicate_events, log_request

log = logging.getLogger(__name__)


class _QuietTokenWarning(logging.Filter):
    """Bolt warns that the SLACK_BOT_TOKEN it finds in the environment is unused when a client is given; it is
    the same token, so the warning only alarms whoever reads the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def add_retry_handlers(client: WebClient) -> WebClient:
    """Retry rate-limited calls (after Retry-After) and Slack server errors (500/503), once each kind."""
    kinds = {type(h) for h in client.retry_handlers}
    if RateLimitErrorRetryHandler not in kinds:
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    if ServerErrorRetryHandler not in kinds:
        client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=2))
    return client


def create_app(
    settings: Settings,
    knowledge: KnowledgeBase,
    client: WebClient | None = None,
    *,
    recorder: Recorder | None = None,
    answerer: Answerer | None = None,
    process_before_response: bool = False,
    reporter: Callable[[], str] | None = None,
    today: Callable[[], dt.date] | None = None,
) -> App:
    """The Bolt app with its middleware, one listener module per surface, and one error handler.

    `client` defaults to a WebClient on `settings.slack_api_url`; `recorder` to NullRecorder (no log,
    in-process de-duplication); `reporter` returns the curators' report text for `/physio-career report`;
    `today` is the date used for time-bound notices (injectable for tests).
    """
    if client is None:
        client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    add_retry_handlers(client)
    safe = SafeRecorder(recorder if recorder is not None else NullRecorder())
    deps = Deps(
        settings=settings,
        kb=knowledge,
        answerer=answerer if answerer is not None else Answerer(knowledge),
        recorder=safe,
        today=today or dt.date.today,
        reporter=reporter,
    )
    bolt_logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _QuietTokenWarning) for f in bolt_logger.filters):
        bolt_logger.addFilter(_QuietTokenWarning())
    app = App(
        name="physio-career",
        client=client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=process_before_response,
        request_verification_enabled=True,  # never disabled: forged or stale requests get 401
    )
    app.use(log_request)
    app.use(deduplicate_events(safe))
    register_listeners(app, deps)
    app.error(handle_error)
    return app


def slack_error(error: Exception) -> str | None:
    """The Web API's error code (e.g. not_in_channel, ratelimited) when `error` is a SlackApiError."""
    if isinstance(error, SlackApiError) and error.response is not None:
        return error.response.get("error") or f"HTTP {error.response.status_code}"
    return None


def handle_error(
    error: Exception,
    body: dict,
    logger: logging.Logger,
    client: WebClient,
    respond=None,
    response: BoltResponse | None = None,
) -> BoltResponse | None:
    """The one error handler: log it (never the payload) and send the member a short apology where we can.

    Answers 200 so Slack does not redeliver a request that would fail the same way.
    """
    kind = body.get("type") or ("slash_command" if body.get("command") else "request")
    event_type = (body.get("event") or {}).get("type")
    code = slack_error(error)
    logger.exception(
        "could not handle a Slack %s%s%s",
        kind,
        f" ({event_type})" if event_type else "",
        f"; Slack said {code}" if code else "",
        exc_info=error,
    )
    apology = render.notice_message(render.APOLOGY)
    if body.get("command") and response is not None:
        # not acknowledged yet: the apology is the HTTP response to the command
        payload = json.dumps({"response_type": "ephemeral", **apology})
        return BoltResponse(status=200, body=payload, headers={"content-type": "application/json;charset=utf-8"})
    _apologise(body, client, respond, apology)
    if response is not None:
        return BoltResponse(status=200, body="")
    return None


def _apologise(body: dict, client: WebClient, respond, apology: dict) -> None:
    try:
        if respond is not None and body.get("response_url"):
            respond(replace_original=False, response_type="ephemeral", **apology)
            return
        event = body.get("event") or {}
        channel, user = event.get("channel"), event.get("user")
        if channel and user and "bot_id" not in event:
            thread_ts = event.get("thread_ts") or (None if str(channel).startswith("D") else event.get("ts"))
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, **apology)
    except Exception as exc:  # the apology is a courtesy; it must not raise from the error handler
        log.warning("could not send the member an apology either: %s", slack_error(exc) or type(exc).__name__)
