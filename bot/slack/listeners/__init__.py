"""One module per Slack surface, each with `register(app, deps)`; the catch-all message listener goes last."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners import actions, commands, home, mentions, messages


def register_listeners(app: App, deps: Deps) -> None:
    commands.register(app, deps)
    mentions.register(app, deps)
    messages.register(app, deps)
    actions.register(app, deps)
    home.register(app, deps)
    messages.register_catch_all(app)  # last: listeners are tried in order and the first match wins
