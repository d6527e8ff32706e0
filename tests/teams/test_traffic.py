"""End to end: Teams-shaped activities POSTed to the real server's /api/messages, replies read back from the
stand-in connector (their conversation, the activity they reply to, the card). Anonymous mode, with the host
check off, so the replies can go to loopback; test_security covers both the other way round."""

from __future__ import annotations

import json
import logging

from bot import wording
from bot.conversation import NONE_OF_THESE, pack
from bot.teams import cards, ids
from tests.teams import fakes
from tests.teams.conftest import INSIDE_NOTICES, OUTSIDE_NOTICES
from tests.teams.test_cards import by_verb, texts, valid, value_of


def only_reply(connector):
    replies = connector.replies()
    assert len(replies) == 1, [r.path for r in replies]
    return replies[0]


def data(verb: str, **packed) -> dict:
    return {ids.VERB_KEY: verb, ids.VALUE_KEY: pack(**packed)}


def test_a_personal_message_is_answered_in_the_chat_with_one_card(teams, connector, recorder, answerer):
    activity = fakes.personal(connector.service_url, "band5")
    response = teams.post(activity)
    assert response.status == 202
    reply = only_reply(connector)
    assert reply.conversation == fakes.PERSONAL and reply.reply_to == activity["id"]
    assert reply.body.get("replyToId") == activity["id"]
    assert "text" not in reply.body  # the card alone: text would show as a second message
    expected = answerer.reply("band5", today=OUTSIDE_NOTICES)
    card = reply.card
    assert card["body"][0]["text"] == expected.title and valid(card) == []
    assert reply.body["summary"] == expected.title
    assert recorder.questions == [("teams", "band5", expected.entry_id, fakes.MEMBER_AAD)]
    # the buttons carry the reference of the recorded question
    assert {value_of(a, teams.services.kb).ref for a in by_verb(card, ids.VERB_ASK)} == {"q1"}


def test_a_channel_message_mentioning_the_bot_is_answered_in_its_thread(teams, connector, recorder, answerer):
    activity = fakes.channel(connector.service_url, "how do I become a physio?")
    assert teams.post(activity).status == 202
    reply = only_reply(connector)
    assert reply.conversation == f"{fakes.CHANNEL_ROOT};messageid={activity['id']}"
    assert reply.reply_to == activity["id"]
    assert recorder.questions[0][1] == "how do I become a physio?"  # the <at> mention was removed first
    assert reply.card["body"][0]["text"] == answerer.reply("how do I become a physio?").title


def test_a_reply_in_a_thread_stays_in_that_thread(teams, connector):
    activity = fakes.channel(connector.service_url, "band4", root="1690000000000")
    teams.post(activity)
    assert only_reply(connector).conversation == f"{fakes.CHANNEL_ROOT};messageid=1690000000000"


def test_a_channel_or_group_message_without_the_mention_gets_no_reply(teams, connector, recorder):
    assert teams.post(fakes.channel(connector.service_url, "band5", mention=False)).status == 202
    assert teams.post(fakes.group(connector.service_url, "band5", mention=False)).status == 202
    assert connector.replies() == [] and recorder.questions == []


def test_a_group_chat_mention_is_answered_in_the_chat(teams, connector):
    teams.post(fakes.group(connector.service_url, "band3"))
    assert only_reply(connector).conversation == fakes.GROUP


def test_a_resent_activity_is_answered_once(teams, connector, recorder):
    """Teams sends the activity again after about 15 s without an answer: same id, one reply."""
    activity = fakes.personal(connector.service_url, "band5")
    assert teams.post(activity).status == 202
    assert teams.post(activity).status == 202
    assert len(connector.replies()) == 1 and len(recorder.questions) == 1
    assert recorder.claimed[0].startswith("teams:" + activity["id"] + ":")
    # the same message id in another conversation is another message
    other = fakes.channel(connector.service_url, "band5", id=activity["id"])
    teams.post(other)
    assert len(connector.replies()) == 2


def test_help_and_an_empty_message_show_the_welcome_card(teams, connector):
    for text in ("help", "", "   "):
        connector.clear()
        teams.post(fakes.personal(connector.service_url, text))
        card = only_reply(connector).card
        assert card["body"][0]["text"] == cards.WELCOME_TITLE and cards.ABOUT in texts(card)
    connector.clear()
    teams.post(fakes.channel(connector.service_url, ""))  # a bare @mention in a channel
    assert only_reply(connector).card["body"][0]["text"] == cards.WELCOME_TITLE


def test_adding_the_bot_sends_one_welcome_card_with_topics_and_notices(make_teams, connector, answerer):
    teams = make_teams(today=INSIDE_NOTICES)
    added = fakes.bot_added(connector.service_url)
    assert teams.post(added).status == 202
    assert teams.post(added).status == 202  # resent: still one welcome
    reply = only_reply(connector)
    assert reply.conversation == fakes.PERSONAL
    shown = texts(reply.card)
    assert cards.ABOUT in shown and "How to ask" in shown and "⚠️" in shown
    assert all(t.title in shown for t in answerer.topics())
    connector.clear()
    teams.post(fakes.bot_added(connector.service_url, team=True))
    assert only_reply(connector).conversation == fakes.CHANNEL_ROOT
    connector.clear()
    teams.post(fakes.bot_added(connector.service_url, others=True))  # someone else joined: nothing to say
    assert connector.replies() == []


