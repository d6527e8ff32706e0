"""bench/load.py: a short run against the real (new) server, and the shared stand-in's counting it relies on.

The side-by-side run against the baseline commit needs a git worktree and a second server; it belongs to the
benchmark itself (`python bench/load.py`), not to the test suite.
"""

from __future__ import annotations

import http.client
import json

import pytest

from tests.slack.stand_ins import wire
from tests.slack.stand_ins.web_api import SlackApiStandIn


@pytest.mark.slow
def test_smoke_run_against_the_new_server_has_no_errors_and_one_reply_per_dm_and_teams_activity(bench):
    out, data = bench("load.py", "--smoke", "--no-baseline", "--duration", "2", "--settle", "5", timeout=180)

    assert "new (aiohttp worker)" in out and "Goals (issue 9)" in out
    assert set(data["servers"]) == {"new"} and data["ratio"] is None
    r = data["servers"]["new"]
    assert r["errors"] == 0, r.get("error_kinds")
    assert r["empty_command_answers"] == 0
    assert r["requests"] > 0 and 0 < r["p50_ms"] <= r["p99_ms"]
    assert r["by_kind"]["command"]["n"] > 0 and r["dms_acknowledged"] > 0
    assert r["dms_with_one_reply"] == r["dms_acknowledged"]
    assert r["dms_without_reply"] == r["dms_with_several_replies"] == 0
    assert r["posts_to_unknown_channels"] == 0
    assert r["clicks_with_one_reply"] == r["clicks_acknowledged"]
    assert r["replies_slack_would_reject"] == 0, r["reject_examples"]
    assert r["web_api_calls"]["auth.test"] >= 1
    assert r["web_api_calls"]["chat.postMessage"] == r["dms_acknowledged"]
    t = r["teams"]  # Teams personal-chat messages on the same server, replies counted at the connector stand-in
    assert t["errors"] == 0, t["error_kinds"]
    assert t["activities_acknowledged"] == t["requests"] > 0 and 0 < t["p50_ms"] <= t["p99_ms"]
    assert t["with_one_reply"] == t["activities_acknowledged"]
    assert t["without_reply"] == t["with_several_replies"] == t["replies_to_unknown_activities"] == 0


def post(url: str, path: str, body: dict) -> dict:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    data = conn.getresponse().read()
    conn.close()
    try:
        return json.loads(data)
    except ValueError:
        return {"text": data.decode()}  # a response URL answers plain "ok"


def test_the_stand_in_counts_every_reply_without_keeping_the_calls():
    with SlackApiStandIn(keep_calls=False, check=wire.call_problems) as slack:
        me = post(slack.url, "/api/auth.test", {})
        assert (me["user_id"], me["bot_id"], me["team_id"]) == ("U0002", "B0001", "T0001")
        for channel in ("D1", "D2", "D2"):
            assert post(slack.url, "/api/chat.postMessage", {"channel": channel, "text": "hi"})["ok"]
        post(slack.url, "/api/chat.postMessage", {"channel": "D3"})  # no text: Slack would reject it
        assert post(slack.url, "/hooks/bench-click/1", {"text": "an ephemeral answer"}) == {"text": "ok"}
        assert slack.calls == []
        assert slack.posts == {"D1": 1, "D2": 2, "D3": 1}
        assert slack.posted_to(["D1", "D2", "D4"]) == 2
        assert slack.hooks == {"/hooks/bench-click/1": 1} and slack.hooked(["/hooks/bench-click/1", "/x"]) == 1
        assert slack.counts == {"auth.test": 1, "chat.postMessage": 4, "hooks": 1}
        assert slack.problems == ["/api/chat.postMessage: no plain text fallback"] and slack.problem_count == 1


def test_requests_are_signed_the_way_slack_signs_them():
    from slack_sdk.signature import SignatureVerifier

    request = wire.Wire.form(wire.command_fields("band5", user="U1000001", hooks_base="http://127.0.0.1:1"))
    headers = request.headers(secret="s3cret")
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier("s3cret").is_valid(request.raw, timestamp, signature)
    assert not SignatureVerifier("other").is_valid(request.raw, timestamp, signature)
