"""The App Home tab: published each time a member opens it, so notices and their nation are always current."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import off_loop
from bot.slack import blocks as render
from bot.slack.app import SlackContext
from bot.slack.listeners.common import call_slack, member


def register(app: AsyncApp, ctx: SlackContext) -> None:
    async def handle_home_opened(event: dict, client: AsyncWebClient) -> None:
        user = event.get("user")
        if event.get("tab") != "home" or not isinstance(user, str):  # the Messages tab fires the same event
            return
        async with ctx.inflight.track():
            nation = await off_loop(ctx.assistant.nation_of, member(user))
            view = render.home_view(ctx.assistant.topics(), ctx.assistant.notices(), nation=nation)
            await call_slack(ctx, "publish Home", lambda: client.views_publish(user_id=user, view=view))

    app.event("app_home_opened")(handle_home_opened)
