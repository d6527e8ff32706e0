"""Direct messages, @mentions, App Home and the events that must get a 200 and no reply."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.slack import ids
from tests.slack.conftest import Traffic
from tests.slack.stand_ins.wire import dm_event, load_json, load_raw, mention_event


def test_dm_is_answered_in_the_dm(slack, recorder, answerer):
    response = slack.event(load_json("message_im.json"))
    assert response.status == 200
    [posted] = slack.api.calls_to("chat.postMessage")
    assert posted.body["channel"] == "D0001"
    assert posted.body.get("thread_ts") is None
    assert posted.body["text"] and posted.blocks
    assert posted.body["unfurl_links"] is False  # no link preview burying the answer
    question = "how do I get from band 5 to band 6?"
    assert recorder.questions == [("dm", question, answerer.reply(question).entry_id, "U0001")]
    assert posted.blocks[0]["text"]["text"] == answerer.reply(question).title


def test_dm_shortcut_gets_the_entry(slack, recorder, kb):
    slack.event(dm_event("band5"))
    posted = slack.api.last("chat.postMessage")
    assert posted.blocks[0]["text"]["text"] == kb.by_id["band-5-support-roles"].question
    assert recorder.questions[0][:3] == ("dm", "band5", "band-5-support-roles")


def test_dm_asked_in_a_thread_is_answered_in_that_thread(slack):
    slack.event(dm_event("band5", thread_ts="1718000000.000001"))
    assert slack.api.last("chat.postMessage").body["thread_ts"] == "1718000000.000001"


def test_mention_is_answered_in_a_thread_under_the_message(slack, recorder):
    response = slack.event(load_json("app_mention.json"))
    assert response.status == 200
    [posted] = slack.api.calls_to("chat.postMessage")
    assert posted.body["channel"] == "C0001"
    assert posted.body["thread_ts"] == "1718000000.000100"
    # the bot's own mention is stripped before matching
    assert [(q[0], q[1], q[3]) for q in recorder.questions] == [("mention", "what does a band 5 physio do?", "U0001")]


def test_mention_inside_a_thread_is_answered_in_that_thread(slack, recorder):
    slack.event(load_json("app_mention_in_thread.json"))
    posted = slack.api.last("chat.postMessage")
    assert posted.body["thread_ts"] == "1718000000.000100"
    assert recorder.questions[0][:3] == ("mention", "band5", "band-5-support-roles")


def test_a_bare_mention_gets_help(slack):
    slack.event(mention_event("<@U0002|physio-career>"))
    assert slack.api.last("chat.postMessage").blocks[0]["text"]["text"] == "How to ask physio-career"


def test_a_mention_in_our_own_dm_is_answered_once_as_a_dm(slack, kb):
    slack.event(mention_event("<@U0002> band5", channel="D0001"))
    slack.event(dm_event("<@U0002> band5"))
    [posted] = slack.api.calls_to("chat.postMessage")
    assert posted.body["channel"] == "D0001"
    assert posted.blocks[0]["text"]["text"] == kb.by_id["band-5-support-roles"].question


@pytest.mark.parametrize(
    "payload",
    [
        "message_im_bot_echo.json",  # our own bot (Bolt drops it)
        "message_im_other_bot.json",  # another app's bot, modern shape: bot_id, no subtype
        "message_bot_classic.json",  # subtype bot_message
        "message_changed.json",  # an edit
        "message_deleted.json",  # a deletion
    ],
)
def test_bots_edits_and_deletions_get_200_and_no_reply(slack, recorder, payload):
    response = slack.event(load_json(payload))
    assert response.status == 200
    assert slack.api.outbound() == []
    assert recorder.questions == []


def test_a_bot_mentioning_us_gets_no_reply(slack):
    response = slack.event(mention_event("<@U0002> band5", bot_id="B0999", user="U0999"))
    assert response.status == 200
    assert slack.api.outbound() == []


def test_other_message_subtypes_get_200_and_no_reply(slack):
    for subtype in ("channel_join", "message_replied", "channel_topic", "bot_message"):
        assert slack.event(dm_event("band5", subtype=subtype)).status == 200
    assert slack.api.outbound() == []


@pytest.mark.parametrize("subtype", ["file_share", "thread_broadcast", "me_message"])
def test_a_person_s_question_with_a_file_broadcast_or_me_is_answered(slack, recorder, subtype):
    assert slack.event(dm_event("band5", subtype=subtype)).status == 200
    [posted] = slack.api.calls_to("chat.postMessage")
    assert posted.body["channel"] == "D0001"
    assert recorder.questions[0][:3] == ("dm", "band5", "band-5-support-roles")


def test_slackbot_is_never_answered(slack, recorder):
    """A DM from Slackbot ("You have been removed from #...") gets no reply and no row in the log."""
    response = slack.event(dm_event("You have been removed from #physio-careers", user="USLACKBOT"))
    assert response.status == 200
    assert slack.api.outbound() == [] and recorder.questions == []


def test_a_file_with_no_words_gets_no_reply(slack, recorder):
    assert slack.event(dm_event("", subtype="file_share")).status == 200
    assert slack.api.outbound() == [] and recorder.questions == []


def test_url_verification_and_ssl_check(slack):
    response = slack.event(load_json("url_verification.json"))
    assert response.status == 200
    assert json.loads(response.body) == {"challenge": load_json("url_verification.json")["challenge"]}
    from tests.slack.stand_ins.wire import Wire

    assert (
        slack.send(Wire("token=FAKEVERIFICATIONTOKEN0001&ssl_check=1", "application/x-www-form-urlencoded")).status
        == 200
    )


def test_app_home_opened_publishes_home(slack, answerer):
    response = slack.event(load_json("app_home_opened.json"))
    assert response.status == 200
    published = slack.api.last("views.publish")
    assert published.body["user_id"] == "U0001"
    view = published.view
    assert view["type"] == "home"
    text = json.dumps(view)
    assert "How to ask" in text and "/physio-career band5" in text and "direct message" in text
    topics = [b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_TOPICS][0]["elements"]
    assert [t["text"]["text"] for t in topics] == [t.title for t in answerer.topics()]


def test_opening_the_messages_tab_publishes_nothing(slack):
    envelope = load_json("app_home_opened.json")
    envelope["event"]["tab"] = "messages"
    assert slack.event(envelope).status == 200
    assert slack.api.outbound() == []


NOTICE = "The CSP office is closed from 24 December"


@pytest.mark.parametrize(
    ("today", "shown"),
    [
        (dt.date(2026, 11, 30), False),
        (dt.date(2026, 12, 1), True),  # the fixture's notice shows 23 days before 24 December
        (dt.date(2026, 12, 31), True),
        (dt.date(2027, 1, 2), True),
        (dt.date(2027, 1, 3), False),
        (dt.date(2027, 6, 1), False),
    ],
)
def test_notices_appear_on_answers_and_home_only_while_in_force(make_app, slack_api, today, shown):
    slack = Traffic(make_app(today=lambda: today), slack_api)
    slack.event(dm_event("band5"))
    slack.event(load_json("app_home_opened.json"))
    answer = slack.api.last("chat.postMessage")
    home = slack.api.last("views.publish")
    assert (NOTICE in json.dumps(answer.blocks)) is shown
    assert (NOTICE in answer.body["text"]) is shown
    assert (NOTICE in json.dumps(home.view)) is shown
    # and on the command's ephemeral answer
    assert (NOTICE in slack.command("band5").body) is shown


def test_payload_files_are_signed_as_sent(slack):
    """The raw file, byte for byte, is what gets signed and verified."""
    from tests.slack.stand_ins.wire import Wire

    assert slack.send(Wire(load_raw("message_im.json"), "application/json")).status == 200
    assert len(slack.api.calls_to("chat.postMessage")) == 1
