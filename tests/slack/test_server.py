"""The HTTP front: the WSGI app in-process, and the real `physio-career serve --http` process under gunicorn."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.curators_log.recorder import NullRecorder
from bot.server import serve
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.slack.stand_ins.web_api import BOT_TOKEN, SlackApiStandIn
from tests.slack.stand_ins.wire import SIGNING_SECRET, Wire, command_fields, dm_event, load_raw, signed_headers

ROOT = Path(__file__).resolve().parents[2]


def test_web_routes(settings, kb, slack_api):
    """/healthz, the Slack endpoint with its signature check, and 404 for the rest, on the one aiohttp app."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.runtime import Services
    from bot.server import web_app

    async def go() -> None:
        services = Services(settings, kb, recorder=NullRecorder())
        client = TestClient(TestServer(await web_app(settings, kb, services)))
        await client.start_server()
        try:
            r = await client.get("/healthz")
            assert r.status == 200
            assert await r.json() == {"status": "ok", "entries": len(kb), "channels": {"slack": "ok"}}
            raw = load_raw("url_verification.json")
            r = await client.post(
                "/slack/events", data=raw, headers=signed_headers(raw, content_type="application/json")
            )
            assert r.status == 200 and (await r.json())["challenge"].startswith("fakeChallenge")
            r = await client.post("/slack/events", data=raw, headers={"Content-Type": "application/json"})
            assert r.status == 401
            for method, path in (("GET", "/slack/events"), ("GET", "/"), ("POST", "/other"), ("GET", "/slack/install")):
                r = await client.request(method, path)
                assert r.status in (404, 405)
        finally:
            await client.close()

    asyncio.run(go())


def test_serve_stops_with_a_clear_message_when_slack_rejects_the_token(settings, kb, slack_api, caplog):
    slack_api.fail("auth.test", error="invalid_auth")
    assert serve(settings, kb) == 2
    assert "Slack did not accept SLACK_BOT_TOKEN (invalid_auth)" in caplog.text
    assert BOT_TOKEN not in caplog.text


def test_slack_unavailable_at_start_is_retried_and_reported_as_unavailable(settings, kb, slack_api, caplog):
    from bot.channels import ChannelError
    from bot.runtime import Services
    from bot.slack.channel import SlackChannel

    slack_api.fail("auth.test", status=503, times=5)  # the client retries twice itself, then we try again
    channel = SlackChannel(settings, Services(settings, kb, recorder=NullRecorder()), backoff=0.01)
    asyncio.run(channel.start())
    assert len(slack_api.calls_to("auth.test")) == 6
    assert "Slack is unavailable" in caplog.text

    slack_api.fail("auth.test", status=503)
    channel = SlackChannel(settings, Services(settings, kb, recorder=NullRecorder()), backoff=0.01)
    with pytest.raises(ChannelError, match="Slack is unavailable") as info:
        asyncio.run(channel.start())
    assert "did not accept" not in str(info.value)


