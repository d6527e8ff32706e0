"""'Ask a person' in Teams, the whole round trip through the real server and the stand-in connector: the
button only with TEAMS_ESCALATION_CHANNEL set, nothing posted before the member's click, a new thread in the help
channel (without the member's name unless they choose), and a helper's reply in that thread passed back to the
member's chat."""

from __future__ import annotations

import json

import pytest

from bot import wording
from bot.conversation import pack
from bot.teams import cards, ids
from tests.teams import fakes
from tests.teams.conftest import ANONYMOUS
from tests.teams.test_cards import by_verb, texts, valid, value_of, walk
from tests.teams.test_traffic import only_reply

HELP = fakes.CHANNEL_ROOT  # the team's help channel
UNKNOWN = "can you explain the rules of cricket to me"
HELPER = {"id": "29:1helper-teams-id", "name": "Hannah Helper", "aadObjectId": "0e1p0000-0000-0000-0000-0000000000e1"}


@pytest.fixture
def with_help(make_teams):
    return make_teams({**ANONYMOUS, "TEAMS_ESCALATION_CHANNEL": HELP})


def click(action: dict) -> dict:
    assert action["type"] == "Action.Submit"
    return action["data"]


def ask_unknown(traffic, connector) -> dict:
    traffic.post(fakes.personal(connector.service_url, UNKNOWN))
    card = only_reply(connector).card
    connector.clear()
    return card


def send(traffic, connector, kb, *, named: bool) -> fakes.Posted:
    """Ask something the bot cannot answer, press 'Ask a person', then a send button: the new help thread."""
    asked = by_verb(ask_unknown(traffic, connector), ids.VERB_ASK_PERSON)
    assert len(asked) == 1 and value_of(asked[0], kb).question == UNKNOWN
    traffic.post(fakes.submit(connector.service_url, click(asked[0])))
    confirm = only_reply(connector).card
    assert valid(confirm) == [] and UNKNOWN in texts(confirm)
    assert connector.created() == []  # nothing is posted before the member chooses
    connector.clear()
    choices = by_verb(confirm, ids.VERB_SEND_TO_PERSON)
    assert [a["title"] for a in choices] == [wording.ASK_PERSON_SEND_ANONYMOUSLY, wording.ASK_PERSON_SEND_NAMED]
    traffic.post(fakes.submit(connector.service_url, click(choices[1 if named else 0])))
    created = connector.created()
    assert len(created) == 1
    told = only_reply(connector)
    assert told.conversation == fakes.PERSONAL
    assert wording.ASK_PERSON_SENT.format(channel=wording.HELP_CHANNEL) in texts(told.card)
    return created[0]


def helper_reply(connector, thread_root: str, text: str) -> dict:
    return fakes.channel(connector.service_url, text, root=thread_root, **{"from": HELPER})


def test_without_a_help_channel_there_is_no_ask_a_person(teams, connector):
    assert by_verb(ask_unknown(teams, connector), ids.VERB_ASK_PERSON) == []


def test_a_good_answer_does_not_offer_a_person(with_help, connector):
    with_help.post(fakes.personal(connector.service_url, "how do I become a physio?"))
    assert by_verb(only_reply(connector).card, ids.VERB_ASK_PERSON) == []


def test_the_whole_round_trip(with_help, connector, kb):
    created = send(with_help, connector, kb, named=False)
    assert created.body["channelData"] == {"channel": {"id": HELP}} and created.body["isGroup"] is True
    assert created.body["tenantId"] == fakes.TENANT
    posted = created.body["activity"]["attachments"][0]["content"]
    assert valid(posted) == []
    shown = texts(posted)
    assert wording.ASK_PERSON_POSTED in shown and UNKNOWN in shown
    assert "Alice" not in json.dumps(created.body) and fakes.MEMBER_AAD not in json.dumps(created.body)
    root = created.answer["activityId"]
    assert created.answer["id"] == f"{HELP};messageid={root}"
    connector.clear()

    with_help.post(helper_reply(connector, root, "Cricket is off topic, but ask us about band 5 any time!"))
    replies = connector.replies()
    relayed = [r for r in replies if r.conversation == fakes.PERSONAL]
    thanked = [r for r in replies if r.conversation == f"{HELP};messageid={root}"]
    assert len(relayed) == 1 and len(thanked) == 1, [r.path for r in replies]
    assert relayed[0].reply_to is None  # a new message in the member's chat, not a reply to the helper's activity
    assert wording.ASK_PERSON_REPLY in texts(relayed[0].card)
    assert "Cricket is off topic, but ask us about band 5 any time!" in texts(relayed[0].card)
    assert "<at>" not in texts(relayed[0].card) and fakes.BOT_NAME not in texts(relayed[0].card)
    assert wording.ASK_PERSON_PASSED_ON in texts(thanked[0].card)


