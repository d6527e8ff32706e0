"""Stopping (SIGTERM, which Heroku sends at every restart) finishes the replies in hand, in both modes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KNOWLEDGE
from tests.slack.stand_ins.web_api import BOT_TOKEN, SlackApiStandIn
from tests.slack.stand_ins.wire import Wire, dm_event
from tests.slack.test_server import ROOT, post
from tests.slack.test_server import server as real_server  # noqa: F401 - the real server process fixture

pytestmark = pytest.mark.slow
HANG = 3.0  # chat.postMessage takes this long: the reply is in hand when SIGTERM arrives


def test_http_finishes_a_reply_in_hand_before_it_exits(real_server):  # noqa: F811 - a pytest fixture
    base, api, _health, process, log = real_server
    api.hang("chat.postMessage", HANG)
    assert post(base + "/slack/events", Wire.event(dm_event("band 3", event_id="Ev0SIGTERM1")))[0] == 200
    api.wait_for("chat.postMessage")  # the reply is on its way, and Slack is slow to take it
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert time.monotonic() - started >= HANG - 1.0  # it waited for the reply instead of dropping it
    log.seek(0)
    assert "unfinished" not in log.read()


def test_socket_mode_finishes_a_reply_in_hand_before_it_exits(tmp_path):
    from tests.slack.stand_ins.socket_mode import SocketModeStandIn

    api = SlackApiStandIn()
    api.hang("chat.postMessage", HANG)
    envelope = {
        "envelope_id": "env-1",
        "type": "events_api",
        "accepts_response_payload": False,
        "payload": dm_event("band 3", event_id="Ev0SIGTERM2"),
    }
    ws = SocketModeStandIn([envelope])
    api.respond_with("apps.connections.open", {"ok": True, "url": ws.url})
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-secret-app-token",
        "SLACK_API_URL": api.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}",
        "KNOWLEDGE_DIR": str(FIXTURE_KNOWLEDGE),
    }
    cli = Path(sys.executable).with_name("physio-career")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "bot.cli"]
    process = subprocess.Popen(
        [*command, "serve"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert ws.wait_for_acks(1)  # acknowledged at once
        assert api.wait_for("chat.postMessage", timeout=15)  # and the reply is in hand
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        ws.close()
        api.close()
    assert process.returncode == 0, output
    assert time.monotonic() - started >= HANG - 1.0
    assert "finishing the replies in hand" in output and "unfinished" not in output