def test_serve_names_a_missing_setting(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SLACK_BOT_TOKEN": BOT_TOKEN}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--http"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is" in done.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, wire: Wire, headers: dict[str, str] | None = None, **sign) -> tuple[int, str]:
    headers = {**signed_headers(wire.raw, content_type=wire.content_type, **sign), **(headers or {})}
    request = urllib.request.Request(url, data=wire.raw.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def server(tmp_path):
    """`physio-career serve --http --port <free>` as a real process, its Web API pointed at a stand-in."""
    api = SlackApiStandIn()
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'physio-career.sqlite3'}",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "DEBUG",
        "KNOWLEDGE_DIR": str(FIXTURE_KNOWLEDGE),
    }
    cli = Path(sys.executable).with_name("physio-career")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "bot.cli"]
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [*command, "serve", "--http", "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                health = json.loads(response.read())
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                process.kill()
                api.close()
                pytest.fail(f"the server did not start:\n{log.read()}")
            time.sleep(0.1)
    try:
        yield base, api, health, process, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        api.close()
        log.close()


@pytest.mark.slow
def test_real_server_process(server, kb):
    base, api, health, process, log = server
    assert health == {"status": "ok", "entries": len(kb), "channels": {"slack": "ok"}}

    status, body = post(base + "/slack/events", Wire.form(command_fields("band5", hooks_base=api.url)))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["text"]["text"] == kb.by_id["band-5-support-roles"].question

    status, _ = post(base + "/slack/events", Wire.event(dm_event("band5", event_id="Ev0900REAL")))
    assert status == 200
    [posted] = api.wait_for("chat.postMessage")
    assert posted.body["channel"] == "D0001"
    assert posted.body["text"].startswith(kb.by_id["band-5-support-roles"].question)
    assert posted.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    # Slack's retries may land on either worker: the shared database lets only the first delivery through
    for n in (1, 2, 3, 1, 2):
        retry = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
        assert post(base + "/slack/events", Wire.event(dm_event("band5", event_id="Ev0900REAL")), retry)[0] == 200
    assert len(api.wait_for("chat.postMessage", count=2, timeout=1.0)) == 1

    assert post(base + "/slack/events", Wire.event(dm_event("band5")), secret="forged")[0] == 401
    assert post(base + "/slack/events", Wire.event(dm_event("band5")), ts=int(time.time()) - 600)[0] == 401
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(base + "/nothing-here", timeout=5)
    assert missing.value.code == 404

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    log.seek(0)
    output = log.read()
    assert "HTTP on port" in output
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output


def test_socket_mode_stops_with_a_clear_message_when_slack_rejects_the_app_token(kb, slack_api, caplog):
    from bot.config import Settings

    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-secret-app-token",
        "SLACK_API_URL": slack_api.api_url,
    }
    settings = Settings.from_env(env)
    assert settings.mode == "socket"
    slack_api.fail("apps.connections.open", error="invalid_auth")
    assert serve(settings, kb) == 2
    assert "Slack did not accept SLACK_APP_TOKEN (invalid_auth)" in caplog.text
    [opened] = slack_api.calls_to("apps.connections.open")
    assert opened.headers["authorization"] == "Bearer xapp-1-secret-app-token"
    assert "xapp-1-secret-app-token" not in caplog.text


@pytest.mark.slow
def test_real_socket_mode_process(tmp_path, kb):
    """`physio-career serve --socket` connects over a WebSocket, answers a DM once although Slack redelivers it,
    and returns a command's answer in its acknowledgement."""
    from tests.slack.stand_ins.socket_mode import SocketModeStandIn

    api = SlackApiStandIn()
    dm = dm_event("band5", event_id="Ev0950SOCKET")
    envelopes = [
        {"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False, "payload": dm},
        {
            "envelope_id": "env-2",
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 1,
            "retry_reason": "timeout",
            "payload": dm,
        },
        {
            "envelope_id": "env-3",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": command_fields("band5", hooks_base=api.url),
        },
    ]
    ws = SocketModeStandIn(envelopes)
    api.respond_with("apps.connections.open", {"ok": True, "url": ws.url})
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-secret-app-token",
        "SLACK_API_URL": api.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'physio-career.sqlite3'}",
        "KNOWLEDGE_DIR": str(FIXTURE_KNOWLEDGE),
    }
    cli = Path(sys.executable).with_name("physio-career")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "bot.cli"]
    process = subprocess.Popen(
        [*command, "serve"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        acks = ws.wait_for_acks(3)
        assert sorted(a["envelope_id"] for a in acks) == ["env-1", "env-2", "env-3"]
        [command_ack] = [a for a in acks if a["envelope_id"] == "env-3"]
        assert command_ack["payload"]["response_type"] == "ephemeral"
        assert command_ack["payload"]["blocks"][0]["text"]["text"] == kb.by_id["band-5-support-roles"].question
        assert len(api.wait_for("chat.postMessage")) == 1
        assert len(api.wait_for("chat.postMessage", count=2, timeout=1.0)) == 1  # the redelivery is not answered
        assert api.last("apps.connections.open").headers["authorization"] == "Bearer xapp-1-secret-app-token"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        ws.close()
        api.close()
    assert process.returncode == 0, output
    assert "Socket Mode" in output
    assert BOT_TOKEN not in output and "xapp-1-secret-app-token" not in output