def test_send_with_my_name_names_the_member(with_help, connector, kb):
    created = send(with_help, connector, kb, named=True)
    posted = created.body["activity"]["attachments"][0]["content"]
    assert wording.ASK_PERSON_POSTED_NAMED.format(user="Alice Example") in texts(posted)


def test_the_members_words_are_shown_as_typed_in_the_help_channel(with_help, connector, kb):
    hostile = "[click me](https://evil.example) <at>everyone</at> **now**"
    confirm = cards.ask_person_card(hostile, "q1")
    sent = by_verb(confirm, ids.VERB_SEND_TO_PERSON)[0]
    with_help.post(fakes.submit(connector.service_url, click(sent)))
    posted = connector.created()[0].body["activity"]["attachments"][0]["content"]
    # the words are there, but only in TextRuns, which Teams never reads as Markdown
    holders = [n["type"] for n in walk(posted) if hostile in str(n.get("text", ""))]
    assert holders == ["TextRun"]


def test_a_resent_send_click_posts_once(with_help, connector):
    data = {ids.VERB_KEY: ids.VERB_SEND_TO_PERSON, ids.VALUE_KEY: pack(ref="q1", question=UNKNOWN)}
    activity = fakes.submit(connector.service_url, data)
    with_help.post(activity)
    with_help.post(activity)  # Teams resends when it saw no answer in time
    assert len(connector.created()) == 1


def test_a_reply_in_a_thread_we_did_not_start_is_not_passed_on(with_help, connector):
    with_help.post(helper_reply(connector, "1799999999999", "does anyone know?"))
    replies = connector.replies()
    assert len(replies) == 1 and replies[0].conversation == f"{HELP};messageid=1799999999999"
    assert wording.ASK_PERSON_NOT_PASSED_ON in texts(replies[0].card)


def test_a_new_post_in_the_help_channel_is_an_ordinary_question(with_help, connector):
    with_help.post(fakes.channel(connector.service_url, "how do I become a physio?", **{"from": HELPER}))
    card = only_reply(connector).card
    assert wording.ASK_PERSON_NOT_PASSED_ON not in texts(card) and by_verb(card, ids.VERB_NOT_WHAT_I_ASKED)


@pytest.mark.parametrize(
    "value",
    [
        pack(ref="q1"),  # no question
        json.dumps({"q": "x" * 301}),  # longer than any button we write
        json.dumps({"q": UNKNOWN, "a": "yes please"}),  # not our flag
        json.dumps({"q": UNKNOWN, "zz": "1"}),  # a field we never write
    ],
)
def test_a_forged_send_button_posts_nothing(with_help, connector, recorder, value):
    with_help.post(fakes.submit(connector.service_url, {ids.VERB_KEY: ids.VERB_SEND_TO_PERSON, ids.VALUE_KEY: value}))
    assert connector.created() == []
    assert wording.BAD_BUTTON in texts(only_reply(connector).card)


def test_without_a_help_channel_a_send_click_posts_nothing(teams, connector):
    data = {ids.VERB_KEY: ids.VERB_SEND_TO_PERSON, ids.VALUE_KEY: pack(ref="q1", question=UNKNOWN)}
    teams.post(fakes.submit(connector.service_url, data))
    assert connector.created() == []
    assert wording.BAD_BUTTON in texts(only_reply(connector).card)


def test_when_the_connector_refuses_the_post_the_member_is_told_and_nothing_is_kept(with_help, connector):
    data = {ids.VERB_KEY: ids.VERB_SEND_TO_PERSON, ids.VALUE_KEY: pack(ref="q1", question=UNKNOWN)}
    connector.fail(500)
    with_help.post(fakes.submit(connector.service_url, data))
    told = only_reply(connector)
    assert wording.ASK_PERSON_FAILED in texts(told.card)
    connector.clear()
    # a reply in the thread the stand-in would have made is not passed on: nothing was kept for it
    with_help.post(helper_reply(connector, "1800000000001", "hello?"))
    assert [r.conversation for r in connector.replies()] == [f"{HELP};messageid=1800000000001"]


def test_not_what_i_asked_offers_a_person_about_the_answer_that_missed(with_help, connector, kb):
    with_help.post(fakes.personal(connector.service_url, "how do I become a physio?"))
    answer = only_reply(connector).card
    connector.clear()
    flagged = by_verb(answer, ids.VERB_NOT_WHAT_I_ASKED)[0]
    with_help.post(fakes.submit(connector.service_url, click(flagged)))
    card = only_reply(connector).card
    asked = by_verb(card, ids.VERB_ASK_PERSON)
    entry = value_of(flagged, kb).entry
    assert len(asked) == 1 and value_of(asked[0], kb).question == kb.by_id[entry].question
