"""Slack as a channel of the server: credentials checked at start (with retries), the HTTP front door or
Socket Mode, and what `/healthz` reports for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels import ChannelError
from bot.slack.app import SlackContext, create_app, slack_error
from bot.slack.listeners.common import AUTH_ERRORS

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
START_ATTEMPTS = 5
START_BACKOFF = 0.5  # seconds, doubled after each failed attempt


class SlackChannel:
    def __init__(self, settings, services, *, client: AsyncWebClient | None = None, backoff: float = START_BACKOFF):
        self.settings = settings
        self.slack = settings.slack
        self.services = services
        self.client = client or AsyncWebClient(token=self.slack.bot_token, base_url=self.slack.api_url, timeout=10)
        self.backoff = backoff
        self.context = SlackContext(
            services.assistant,
            settings.admin_user_ids,
            services.reporter,
            inflight=services.inflight,
            escalation_channel=self.slack.escalation_channel,
        )
        self.app = create_app(self.slack, services.assistant, self.client, context=self.context)
        self.socket_handler: Any = None

    async def start(self) -> None:
        """Check the bot token with auth.test; Slack being unavailable is retried, a rejected token is not."""
        delay = self.backoff
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                await self.client.auth_test()
                return
            except SlackApiError as exc:
                data = exc.response.data if exc.response is not None else None
                code = str(data.get("error") or "") if isinstance(data, dict) else ""
                status = exc.response.status_code if exc.response is not None else 0
                if code in AUTH_ERRORS or (status and status < 500 and code and code != "ratelimited"):
                    raise ChannelError(
                        f"Slack did not accept SLACK_BOT_TOKEN ({code}); check it in the app's OAuth & Permissions page"
                    ) from None
                problem = f"Slack answered {slack_error(exc)}"
            except (TimeoutError, OSError, Exception) as exc:  # noqa: B014 - network errors of every kind
                problem = type(exc).__name__
            if attempt == START_ATTEMPTS:
                raise ChannelError(
                    f"Slack is unavailable ({problem} after {attempt} attempts at {self.slack.api_url}); "
                    "try again later, or check SLACK_API_URL"
                )
            log.warning("Slack is unavailable (%s); trying again in %.0f s", problem, delay)
            await asyncio.sleep(delay)
            delay *= 2

    async def check_app_token(self) -> None:
        """Socket Mode: one apps.connections.open, so a rejected app token stops the start with a clear message
        (the socket client itself would retry it for ever)."""
        try:
            await self.client.apps_connections_open(app_token=self.slack.app_token)
        except SlackApiError as exc:
            raise ChannelError(
                f"Slack did not accept SLACK_APP_TOKEN ({slack_error(exc)}); it needs the connections:write scope "
                "and Socket Mode turned on"
            ) from None

    def add_routes(self, web_app) -> None:
        if not self.slack.signing_secret:
            return  # Socket Mode only: no HTTP endpoint
        from bot.slack.front_door import SlackFrontDoor

        SlackFrontDoor(self.app, self.slack.signing_secret).add_routes(web_app, EVENTS_PATH)
        web_app.cleanup_ctx.append(self._keep_alive)

    async def _keep_alive(self, web_app) -> AsyncIterator[None]:
        """While the web app runs, the Web API client keeps one aiohttp session, so its connections to Slack are
        reused (without one, slack_sdk opens a session, a connection and a TLS handshake per call, and closes
        them). Its timeout is the client's, as in the session slack_sdk would make for each call."""
        import aiohttp

        own = None
        if getattr(self.client, "session", None) is None:
            own = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.client.timeout))
            self.client.session = own
        try:
            yield
        finally:
            if own is not None:
                self.client.session = None
                await own.close()

    def health(self) -> dict[str, str]:
        return {"slack": self.context.health.get("slack", "ok")}

    async def connect_socket(self) -> None:
        """Socket Mode: connect and keep reconnecting; an abrupt drop is noticed within a few seconds."""
        self.socket_handler = _socket_handler(self.app, self.slack.app_token)
        await self.socket_handler.connect_async()

    async def stop(self) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
            self.socket_handler = None


def _socket_handler(app, app_token: str):
    """Bolt's asyncio Socket Mode handler, marking what arrives over the authenticated socket as verified."""
    from time import time

    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.adapter.socket_mode.async_internals import send_async_response
    from slack_bolt.adapter.socket_mode.internals import build_headers
    from slack_bolt.request.async_request import AsyncBoltRequest

    class Handler(AsyncSocketModeHandler):
        async def handle(self, client, req) -> None:
            start = time()
            request = AsyncBoltRequest(
                mode="socket_mode", body=req.payload, headers=build_headers(req), context={"verified": True}
            )
            response = await self.app.async_dispatch(request)
            await send_async_response(client, req, response, start)

    # a ping every 3 s: an abrupt drop is seen, and the socket reconnected, within about 10 s
    return Handler(app, app_token, ping_interval=3)
