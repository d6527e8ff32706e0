"""One module per Slack surface, each with `register(app, ctx)`; the catch-all message listener goes last."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.app import SlackContext
from bot.slack.listeners import actions, commands, home, messages, person, plan


def register_listeners(app: AsyncApp, ctx: SlackContext) -> None:
    plan.register(app, ctx)  # first: matches only `plan` (command, DM, mention); its buttons precede the catch-all
    commands.register(app, ctx)
    messages.register(app, ctx)
    person.register(app, ctx)  # before actions: its buttons' own listeners, before the catch-all
    actions.register(app, ctx)
    home.register(app, ctx)
    messages.register_catch_all(app)  # last: listeners are tried in order and the first match wins
