"""The Slack channel: `create_app(slack, assistant, ...)` builds a Bolt `AsyncApp` over the conversation core.

Nothing here talks to Slack at import time. Both Socket Mode and HTTP serve the same app (`bot.slack.serve`).
Listeners are thin: they turn Slack's payload into plain text and a `Member`, ask the core (in a worker thread,
since it may touch the database; a question runs as steps, on the loop but for the reads that may wait), and
render its `Reply` as Block Kit (`bot.slack.blocks`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.middleware.authorization.async_single_team_authorization import AsyncSingleTeamAuthorization
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler, AsyncServerErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackSettings
from bot.conversation import Assistant
from bot.runtime import InFlight

log = logging.getLogger(__name__)


@dataclass
class SlackContext:
    """What every listener needs, built once by `create_app`."""

    assistant: Assistant
    admin_user_ids: frozenset[str] = frozenset()
    reporter: Callable[[], str] | None = None
    inflight: InFlight = field(default_factory=InFlight)
    health: dict[str, str] = field(default_factory=dict)  # e.g. {"slack": "invalid_auth"} after a revoked token
    escalation_channel: str = ""  # the help channel for "Ask a person" (ESCALATION_CHANNEL)


class _QuietTokenWarning(logging.Filter):
    """Bolt warns that the SLACK_BOT_TOKEN in the environment is unused when a client is given; it is the same
    token, so the warning only alarms whoever reads the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def add_retry_handlers(client: AsyncWebClient) -> AsyncWebClient:
    """Retry rate-limited calls (after Retry-After) and Slack server errors (500/503)."""
    kinds = {type(h) for h in client.retry_handlers}
    if AsyncRateLimitErrorRetryHandler not in kinds:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    if AsyncServerErrorRetryHandler not in kinds:
        client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=2))
    return client


def slack_error(error: BaseException) -> str | None:
    """The Web API's error code (e.g. not_in_channel, ratelimited) when `error` is a SlackApiError."""
    if isinstance(error, SlackApiError) and error.response is not None:
        data = error.response.data
        code = data.get("error") if isinstance(data, dict) else None
        return str(code)[:60] if code else f"HTTP {error.response.status_code}"
    return None


class OneAuthTest(AsyncMiddleware):
    """Bolt's single-workspace authorization, one auth.test at a time: Bolt keeps the first answer for every later
    request, but every request that arrives before it has one (a worker's first burst of traffic) would make its
    own call. Here they wait for the one in flight and then use its answer; if that one fails, the next tries."""

    def __init__(self, inner: AsyncSingleTeamAuthorization) -> None:
        self.inner = inner
        self._lock: asyncio.Lock | None = None

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # noqa: A002 - Bolt's keyword
    ) -> BoltResponse | None:
        if self.inner.auth_test_result is not None:
            return await self.inner.async_process(req=req, resp=resp, next=next)
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # Bolt's middleware returns as soon as it has authorized (next only marks it)
            return await self.inner.async_process(req=req, resp=resp, next=next)


def one_auth_test(app: AsyncApp) -> bool:
    """Put `OneAuthTest` around the app's authorization middleware; False (nothing changed) if Bolt has none."""
    chain = getattr(app, "_async_middleware_list", None)  # Bolt's built-in middleware: no public way to wrap one
    if not isinstance(chain, list):
        return False
    for i, middleware in enumerate(chain):
        if type(middleware) is AsyncSingleTeamAuthorization:
            chain[i] = OneAuthTest(middleware)
            return True
    return False


def create_app(
    slack: SlackSettings,
    assistant: Assistant,
    client: AsyncWebClient | None = None,
    *,
    admin_user_ids: frozenset[str] = frozenset(),
    reporter: Callable[[], str] | None = None,
    process_before_response: bool = False,
    context: SlackContext | None = None,
) -> AsyncApp:
    """The Bolt app with its middleware, one listener module per surface, and one error handler.

    `process_before_response=True` (tests) finishes listeners before dispatch returns.
    """
    from bot.slack.front_door import install_error_guard, quiet_bolt_logs
    from bot.slack.listeners import register_listeners
    from bot.slack.middleware import Deliveries

    if client is None:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, timeout=10)
    add_retry_handlers(client)
    bolt_logger = logging.getLogger("slack_bolt.AsyncApp")
    if not any(isinstance(f, _QuietTokenWarning) for f in bolt_logger.filters):
        bolt_logger.addFilter(_QuietTokenWarning())
    app = AsyncApp(
        name="physio-career",
        client=client,
        signing_secret=slack.signing_secret or "socket-mode-does-not-sign",
        process_before_response=process_before_response,
        request_verification_enabled=True,  # requests reach Bolt verified by the front door or the socket
        ignoring_self_events_enabled=True,
    )
    ctx = context or SlackContext(assistant, admin_user_ids, reporter, escalation_channel=slack.escalation_channel)
    setattr(app, "physio_context", ctx)  # noqa: B010 - read by SlackChannel.health() and the tests
    if not one_auth_test(app):
        log.debug("Bolt's authorization middleware was not found; each first request may call auth.test")
    app.middleware(Deliveries(assistant))
    register_listeners(app, ctx)
    install_error_guard(app)
    quiet_bolt_logs(app)  # Socket Mode has no front door: Bolt's body-printing log lines are quietened here too
    return app