def test_a_related_question_click_opens_that_answer(teams, connector, recorder, answerer, kb):
    related = answerer.reply("band5").related[0]
    click = fakes.submit(connector.service_url, data(ids.VERB_ASK, entry=related.entry_id, ref="q1"))
    assert teams.post(click).status == 202
    reply = only_reply(connector)
    assert reply.reply_to == click["id"] and reply.conversation == fakes.PERSONAL
    assert reply.card["body"][0]["text"] == kb.get(related.entry_id).question
    assert recorder.questions == [("teams", kb.get(related.entry_id).question, related.entry_id, fakes.MEMBER_AAD)]


def test_a_click_in_a_channel_is_answered_in_the_thread_without_a_mention(teams, connector):
    thread = {"id": f"{fakes.CHANNEL_ROOT};messageid=1690000000000", "conversationType": "channel"}
    teams.post(fakes.submit(connector.service_url, data(ids.VERB_ASK, entry="band-3"), conversation=thread))
    assert only_reply(connector).conversation == thread["id"]


def test_did_you_mean_choices_and_none_of_these_are_recorded(teams, connector, recorder, kb):
    teams.post(fakes.submit(connector.service_url, data(ids.VERB_CHOOSE, entry="band-4", ref="q5")))
    assert only_reply(connector).card["body"][0]["text"] == kb.get("band-4").question
    assert recorder.choices == [("q5", "band-4", fakes.MEMBER_AAD)]
    connector.clear()
    teams.post(fakes.submit(connector.service_url, data(ids.VERB_NONE, ref="q5")))
    card = only_reply(connector).card
    assert recorder.choices[-1] == ("q5", NONE_OF_THESE, fakes.MEMBER_AAD)
    assert by_verb(card, ids.VERB_TOPIC) or "Topics I know:" in texts(card)


def test_a_topic_click_lists_its_questions(teams, connector, answerer, kb):
    topic = answerer.topics()[-1]
    teams.post(fakes.submit(connector.service_url, data(ids.VERB_TOPIC, topic=topic.title, ref="q2")))
    card = only_reply(connector).card
    assert card["body"][0]["text"] == topic.title
    assert [value_of(a, kb).entry for a in by_verb(card, ids.VERB_CHOOSE)] == [s.entry_id for s in topic.suggestions]


def test_answer_for_another_nation(teams, connector, answerer, kb):
    entry = next(e for e in kb.entries if e.by_nation)
    teams.post(fakes.submit(connector.service_url, data(ids.VERB_NATION, entry=entry.id, nation="wales")))
    expected = answerer.entry_reply(entry, today=OUTSIDE_NOTICES, nation="wales")
    assert expected.nation == "wales"
    assert "**Wales**" in texts(only_reply(connector).card)


def test_a_click_with_data_we_did_not_write_gets_a_polite_reply_and_nothing_is_stored(teams, connector, recorder):
    forged = [
        {ids.VERB_KEY: ids.VERB_ASK, ids.VALUE_KEY: '{"e":"no-such-entry"}'},
        {ids.VERB_KEY: ids.VERB_ASK, ids.VALUE_KEY: '{"e":"band-3","x":"1"}'},
        {ids.VERB_KEY: "delete_everything", ids.VALUE_KEY: pack(entry="band-3")},
        {"e": "band-3"},
        "just a string",
    ]
    for value in forged:
        connector.clear()
        assert teams.post(fakes.submit(connector.service_url, value)).status == 202
        assert wording.BAD_BUTTON in texts(only_reply(connector).card)
    assert recorder.questions == recorder.choices == recorder.feedback == []


def test_feedback_refreshes_the_card_with_a_thank_you_and_is_stored_once(teams, connector, recorder, kb):
    click = fakes.execute(
        connector.service_url, ids.VERB_HELPFUL, {ids.VALUE_KEY: pack(entry="band-5-support-roles", ref="q1")}
    )
    response = teams.post(click)
    assert response.status == 200
    body = response.json()
    assert body["statusCode"] == 200 and body["type"] == ids.CARD_CONTENT_TYPE
    refreshed = body["value"]
    assert refreshed["body"][0]["text"] == kb.get("band-5-support-roles").question
    assert wording.THANKS_UP in texts(refreshed) and not by_verb(refreshed, ids.VERB_HELPFUL)
    assert valid(refreshed) == []
    assert connector.posted == []  # the refreshed card is the HTTP answer, not a new message
    assert recorder.feedback == [("q1", "band-5-support-roles", True, fakes.MEMBER_AAD)]
    again = teams.post(click)  # resent: the same answer, and the 👍 is not counted twice
    assert again.status == 200 and again.json()["value"]["body"][0] == refreshed["body"][0]
    assert len(recorder.feedback) == 1
    down = fakes.execute(connector.service_url, ids.VERB_NOT_HELPFUL, {ids.VALUE_KEY: pack(entry="band-3")})
    assert wording.THANKS_DOWN in texts(teams.post(down).json()["value"])
    assert recorder.feedback[-1] == (None, "band-3", False, fakes.MEMBER_AAD)


