"""The app manifest and the Procfile agree with the code: one paste creates the app this code expects."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from bot.cli import build_parser
from bot.slack import ids

ROOT = Path(__file__).resolve().parents[2]


def manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_matches_the_app():
    m = manifest()
    [command] = m["features"]["slash_commands"]
    assert command["command"] == ids.COMMAND
    # message.channels / message.groups: replies in the help channel's threads ("Ask a person")
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.im",
        "message.channels",
        "message.groups",
    }
    assert set(m["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "app_mentions:read",
        "im:history",
        "im:read",
        "im:write",
        "channels:history",
        "groups:history",
    }
    home = m["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is True


def test_manifest_respects_slacks_field_limits():
    info = manifest()["display_information"]
    assert len(info["name"]) <= 35 and len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000


def test_procfile_runs_http_on_web_and_socket_mode_on_worker():
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert set(lines) == {"web", "worker"}
    for kind, flag in (("web", "http"), ("worker", "socket")):
        argv = shlex.split(lines[kind])
        assert argv[0] == "physio-career"
        args = build_parser().parse_args(argv[1:])
        assert args.command == "serve" and getattr(args, flag) is True
