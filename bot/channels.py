"""The channels a deployment can serve, found by module path, so that nothing outside a channel's package
imports its SDK: a Teams-only deployment never loads Bolt, a Slack-only one never loads the Agents SDK.

A channel class is built with `(settings, assistant, services)` and offers:

    async def start(self) -> None          # check credentials (with retries); raises ChannelError to stop
    def add_routes(self, web_app) -> None  # its endpoint on the shared aiohttp application
    def health(self) -> dict[str, str]     # what /healthz reports for it ("ok", or a problem)
    async def stop(self) -> None
"""

from __future__ import annotations

import importlib
from typing import Any

from bot.errors import PhysioCareerError

CHANNELS = {
    "slack": "bot.slack.channel:SlackChannel",
    "teams": "bot.teams.channel:TeamsChannel",
}


class ChannelError(PhysioCareerError):
    """A channel cannot start (credentials rejected, the platform unreachable after retries)."""


def channel_class(name: str) -> Any:
    module, _, attr = CHANNELS[name].partition(":")
    return getattr(importlib.import_module(module), attr)
