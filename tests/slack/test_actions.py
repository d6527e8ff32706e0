"""Buttons: each click answers where it was clicked, and choices and feedback reach the recorder with the
question they follow. Clicks are built from the blocks the app itself sent, so the round trip is real."""

from __future__ import annotations

import json

import pytest

from bot import wording
from bot.slack import blocks as render
from bot.slack import ids
from tests.slack.conftest import question_for
from tests.slack.stand_ins.wire import button_data, click, dm_event, find_button, load_json, mention_event


def posted_message(call) -> dict:
    return {
        "blocks": call.blocks,
        "text": call.body["text"],
        "ts": "1718000101.000300",
        "channel": call.body["channel"],
    }


def test_related_question_in_a_dm_is_answered_in_the_dm(slack, recorder, kb):
    payload = load_json("block_actions.json")  # a related-question button under a DM answer
    payload["actions"][0]["value"] = json.dumps({"e": "band-4", "r": "q0"})
    response = slack.action(payload)
    assert response.status == 200
    posted = slack.api.last("chat.postMessage")
    assert posted.body["channel"] == "D0001" and posted.body.get("thread_ts") is None
    assert posted.blocks[0]["text"]["text"] == kb.by_id["band-4"].question
    assert recorder.questions[-1][:3] == ("button", posted.blocks[0]["text"]["text"], "band-4")
    assert recorder.choices == []  # a related question is not a correction of the match
    assert slack.api.calls_to("hooks") == []


def test_related_question_in_a_channel_thread_stays_in_the_thread(slack):
    slack.event(mention_event("<@U0002> band5"))
    answer = slack.api.last("chat.postMessage")
    button, block = find_button(answer.blocks, ids.ACTION_ASK)
    message = {**posted_message(answer), "thread_ts": "1718000000.000100"}
    slack.action(click(button, block, where="message", message=message, hooks_base=slack.api.url))
    follow_up = slack.api.last("chat.postMessage")
    assert follow_up.body["channel"] == "C0001" and follow_up.body["thread_ts"] == "1718000000.000100"
    assert follow_up.blocks[0]["text"]["text"] == button["text"]["text"]


def test_a_click_on_a_top_level_channel_message_answers_in_a_thread(slack):
    slack.event(mention_event("<@U0002> band5"))
    answer = slack.api.last("chat.postMessage")
    button, block = find_button(answer.blocks, ids.ACTION_ASK)
    message = posted_message(answer)  # e.g. an answer shared in the channel: not in a thread
    slack.action(click(button, block, where="message", message=message, hooks_base=slack.api.url))
    assert slack.api.last("chat.postMessage").body["thread_ts"] == message["ts"]


def test_clarify_choice_on_an_ephemeral_answer_stays_ephemeral_and_is_recorded(slack, recorder, answerer):
    asked = slack.json(slack.command(question_for(answerer, "clarify")))
    assert asked["blocks"][0]["text"]["text"] == "Did you mean..."
    button, block = find_button(asked["blocks"], ids.ACTION_CHOOSE)
    chosen = button_data(button["value"])["e"]
    response = slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
    assert response.status == 200
    hook = slack.api.last("hooks")
    assert hook.path == "/hooks/actions/T0001/1000000004/FAKEfakeFAKEfake0004"
    assert hook.body["response_type"] == "ephemeral" and hook.body["replace_original"] is False
    assert hook.body["blocks"][0]["text"]["text"] == button["text"]["text"]
    assert find_button(hook.body["blocks"], ids.ACTION_SHARE)  # still ephemeral, so still shareable
    assert recorder.choices == [("q1", chosen, "U0001")]
    assert recorder.questions[-1][0] == "button"
    assert slack.api.calls_to("chat.postMessage") == []


def test_none_of_these_falls_back_and_is_recorded(slack, recorder, answerer):
    slack.event(dm_event(question_for(answerer, "clarify")))
    clarify = slack.api.last("chat.postMessage")
    button, block = find_button(clarify.blocks, ids.ACTION_NONE)
    slack.action(click(button, block, where="message", message=posted_message(clarify), hooks_base=slack.api.url))
    fallback = slack.api.last("chat.postMessage")
    assert fallback.body["channel"] == "D0001"
    assert fallback.blocks[0]["text"]["text"] == "I don't know that one"
    assert recorder.choices == [("q1", ids.NONE_CHOICE, "U0001")]
    # its topic buttons still point at the question the member asked
    topic, _ = find_button(fallback.blocks, ids.ACTION_TOPIC)
    assert button_data(topic["value"])["r"] == "q1"


