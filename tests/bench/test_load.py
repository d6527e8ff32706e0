"""bench/load.py: a short run against the real server; and the stand-in that checks the replies counts right."""

from __future__ import annotations

import http.client
import json

import load
import pytest


@pytest.mark.slow
def test_smoke_run_against_the_real_server_has_no_errors_and_one_reply_per_dm(bench):
    out, data = bench("load.py", "--smoke", "--duration", "2", "--settle", "5", timeout=180)

    assert "Under load" in out and "Goals (issue 5):" in out
    assert data["errors"] == 0, data.get("error_kinds")
    assert data["empty_command_answers"] == 0
    assert data["requests"] > 0 and 0 < data["p50_ms"] <= data["p99_ms"]
    assert data["by_kind"]["command"]["n"] > 0 and data["dms_acknowledged"] > 0
    assert data["dms_with_one_reply"] == data["dms_acknowledged"]
    assert data["posts_to_unknown_channels"] == 0
    assert data["web_api_calls"]["auth.test"] >= 1
    assert data["web_api_calls"]["chat.postMessage"] == data["dms_acknowledged"]


def post(url: str, path: str, body: dict) -> dict:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    data = json.loads(conn.getresponse().read())
    conn.close()
    return data


def test_the_stand_in_answers_as_our_bot_and_counts_every_post_per_channel():
    with load.SlackStandIn() as slack:
        me = post(slack.url, "/api/auth.test", {})
        assert (me["user_id"], me["bot_id"], me["team_id"]) == ("U0002", "B0001", "T0001")
        for channel in ("D1", "D2", "D2"):
            assert post(slack.url, "/api/chat.postMessage", {"channel": channel, "text": "hi"})["ok"]
        post(slack.url, "/api/chat.postMessage", {"channel": "D3"})  # no text: recorded as a failure
        assert slack.posts == {"D1": 1, "D2": 2, "D3": 1}
        assert slack.posts_to(["D1", "D2", "D4"]) == 2
        assert slack.failures == ["chat.postMessage to D3 without text or blocks"]


def test_requests_are_signed_the_way_slack_signs_them():
    from slack_sdk.signature import SignatureVerifier

    body = load.slash_command("band5", "U1000001", 7, "http://127.0.0.1:1/hooks")
    headers = load.sign(body, "s3cret")
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SignatureVerifier("other").is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
