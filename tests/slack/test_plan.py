"""The career pathway planner in Slack, through the real app on the fixture knowledge base: `/physio-career plan`,
`plan` in a DM or a mention, "Plan my next step" on Home and under answers, keeping and sharing a plan. Clicks are
built from the blocks the app itself sent, so the round trip is real; every message is checked against Slack's
limits by the `slack_api` fixture."""

from __future__ import annotations

import json

from bot import wording
from bot.slack import blocks as render
from bot.slack import ids, plan_blocks
from tests.slack.stand_ins.wire import click, dm_event, find_button, load_json, mention_event

WALES = ("Band 3", "Wales", "Become a physiotherapist", "I need to keep my income", "Yes")


def buttons(blocks: list[dict], action: str) -> list[dict]:
    return [
        e for b in blocks if b.get("type") == "actions" for e in b["elements"] if e["action_id"].split(":")[0] == action
    ]


def posted_message(call) -> dict:
    return {
        "blocks": call.blocks,
        "text": call.body["text"],
        "ts": "1718000101.000300",
        "channel": call.body["channel"],
    }


def walk_ephemeral(slack, blocks: list[dict], labels=WALES) -> list[dict]:
    """Answer each question on an ephemeral message; each answer replaces the question. The plan's blocks."""
    for label in labels:
        button, block = find_button(blocks, ids.ACTION_PLAN_ANSWER, text=label)
        slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
        hook = slack.api.last("hooks")
        assert hook.body["replace_original"] is True
        blocks = hook.body["blocks"]
    return blocks


def test_slash_command_plan_asks_the_first_question_privately(slack, recorder):
    body = slack.json(slack.command("plan"))
    assert body["response_type"] == "ephemeral"
    assert body["blocks"][0]["text"]["text"] == "Plan my next step"
    labels = [b["text"]["text"] for b in buttons(body["blocks"], ids.ACTION_PLAN_ANSWER)]
    assert labels == ["Band 2", "Band 3", "Band 4", "Band 5 support role", "Not sure"]
    assert buttons(body["blocks"], ids.ACTION_PLAN_STOP)
    assert "Question 1 of 5" in json.dumps(body["blocks"]) and body["text"]
    assert slack.api.outbound() == [] and recorder.questions == []  # nothing sent, nothing stored


def test_every_answer_replaces_the_question_and_the_plan_is_counted_once(slack, recorder):
    blocks = walk_ephemeral(slack, slack.json(slack.command("plan"))["blocks"])
    assert blocks[0]["text"]["text"] == "Your plan: become a physiotherapist"
    steps = [b for b in blocks if b.get("block_id", "").startswith("plan_step_") and b["block_id"].endswith("_0")]
    assert 3 <= len(steps) <= 6
    text = json.dumps(blocks)
    assert "NHS Wales Bursary" in text and "*Wales:*" in text and "degree apprenticeship places" not in text
    changes = [b["text"]["text"] for b in buttons(blocks, ids.ACTION_PLAN_ANSWER)]
    assert changes == ["Change band", "Change nation", "Change goal", "Change study", "Change qualifications"]
    assert buttons(blocks, ids.ACTION_PLAN_KEEP) and buttons(blocks, ids.ACTION_PLAN_SHARE)
    assert recorder.questions == [("plan", "", "plan-physiotherapist", None)]  # a count: no text, no member
    assert slack.api.calls_to("chat.postMessage") == []  # nothing posted in the channel


def test_a_change_asks_that_question_again_and_keeps_the_rest(slack, recorder):
    blocks = walk_ephemeral(slack, slack.json(slack.command("plan"))["blocks"])
    blocks = walk_ephemeral(slack, blocks, ("Change goal", "Move up a band in my role"))
    assert blocks[0]["text"]["text"] == "Your plan: move up a band"
    assert "For: Band 3, Wales, Move up a band in my role" in json.dumps(blocks)
    assert [q[2] for q in recorder.questions] == ["plan-physiotherapist", "plan-move-up"]


def test_stop_ends_the_plan_and_stores_nothing(slack, recorder):
    body = slack.json(slack.command("plan"))
    button, block = find_button(body["blocks"], ids.ACTION_PLAN_STOP)
    slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
    hook = slack.api.last("hooks")
    assert hook.body["replace_original"] is True and "stopped" in hook.body["text"].lower()
    assert recorder.questions == []


