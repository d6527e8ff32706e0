"""The one asyncio web server: every channel's endpoint and `/healthz`, on one aiohttp application and port.

    POST /slack/events   Slack (commands, events, interactivity), when Slack is configured for HTTP
    POST /api/messages   Microsoft Teams, when Teams is configured
    GET  /healthz        {"status": "ok", "entries": N, "channels": {...}}; 503 when a channel is unwell

Anything else is 404. Production runs it under gunicorn with aiohttp's worker class (`bot.server`); each worker
builds its own services (database connections) after the fork.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)
HEALTH_PATH = "/healthz"
SERVICES: web.AppKey[Any] = web.AppKey("services")
MAX_BODY = 1024 * 1024  # the most any endpoint reads; each channel checks its own limit before reading


def build_web_app(services: Any, channels: list[Any], *, grace: float = 20.0) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[SERVICES] = services

    async def health(request: web.Request) -> web.Response:
        states = {}
        for channel in channels:
            states.update(channel.health())
        healthy = all(state == "ok" for state in states.values())
        body = {"status": "ok" if healthy else "degraded", "entries": len(services.kb), "channels": states}
        return web.json_response(body, status=200 if healthy else 503, dumps=json.dumps)

    app.router.add_get(HEALTH_PATH, health)
    for channel in channels:
        channel.add_routes(app)

    async def finish_work(app: web.Application) -> None:
        """On SIGTERM: finish the replies in hand (within `grace`), then close the channels and the log."""
        await services.inflight.drain(grace)
        for channel in channels:
            try:
                await channel.stop()
            except Exception as exc:  # stopping must not hide the rest of the shutdown
                log.warning("a channel did not stop cleanly (%s)", type(exc).__name__)
        services.close()

    app.on_shutdown.append(finish_work)
    return app
