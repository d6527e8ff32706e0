"""The App Home tab: published each time a member opens it, so notices are always current."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack import blocks as render
from bot.slack.deps import Deps


def register(app: App, deps: Deps) -> None:
    def handle_home_opened(event: dict, client: WebClient) -> None:
        if event.get("tab") != "home":  # opening the Messages tab fires the same event
            return
        view = render.home_view(deps.answerer.topics(), deps.notices())
        client.views_publish(user_id=event["user"], view=view)

    app.event("app_home_opened")(handle_home_opened)
