"""Replies that depend on Slack's side: a failed response_url post, a revoked token, a hung Web API."""

from __future__ import annotations

from bot.slack import ids
from tests.slack.stand_ins.wire import click, dm_event, find_button


def _ephemeral_click(slack):
    answer = slack.json(slack.command("band 3"))
    button, block = find_button(answer["blocks"], ids.ACTION_ASK)
    return click(button, block, where="ephemeral", hooks_base=slack.api.url)


def test_a_response_url_that_fails_once_is_tried_again(slack):
    slack.api.fail("hooks", status=500, times=1)
    assert slack.action(_ephemeral_click(slack)).status == 200
    hooks = slack.api.calls_to("hooks")
    assert len(hooks) == 2 and hooks[0].body == hooks[1].body


def test_a_response_url_that_keeps_failing_is_logged_not_lost_silently(slack, caplog):
    slack.api.fail("hooks", status=503)
    assert slack.action(_ephemeral_click(slack)).status == 200
    assert len(slack.api.calls_to("hooks")) == 2  # once, then once more, then give up
    assert "response_url failed twice" in caplog.text


def test_a_revoked_token_raises_one_alarm_and_healthz_says_so(slack, caplog):
    slack.api.fail("chat.postMessage", error="invalid_auth")
    for n in range(3):
        assert slack.event(dm_event("band 3", event_id=f"Ev0REVOKED{n}")).status == 200
    alarms = [r for r in caplog.records if "rejected the bot token" in r.getMessage()]
    assert len(alarms) == 1 and alarms[0].levelname == "ERROR"
    assert "Traceback" not in caplog.text
    context = slack.app.physio_context
    assert context.health == {"slack": "invalid_auth"}
    slack.api.reset()
    assert slack.event(dm_event("band 3", event_id="Ev0RECOVERED")).status == 200
    assert context.health == {}
    assert slack.api.last("chat.postMessage").blocks  # answered again once Slack takes it