def test_send_me_a_copy_posts_the_plan_to_the_members_dm(slack, recorder):
    blocks = walk_ephemeral(slack, slack.json(slack.command("plan"))["blocks"])
    button, block = find_button(blocks, ids.ACTION_PLAN_KEEP)
    slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
    copy = slack.api.last("chat.postMessage")
    assert copy.body["channel"] == "U0001"  # the member's DM with the bot
    assert copy.blocks[0]["text"]["text"] == "Your plan: become a physiotherapist"
    assert [b for b in copy.blocks if b["type"] == "actions"] == []  # a copy to keep has no buttons
    hook = slack.api.last("hooks")
    assert hook.body["replace_original"] is False and plan_blocks.KEPT in hook.body["text"]
    assert len(recorder.questions) == 1  # keeping is not counted again


def test_share_posts_in_the_channel_only_when_the_member_chooses(slack):
    blocks = walk_ephemeral(slack, slack.json(slack.command("plan"))["blocks"])
    assert slack.api.calls_to("chat.postMessage") == []
    button, block = find_button(blocks, ids.ACTION_PLAN_SHARE)
    slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
    shared = slack.api.last("chat.postMessage")
    assert shared.body["channel"] == "C0001"
    assert shared.body["text"].startswith("Shared by <@U0001>")
    assert "Shared by <@U0001>" in json.dumps(shared.blocks)
    assert [b for b in shared.blocks if b["type"] == "actions"] == []


def test_share_where_the_bot_cannot_post_says_so(slack):
    blocks = walk_ephemeral(slack, slack.json(slack.command("plan"))["blocks"])
    slack.api.fail("chat.postMessage", error="not_in_channel")
    button, block = find_button(blocks, ids.ACTION_PLAN_SHARE)
    slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
    assert render.NOT_IN_CHANNEL in slack.api.last("hooks").body["text"]


def test_plan_in_a_dm_plays_out_in_the_dm(slack, recorder):
    slack.event(dm_event("plan"))
    question = slack.api.last("chat.postMessage")
    assert question.body["channel"] == "D0001" and question.blocks[0]["text"]["text"] == "Plan my next step"
    message = posted_message(question)
    for label in WALES:
        button, block = find_button(message["blocks"], ids.ACTION_PLAN_ANSWER, text=label)
        slack.action(click(button, block, where="message", message=message, hooks_base=slack.api.url))
        hook = slack.api.last("hooks")
        assert hook.body["replace_original"] is True
        message = {**message, "blocks": hook.body["blocks"], "text": hook.body["text"]}
    assert message["blocks"][0]["text"]["text"] == "Your plan: become a physiotherapist"
    assert buttons(message["blocks"], ids.ACTION_PLAN_KEEP)
    assert buttons(message["blocks"], ids.ACTION_PLAN_SHARE) == []  # a DM is already private
    assert recorder.questions == [("plan", "", "plan-physiotherapist", None)]


def test_plan_in_a_channel_mention_is_shown_only_to_the_member(slack):
    slack.event(mention_event("<@U0002> plan"))
    private = slack.api.last("chat.postEphemeral")
    assert private.body["channel"] == "C0001" and private.body["user"] == "U0001"
    assert private.body["thread_ts"] and "Plan my next step" in private.body["text"]
    assert slack.api.calls_to("chat.postMessage") == []


def test_a_saved_nation_is_filled_in_and_can_be_changed(slack):
    slack.command("nation scotland")
    body = slack.json(slack.command("plan"))
    assert "So far: Scotland" in json.dumps(body["blocks"])
    assert [b["text"]["text"] for b in buttons(body["blocks"], ids.ACTION_PLAN_ANSWER)][-1] == "Change nation"


def test_career_answers_offer_plan_my_next_step(slack):
    answer = slack.json(slack.command("band5"))
    button, block = find_button(answer["blocks"], ids.ACTION_PLAN_START)
    assert block["block_id"] == ids.BLOCK_FEEDBACK and button["text"]["text"] == "Plan my next step"
    assert buttons(slack.json(slack.command("hello"))["blocks"], ids.ACTION_PLAN_START) == []  # small talk
    assert buttons(slack.json(slack.command("zzqx vlorp"))["blocks"], ids.ACTION_PLAN_START) == []  # no answer
    slack.action(click(button, block, where="ephemeral", hooks_base=slack.api.url))
    hook = slack.api.last("hooks")
    assert hook.body["replace_original"] is False and hook.body["response_type"] == "ephemeral"
    assert hook.body["blocks"][0]["text"]["text"] == "Plan my next step"


