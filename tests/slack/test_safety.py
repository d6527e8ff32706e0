"""Safe under real traffic: signatures, retries, hostile or odd input, Web API failures, a failing recorder,
secrets kept out of the logs, and the acknowledgement always inside Slack's 3 seconds."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack import blocks as render
from tests.slack.conftest import Traffic
from tests.slack.fakes import BrokenRecorder
from tests.slack.stand_ins.web_api import BOT_TOKEN
from tests.slack.stand_ins.wire import SIGNING_SECRET, Wire, dm_event, load_json, mention_event

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


# --- signatures -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "how",
    [
        {"secret": "not-the-signing-secret"},
        {"ts": int(time.time()) - 600},  # stale: replayed ten minutes later
        {"ts": int(time.time()) + 600},
    ],
)
def test_forged_or_stale_requests_get_401(slack, recorder, how):
    for wire in (
        Wire.event(dm_event("band5")),
        Wire.form({"command": "/physio-career", "text": "band5", "user_id": "U0001"}),
        Wire.interactive(load_json("block_actions.json")),
    ):
        response = slack.send(wire, **how)
        assert response.status == 401
    assert slack.api.outbound() == [] and recorder.questions == []


def test_unsigned_request_gets_401(slack):
    raw = json.dumps(dm_event("band5"))
    response = slack.post(raw, {"Content-Type": "application/json"})
    assert response.status == 401
    assert slack.api.outbound() == []


def test_a_forged_request_does_not_use_up_the_event_id(slack):
    """Verification runs before de-duplication: a forgery cannot stop the real event being answered."""
    envelope = dm_event("band5", event_id="Ev0100FORGED")
    assert slack.event(envelope, secret="forger").status == 401
    assert slack.event(envelope).status == 200
    assert len(slack.api.calls_to("chat.postMessage")) == 1


# --- retries --------------------------------------------------------------------------------------------------
def test_a_retry_of_an_answered_event_is_not_answered_again(slack):
    envelope = load_json("message_im.json")
    assert slack.event(envelope).status == 200
    for n in (1, 2, 3):
        response = slack.event(envelope, headers={"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"})
        assert response.status == 200
    assert len(slack.api.calls_to("chat.postMessage")) == 1


def test_a_retry_of_an_event_we_never_received_is_answered_once(slack):
    envelope = dm_event("band5", event_id="Ev0200LOST")
    assert (
        slack.event(envelope, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "connection_failed"}).status
        == 200
    )
    assert (
        slack.event(envelope, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "connection_failed"}).status
        == 200
    )
    assert len(slack.api.calls_to("chat.postMessage")) == 1


def test_concurrent_deliveries_of_one_event_are_answered_once(slack):
    envelope = dm_event("band5", event_id="Ev0300RACE")
    statuses = []
    threads = [
        threading.Thread(target=lambda h=h: statuses.append(slack.event(envelope, headers=h).status))
        for h in ({}, RETRY, {**RETRY, "X-Slack-Retry-Num": "2"}, {}, RETRY)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 5
    assert len(slack.api.calls_to("chat.postMessage")) == 1


def test_different_events_with_the_same_text_are_each_answered(slack):
    slack.event(dm_event("band5", event_id="Ev0400A"))
    slack.event(dm_event("band5", event_id="Ev0400B"))
    assert len(slack.api.calls_to("chat.postMessage")) == 2


def test_socket_mode_requests_reach_the_same_app_and_are_deduplicated(slack):
    envelope = dm_event("band5", event_id="Ev0500SOCKET")
    first = slack.dispatch(AsyncBoltRequest(body=envelope, mode="socket_mode", context={"verified": True}))
    retry = slack.dispatch(
        AsyncBoltRequest(
            body=envelope,
            mode="socket_mode",
            headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "timeout"},
            context={"verified": True},
        )
    )
    assert first.status == retry.status == 200
    assert len(slack.api.calls_to("chat.postMessage")) == 1


# --- hostile and odd input -------------------------------------------------------------------------------------
PINGS = "<!channel> <!here> <!everyone> <@U0003> <!subteam^S0001|@physios> &lt;!channel&gt; band5"


def cannot_ping(obj) -> bool:
    text = json.dumps(obj)
    return not any(p in text for p in ("<!channel", "<!here", "<!everyone", "<@U0003", "<!subteam"))


def test_nothing_a_member_types_can_ping_anyone(slack):
    command = slack.command(PINGS)
    assert cannot_ping(json.loads(command.body))
    assert "&lt;!channel&gt;" in command.body  # shown literally, escaped
    slack.event(dm_event(PINGS))
    slack.event(mention_event("<@U0002> " + PINGS))
    for call in slack.api.outbound():
        assert cannot_ping(call.body), call.body


@pytest.mark.parametrize(
    "text",
    [
        "band " * 8000,  # 40,000 characters
        "🙂🙂🙂 👍🏽 🏥",
        "كيف أصبح أخصائي علاج طبيعي؟",  # right-to-left script
        "איך אני הופך לפיזיותרפיסט",
        "<@U0003> <#C0002|general> <https://example.com|link> *_~`>`~_*",  # markup only
        "\u200f\u200e\u202e\u2066 \u00a0 \t\n",  # direction marks and spaces only
        "",
    ],
)
def test_long_or_odd_input_gets_a_bounded_sensible_answer_quickly(slack, text):
    started = time.perf_counter()
    command = slack.command(text)
    slack.event(dm_event(text))
    slack.event(mention_event("<@U0002> " + text))
    assert time.perf_counter() - started < 2.0
    assert command.status == 200
    body = json.loads(command.body)
    assert body["response_type"] == "ephemeral" and body["blocks"][0]["type"] == "header" and body["text"]
    assert len(command.body) < 20000
    assert [c.path for c in slack.api.outbound()] == ["/api/chat.postMessage"] * 2
    for call in slack.api.outbound():
        assert len(json.dumps(call.body)) < 20000


# --- Web API failures -----------------------------------------------------------------------------------------
def test_rate_limited_post_is_retried_after_retry_after(slack):
    slack.api.fail("chat.postMessage", status=429, retry_after=0, times=1)
    assert slack.event(dm_event("band5")).status == 200
    calls = slack.api.calls_to("chat.postMessage")
    assert len(calls) == 2 and calls[0].body == calls[1].body
    assert slack.api.calls_to("chat.postEphemeral") == []


def test_slack_server_error_is_retried(slack):
    slack.api.fail("chat.postMessage", status=500, times=1)
    assert slack.event(mention_event("<@U0002> band5")).status == 200
    assert len(slack.api.calls_to("chat.postMessage")) == 2


def test_not_in_channel_is_logged_and_the_app_carries_on(slack, caplog):
    slack.api.fail("chat.postMessage", error="not_in_channel", times=1)
    with caplog.at_level(logging.ERROR):
        assert slack.event(mention_event("<@U0002> band5")).status == 200
    assert "not_in_channel" in caplog.text and "could not handle a Slack event_callback (app_mention)" in caplog.text
    # the member is told, privately and where they asked
    apology = slack.api.last("chat.postEphemeral")
    assert apology.body["user"] == "U0001" and apology.body["text"] == render.APOLOGY
    assert apology.body["thread_ts"] == mention_event("x")["event"]["ts"]
    # and the next question is answered as usual
    assert slack.event(dm_event("band5")).status == 200
    assert slack.api.last("chat.postMessage").body["channel"] == "D0001"


def test_an_apology_that_fails_too_is_only_logged(slack, caplog):
    slack.api.fail("chat.postMessage", error="fatal_error")
    slack.api.fail("chat.postEphemeral", error="not_in_channel")
    assert slack.event(dm_event("band5")).status == 200
    assert "could not send the member an apology either: not_in_channel" in caplog.text


def test_persistent_rate_limit_on_home_is_survived(slack, caplog):
    slack.api.fail("views.publish", status=429, retry_after=0)
    assert slack.event(load_json("app_home_opened.json")).status == 200
    assert len(slack.api.calls_to("views.publish")) == 2  # one retry, then give up
    assert "ratelimited" in caplog.text


# --- the recorder ---------------------------------------------------------------------------------------------
def test_a_failing_recorder_never_stops_a_reply(make_app, slack_api, caplog):
    slack = Traffic(make_app(recorder=BrokenRecorder()), slack_api)
    assert slack.command("band5").status == 200
    assert json.loads(slack.command("band5").body)["blocks"][0]["text"]["text"].startswith("Are there band 5")
    slack.event(dm_event("band5"))
    assert len(slack.api.calls_to("chat.postMessage")) == 1
    slack.action(load_json("block_actions.json"))
    assert len(slack.api.calls_to("chat.postMessage")) == 2
    assert "curators' log:" in caplog.text and "Members still get their answers" in caplog.text


# --- secrets --------------------------------------------------------------------------------------------------
def test_tokens_and_secrets_are_never_logged(make_app, slack_api, caplog):
    caplog.set_level(logging.DEBUG)
    slack = Traffic(make_app(), slack_api)
    slack.command("band5")
    slack.event(dm_event("band5"))
    slack.event(load_json("app_home_opened.json"))
    slack.api.fail("chat.postMessage", error="invalid_auth")
    slack.event(mention_event("<@U0002> band5"))
    slack.send(Wire.event(dm_event("band5")), secret="forged")
    assert "invalid_auth" in caplog.text  # the failure is logged...
    assert BOT_TOKEN not in caplog.text and SIGNING_SECRET not in caplog.text  # ...the secrets are not
    assert BOT_TOKEN[:15] not in caplog.text


# --- production timing ----------------------------------------------------------------------------------------
def test_production_setting_acknowledges_first_and_answers_after(make_app, slack_api):
    """With process_before_response=False (production), events get their 200 at once and the answer follows;
    a command still carries its answer in the acknowledgement."""
    slack = Traffic(make_app(process_before_response=False), slack_api)
    started = time.perf_counter()
    response = slack.command("band5")
    assert response.status == 200 and time.perf_counter() - started < 3.0
    assert json.loads(response.body)["response_type"] == "ephemeral"
    started = time.perf_counter()
    assert slack.event(dm_event("band5")).status == 200
    assert time.perf_counter() - started < 3.0
    assert len(slack_api.wait_for("chat.postMessage")) == 1
