"""The Slack channel: a Bolt app over the channel-neutral brain (`create_app` in `bot.slack.app`).

Importing this package talks to nobody; `create_app` is loaded on first use so that the renderer can import
`bot.slack.ids` without pulling in Bolt.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from bot.slack.app import create_app

        return create_app
    raise AttributeError(name)
