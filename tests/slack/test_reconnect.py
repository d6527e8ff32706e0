"""Socket Mode reconnects within 10 seconds of an abrupt drop (no close frame: a network cut, a Slack restart)."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from bot.config import Settings
from bot.curators_log.recorder import NullRecorder
from bot.runtime import Services
from tests.slack.stand_ins.web_api import BOT_TOKEN

RECONNECT_WITHIN = 10.0


def test_socket_mode_reconnects_within_ten_seconds_of_an_abrupt_drop(kb, slack_api):
    async def go() -> list[float]:
        connected: list[float] = []
        sockets: list[web.WebSocketResponse] = []

        async def link(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse(autoping=True)
            await ws.prepare(request)
            connected.append(time.monotonic())
            sockets.append(ws)
            await ws.send_json({"type": "hello", "num_connections": 1})
            async for _ in ws:
                pass
            return ws

        app = web.Application()
        app.router.add_get("/link/", link)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        slack_api.respond_with("apps.connections.open", {"ok": True, "url": f"ws://127.0.0.1:{port}/link/"})
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-test", "SLACK_API_URL": slack_api.api_url}
        settings = Settings.from_env(env)
        from bot.channels import channel_class

        channel = channel_class("slack")(settings, Services(settings, kb, recorder=NullRecorder()))
        await channel.connect_socket()
        try:
            deadline = time.monotonic() + 10
            while not connected and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert connected, "never connected"
            # an abrupt drop: the TCP connection goes away with no WebSocket close frame
            dropped = time.monotonic()
            transport = sockets[0]._req.transport  # type: ignore[union-attr]
            transport.abort()
            while len(connected) < 2 and time.monotonic() - dropped < RECONNECT_WITHIN + 5:
                await asyncio.sleep(0.05)
            return [t - dropped for t in connected[1:]]
        finally:
            await channel.stop()
            await runner.cleanup()

    after = asyncio.run(go())
    assert after, "did not reconnect"
    print(f"reconnected {after[0]:.1f} s after the drop")
    assert after[0] <= RECONNECT_WITHIN, f"reconnected after {after[0]:.1f} s"