def test_the_plan_button_under_a_dm_answer_starts_in_the_dm(slack):
    slack.event(dm_event("band5"))
    answer = slack.api.last("chat.postMessage")
    button, block = find_button(answer.blocks, ids.ACTION_PLAN_START)
    slack.action(click(button, block, where="message", message=posted_message(answer), hooks_base=slack.api.url))
    question = slack.api.last("chat.postMessage")
    assert question.body["channel"] == "D0001" and question.blocks[0]["text"]["text"] == "Plan my next step"


def test_the_plan_button_under_a_channel_answer_starts_privately_in_its_thread(slack):
    slack.event(mention_event("<@U0002> band5"))
    answer = slack.api.last("chat.postMessage")
    button, block = find_button(answer.blocks, ids.ACTION_PLAN_START)
    message = {**posted_message(answer), "thread_ts": "1718000000.000100"}
    slack.action(click(button, block, where="message", message=message, hooks_base=slack.api.url))
    private = slack.api.last("chat.postEphemeral")
    assert private.body["channel"] == "C0001" and private.body["thread_ts"] == "1718000000.000100"
    assert len(slack.api.calls_to("chat.postMessage")) == 1  # nothing new in the channel


def test_home_offers_the_planner_and_plays_it_out_on_home(slack, recorder):
    slack.event(load_json("app_home_opened.json"))
    view = slack.api.last("views.publish").view
    button, block = find_button(view["blocks"], ids.ACTION_PLAN_START)
    assert button["text"]["text"] == "Plan my next step" and button.get("style") == "primary"
    slack.action(click(button, block, where="home", view=view, hooks_base=slack.api.url))
    view = slack.api.last("views.publish").view
    assert "What band are you on now?" in json.dumps(view)
    for label in WALES:
        button, block = find_button(view["blocks"], ids.ACTION_PLAN_ANSWER, text=label)
        slack.action(click(button, block, where="home", view=view, hooks_base=slack.api.url))
        view = slack.api.last("views.publish").view
    assert "Your plan: become a physiotherapist" in json.dumps(view)
    assert buttons(view["blocks"], ids.ACTION_PLAN_SHARE) == []  # Home has no channel to share in
    assert recorder.questions == [("plan", "", "plan-physiotherapist", None)]
    button, block = find_button(view["blocks"], ids.ACTION_PLAN_KEEP)
    slack.action(click(button, block, where="home", view=view, hooks_base=slack.api.url))
    assert slack.api.last("chat.postMessage").body["channel"] == "U0001"
    assert plan_blocks.KEPT in json.dumps(slack.api.last("views.publish").view)
    assert slack.api.calls_to("hooks") == []


def test_forged_plan_buttons_get_a_polite_reply_and_nothing_is_stored(slack, recorder):
    body = slack.json(slack.command("plan"))
    button, block = find_button(body["blocks"], ids.ACTION_PLAN_ANSWER)
    for forged in ('{"b":"9"}', '{"b":"3","x":"1"}', "not json", '{"n":"france"}'):
        slack.action(click({**button, "value": forged}, block, where="ephemeral", hooks_base=slack.api.url))
        assert slack.api.last("hooks").body["text"] == wording.BAD_BUTTON
    keep = {"type": "button", "action_id": ids.ACTION_PLAN_KEEP, "text": {"type": "plain_text", "text": "Keep"}}
    slack.action(click({**keep, "value": '{"b":"3"}'}, block, where="ephemeral", hooks_base=slack.api.url))
    assert slack.api.last("hooks").body["text"] == wording.BAD_BUTTON  # an unfinished plan cannot be kept
    assert recorder.questions == [] and slack.api.calls_to("chat.postMessage") == []


def test_other_commands_are_not_taken_by_the_planner(slack):
    body = slack.json(slack.command("how do I plan for band 5"))
    assert body["blocks"][0]["text"]["text"] != "Plan my next step"
