"""The one server: a Teams-only deployment (no Slack variable at all) starts and serves /api/messages and
/healthz without loading Slack's libraries; with both channels configured, both endpoints share the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.config import Settings
from tests.teams import fakes
from tests.teams.conftest import ANONYMOUS

ROOT = Path(__file__).resolve().parents[2]

TEAMS_ONLY = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from aiohttp.test_utils import TestClient, TestServer
    from bot.brain.lint import load_knowledge
    from bot.config import Settings
    from bot.curators_log.recorder import NullRecorder
    from bot.runtime import Services
    from bot.server import web_app

    async def main():
        settings = Settings.from_env(os.environ)
        kb = load_knowledge(sys.argv[1])
        services = Services(settings, kb, recorder=NullRecorder())
        client = TestClient(TestServer(await web_app(settings, kb, services), host="127.0.0.1"))
        await client.start_server()
        try:
            health = await client.get("/healthz")
            activity = json.loads(sys.argv[2])
            answer = await client.post("/api/messages", json=activity)
            slack = await client.post("/slack/events", data=b"{}")
            return {
                "mode": settings.mode,
                "channels": list(settings.channels),
                "health": [health.status, await health.json()],
                "messages": answer.status,
                "slack": slack.status,
                "loaded": sorted(m for m in ("slack_bolt", "slack_sdk", "bot.slack") if m in sys.modules),
            }
        finally:
            await client.close()

    print(json.dumps(asyncio.run(main())))
    """
)


def test_a_teams_only_deployment_starts_and_serves_without_slack(connector, kb, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CONNECTIONS__", "TEAMS_"))}
    env.update(ANONYMOUS, DATABASE_URL=f"sqlite:///{tmp_path / 'log.sqlite3'}", PYTHONPATH=str(ROOT))
    activity = fakes.personal(connector.service_url, "band5")
    done = subprocess.run(
        [sys.executable, "-c", TEAMS_ONLY, str(ROOT / "tests" / "data" / "knowledge"), json.dumps(activity)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["mode"] == "http" and result["channels"] == ["teams"]
    assert result["health"] == [200, {"status": "ok", "entries": len(kb), "channels": {"teams": "ok"}}]
    assert result["messages"] == 202 and result["slack"] == 404
    assert result["loaded"] == []  # Slack's libraries were never imported
    (reply,) = connector.replies()
    assert reply.conversation == fakes.PERSONAL and reply.reply_to == activity["id"]


def test_slack_and_teams_share_the_server(kb, connector, recorder):
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from bot.runtime import Services
    from bot.server import web_app

    env = {**ANONYMOUS, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret"}
    settings = Settings.from_env(env)
    assert settings.mode == "http" and settings.channels == ("slack", "teams")

    async def go() -> None:
        services = Services(settings, kb, recorder=recorder)
        client = TestClient(TestServer(await web_app(settings, kb, services, check=False), host="127.0.0.1"))
        await client.start_server()
        try:
            health = await (await client.get("/healthz")).json()
            assert health["channels"] == {"slack": "ok", "teams": "ok"}
            assert (await client.post("/slack/events", data=b"{}")).status == 401  # unsigned
            answer = await client.post("/api/messages", json=fakes.personal(connector.service_url, "band4"))
            assert answer.status == 202
        finally:
            await client.close()

    asyncio.run(go())
    assert len(connector.replies()) == 1