def test_topic_then_question_from_help(slack, recorder, answerer):
    helped = slack.json(slack.command("help"))
    topic_button, block = find_button(helped["blocks"], ids.ACTION_TOPIC, text="Roles, bands and pay")
    slack.action(click(topic_button, block, where="ephemeral", hooks_base=slack.api.url))
    listing = slack.api.last("hooks").body
    assert listing["response_type"] == "ephemeral"
    assert listing["blocks"][0]["text"]["text"] == "Roles, bands and pay"
    question, qblock = find_button(listing["blocks"], ids.ACTION_CHOOSE, text="band 4")
    slack.action(click(question, qblock, where="ephemeral", hooks_base=slack.api.url))
    answer = slack.api.last("hooks").body
    assert answer["blocks"][0]["text"]["text"] == question["text"]["text"]
    assert recorder.choices == [("q1", "band-4", "U0001")]


def test_feedback_in_a_dm_is_recorded_and_thanked_privately(slack, recorder):
    slack.event(dm_event("band5"))
    answer = slack.api.last("chat.postMessage")
    up, block = find_button(answer.blocks, ids.ACTION_FEEDBACK_UP)
    response = slack.action(click(up, block, where="message", message=posted_message(answer), hooks_base=slack.api.url))
    assert response.status == 200
    assert recorder.feedback == [("q1", "band-5-support-roles", True, "U0001")]
    thanks = slack.api.last("chat.postEphemeral")
    assert thanks.body["channel"] == "D0001" and thanks.body["user"] == "U0001"
    assert thanks.body["text"] == render.THANKS_UP
    assert len(slack.api.calls_to("chat.postMessage")) == 1  # no new public message


def test_thumbs_down_on_an_ephemeral_answer(slack, recorder):
    answer = slack.json(slack.command("toolkit"))
    down, block = find_button(answer["blocks"], ids.ACTION_FEEDBACK_DOWN)
    slack.action(click(down, block, where="ephemeral", user="U0042", hooks_base=slack.api.url))
    assert recorder.feedback == [("q1", "job-description-toolkit", False, "U0042")]
    hook = slack.api.last("hooks")
    assert hook.body["text"] == render.THANKS_DOWN and hook.body["response_type"] == "ephemeral"


def test_link_button_clicks_are_acknowledged_quietly(slack):
    answer = slack.json(slack.command("toolkit"))
    link, block = find_button(answer["blocks"], ids.ACTION_LINK)
    assert link["style"] == "primary"
    response = slack.action(click(link, block, where="ephemeral", hooks_base=slack.api.url))
    assert response.status == 200
    assert slack.api.outbound() == []


def test_home_topic_question_and_feedback_stay_on_home(slack, recorder):
    response = slack.action(load_json("block_actions_home.json"))  # "Roles, bands and pay" on Home
    assert response.status == 200
    home = slack.api.last("views.publish")
    assert home.body["user_id"] == "U0001"
    question, block = find_button(home.view["blocks"], ids.ACTION_CHOOSE, text="band 3")
    slack.action(click(question, block, where="home", view=home.view, hooks_base=slack.api.url))
    home = slack.api.last("views.publish")
    text = json.dumps(home.view)
    assert "What does a band 3 physio support worker do?" in text
    assert recorder.questions[-1][:3] == ("button", "What does a band 3 physio support worker do?", "band-3")
    assert recorder.choices == []  # a topic listing on Home follows no question
    up, block = find_button(home.view["blocks"], ids.ACTION_FEEDBACK_UP)
    slack.action(click(up, block, where="home", view=home.view, hooks_base=slack.api.url))
    assert recorder.feedback == [("q1", "band-3", True, "U0001")]
    thanked = json.dumps(slack.api.last("views.publish").view)
    assert render.THANKS_UP in thanked and ids.ACTION_FEEDBACK_UP not in thanked
    assert slack.api.calls_to("chat.postMessage") == [] and slack.api.calls_to("hooks") == []


@pytest.mark.parametrize(
    "value",
    [
        json.dumps({"e": "no-such-entry"}),  # an entry that is not in the knowledge base (stale or forged)
        "band6-interview",  # not even ours
        json.dumps({"e": "band-4", "r": "x" * 500}),  # a reference longer than any we write
        json.dumps({"e": "band-4", "evil": "1"}),  # a field we never write
        json.dumps({"t": "No such topic"}),
        json.dumps({"e": "band-4", "n": "narnia"}),
        "x" * 5000,
    ],
)
def test_a_stale_or_tampered_button_gets_a_polite_answer_and_nothing_is_stored(slack, recorder, value):
    payload = load_json("block_actions.json")
    payload["actions"][0]["value"] = value
    assert slack.action(payload).status == 200
    assert wording.BAD_BUTTON in slack.api.last("chat.postMessage").body["text"]
    assert recorder.questions == [] and recorder.choices == [] and recorder.feedback == []


def test_a_button_this_version_does_not_know_is_acknowledged(slack, caplog):
    payload = load_json("block_actions.json")
    payload["actions"][0]["action_id"] = "rate_answer_v0"
    response = slack.action(payload)
    assert response.status == 200
    assert slack.api.outbound() == []
    assert "Unhandled request" not in caplog.text  # Bolt would log the whole payload
