"""Reaching a person: "Not what I asked" and the whole "Ask a person" round trip, against the stand-in."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot import wording
from bot.slack import ids
from tests.slack.conftest import Traffic, question_for
from tests.slack.stand_ins.wire import button_data, click, dm_event, find_button

HELP = "C0HELP0001"


@pytest.fixture
def with_help(make_app, slack_api, settings):
    slack_settings = dataclasses.replace(settings.slack, escalation_channel=HELP)
    traffic = Traffic(make_app(settings=dataclasses.replace(settings, slack=slack_settings)), slack_api)
    yield traffic
    traffic.close()


def buttons(blocks: list[dict]) -> list[str]:
    return [e["action_id"].split(":")[0] for b in blocks if b.get("type") == "actions" for e in b["elements"]]


def test_every_answer_carries_not_what_i_asked_beside_the_thumbs(slack):
    answer = slack.json(slack.command("what does a band 4 do"))
    assert {ids.ACTION_FEEDBACK_UP, ids.ACTION_FEEDBACK_DOWN, ids.ACTION_NOT_WHAT_I_ASKED} <= set(
        buttons(answer["blocks"])
    )


def test_not_what_i_asked_is_logged_and_offers_the_next_best_entries(slack, recorder):
    answer = slack.json(slack.command("what does a band 4 do"))
    button, block = find_button(answer["blocks"], ids.ACTION_NOT_WHAT_I_ASKED)
    offered = button_data(button["value"]).get("o", "").split(",")
    assert slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url)).status == 200
    hook = slack.api.last("hooks")
    assert hook.body["response_type"] == "ephemeral"
    shown = [
        button_data(b["value"])["e"]
        for b in hook.blocks
        if b.get("type") == "actions"
        for b in b["elements"]
        if b["action_id"].startswith(ids.ACTION_CHOOSE)
    ]
    assert shown == [o for o in offered if o] and "band-4" not in shown
    assert recorder.flags == [("q1", "band-4", "U0001")]


def test_without_a_help_channel_there_is_no_ask_a_person_button(slack, answerer):
    body = slack.json(slack.command(question_for(answerer, "fallback")))
    assert ids.ACTION_ASK_PERSON not in buttons(body["blocks"])


def test_the_whole_ask_a_person_round_trip(with_help, recorder, answerer):
    slack = with_help
    unknown = question_for(answerer, "fallback")
    answer = slack.json(slack.command(unknown))
    button, block = find_button(answer["blocks"], ids.ACTION_ASK_PERSON)
    # 1. the click only shows what would be posted: nothing is sent yet
    assert slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url)).status == 200
    assert slack.api.calls_to("chat.postMessage") == []
    confirm = slack.api.last("hooks")
    assert unknown in confirm.body["text"]
    # 2. send it without a name (the default)
    send, block = find_button(confirm.blocks, ids.ACTION_SEND_TO_PERSON, text="without")
    slack.api.respond_with("chat.postMessage", {"ok": True, "channel": HELP, "ts": "1718000500.000100"})
    assert slack.action(click(send, block, where="ephemeral", hooks_base=slack.api.url)).status == 200
    [posted] = slack.api.calls_to("chat.postMessage")
    assert posted.body["channel"] == HELP and unknown in posted.body["text"] and "U0001" not in json.dumps(posted.body)
    assert f"<#{HELP}>" in slack.api.last("hooks").body["text"]  # the member is told where it went
    # 3. a person replies in the thread: the reply goes back to the member in a DM
    reply = dm_event(
        "Ask your practice educator about the level 3 course.",
        user="U0HELPER",
        channel=HELP,
        channel_type="channel",
        thread_ts="1718000500.000100",
        ts="1718000600.000200",
    )
    slack.api.reset()
    assert slack.event(reply).status == 200
    assert slack.api.last("conversations.open").body["users"] == "U0001"
    passed = slack.api.last("chat.postMessage")
    assert passed.body["channel"] == "D0001" and "practice educator" in passed.body["text"]


def test_send_with_my_name_names_the_member(with_help, answerer):
    slack = with_help
    answer = slack.json(slack.command(question_for(answerer, "fallback")))
    button, block = find_button(answer["blocks"], ids.ACTION_ASK_PERSON)
    slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
    send, block = find_button(slack.api.last("hooks").blocks, ids.ACTION_SEND_TO_PERSON, text="with my name")
    slack.action(click(send, block, where="ephemeral", hooks_base=slack.api.url))
    assert "<@U0001>" in slack.api.last("chat.postMessage").body["text"]


def test_a_reply_in_a_thread_we_did_not_start_is_not_passed_on(with_help):
    stray = dm_event(
        "hello all",
        user="U0HELPER",
        channel=HELP,
        channel_type="channel",
        thread_ts="1718000999.000100",
        ts="1718001000.000200",
    )
    assert with_help.event(stray).status == 200
    assert with_help.api.outbound() == []


def test_a_forged_send_button_posts_nothing(with_help):
    payload = click(
        {
            "action_id": ids.numbered(ids.ACTION_SEND_TO_PERSON, 0),
            "text": {"type": "plain_text", "text": "x"},
            "value": '{"q": "' + "x" * 500 + '"}',
        },
        {"block_id": "ask_person"},
        where="ephemeral",
        hooks_base=with_help.api.url,
    )
    assert with_help.action(payload).status == 200
    assert with_help.api.calls_to("chat.postMessage") == []
    assert wording.BAD_BUTTON in with_help.api.last("hooks").body["text"]