def test_every_card_action_invoke_gets_an_answer(teams, connector, recorder, kb):
    """Teams shows an error on the card when an invoke is not answered: forged ones get a polite message."""
    for verb, value in (
        (ids.VERB_HELPFUL, {ids.VALUE_KEY: '{"e":"no-such-entry"}'}),
        ("no_such_verb", {ids.VALUE_KEY: pack(entry="band-3")}),
        (None, {}),
        (ids.VERB_HELPFUL, "not an object"),
    ):
        response = teams.post(fakes.execute(connector.service_url, verb, value))
        assert response.status == 200, (verb, value, response.text)
        assert response.json() == cards.invoke_message(wording.BAD_BUTTON)
    malformed = fakes.execute(connector.service_url, ids.VERB_HELPFUL, {})
    malformed["value"] = {"action": "not an object"}
    assert teams.post(malformed).json() == cards.invoke_message(wording.BAD_BUTTON)
    # a navigation verb through Action.Execute: the answer as a new card, and a short message on the clicked one
    navigate = fakes.execute(connector.service_url, ids.VERB_ASK, {ids.VALUE_KEY: pack(entry="band-3")})
    assert teams.post(navigate).json() == cards.invoke_message(cards.ANSWERED_BELOW)
    assert only_reply(connector).card["body"][0]["text"] == kb.get("band-3").question
    assert recorder.feedback == []


def test_the_report_is_for_admins_in_a_personal_chat_only(make_teams, connector, kb):
    recorder = fakes.RecordingRecorder(report="Unanswered (1)\n  1 x how do I **escape** this")
    teams = make_teams(recorder=recorder)
    teams.post(fakes.personal(connector.service_url, "report", aad=fakes.ADMIN_AAD))
    card = only_reply(connector).card
    assert card["body"][0]["text"] == cards.REPORT_TITLE and "how do I **escape** this" in texts(card)
    for refused in (
        fakes.personal(connector.service_url, "report"),  # not an admin
        fakes.personal(connector.service_url, "REPORT", aad=None),  # no Entra id at all
    ):
        connector.clear()
        teams.post(refused)
        assert texts(only_reply(connector).card) == wording.REPORT_REFUSED
    connector.clear()
    teams.post(fakes.channel(connector.service_url, "report", aad=fakes.ADMIN_AAD))  # everyone would see it
    assert texts(only_reply(connector).card) == cards.REPORT_PERSONAL_ONLY
    assert recorder.questions == []


def test_a_failure_is_apologised_for_without_the_error_text(teams, connector, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(teams.services.assistant.answerer.matcher, "match", broken)  # the brain fails on a question
    assert teams.post(fakes.personal(connector.service_url, "band5")).status == 202
    card = only_reply(connector).card
    assert texts(card) == wording.APOLOGY and "secret internals" not in json.dumps(card)


def test_a_rejected_token_shows_in_healthz_until_a_reply_goes_through(teams, connector):
    connector.fail(401)
    assert teams.post(fakes.personal(connector.service_url, "band5")).status == 202
    health = teams.get("/healthz")
    assert health.status == 503 and health.json()["channels"] == {"teams": "connector_rejected_token"}
    teams.post(fakes.personal(connector.service_url, "band4"))
    assert teams.get("/healthz").json()["channels"] == {"teams": "ok"}


def test_activities_the_sdk_cannot_read_get_400_and_unknown_ones_202(teams, connector):
    broken = fakes.bot_added(connector.service_url)
    broken["membersAdded"] = None  # the SDK's strict model refuses an explicit null list
    assert teams.post(broken).status == 400
    assert (
        teams.request("POST", "/api/messages", data=b"{not json", headers={"Content-Type": "application/json"}).status
        == 400
    )
    assert teams.post({"type": "message"}).status == 400  # no conversation
    for kind in ("installationUpdate", "messageReaction", "typing"):
        activity = fakes.personal(connector.service_url, "")
        activity["type"] = kind
        assert teams.post(activity).status == 202
    assert connector.replies() == []


def test_only_post_and_only_a_sensible_size(teams, connector):
    assert teams.get("/api/messages").status == 405
    big = fakes.personal(connector.service_url, "x" * 300_000)
    assert teams.post(big).status == 413
    assert connector.replies() == []


def test_a_refused_activity_leaves_no_member_words_in_the_log(teams, connector, caplog):
    caplog.set_level(logging.INFO)
    broken = fakes.personal(connector.service_url, "my NHS number is 943 476 5919")
    broken["membersAdded"] = None
    assert teams.post(broken).status == 400
    assert "943 476 5919" not in caplog.text and "refused a Teams request" in caplog.text
