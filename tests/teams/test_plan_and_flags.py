"""The career planner and "Not what I asked" in Teams, end to end through the real server and the stand-in
connector: every card valid Adaptive Card 1.5, every answer carried (and checked) in the action data, nothing
about the member's answers stored beyond the planner's own count of a finished plan."""

from __future__ import annotations

import json

from bot import wording
from bot.conversation import pack
from bot.conversation import planner as plan_codec
from bot.conversation.planner import QUESTIONS, START_LABEL
from bot.teams import cards, ids
from tests.teams import fakes
from tests.teams.test_cards import actions, by_verb, texts, valid, value_of
from tests.teams.test_traffic import only_reply


def click(action: dict) -> dict:
    """The data an Action.Submit sends back."""
    assert action["type"] == "Action.Submit"
    return action["data"]


def answer_actions(card: dict) -> list[dict]:
    """The planner's answer actions: buttons, or the selectActions of tappable rows."""
    found = [a for a in actions(card) if a["data"].get(ids.VERB_KEY) == ids.VERB_PLAN_ANSWER]
    return [a for a in found if not a["title"].startswith("Change ")]


def test_typing_plan_starts_the_planner_with_its_first_question(teams, connector, recorder):
    teams.post(fakes.personal(connector.service_url, "plan"))
    card = only_reply(connector).card
    assert valid(card) == []
    assert card["body"][0]["text"] == START_LABEL
    assert QUESTIONS[0].prompt in texts(card) and "Question 1 of 5" in texts(card)
    options = answer_actions(card)
    assert [plan_codec.unpack(a["data"][ids.VALUE_KEY]).band for a in options] == [v for v, _ in QUESTIONS[0].options]
    assert by_verb(card, ids.VERB_PLAN_STOP)
    assert recorder.questions == []  # "plan" is not a question for the curators' log


def test_a_channel_mention_of_plan_starts_it_in_the_thread(teams, connector, recorder):
    activity = fakes.channel(connector.service_url, "plan")
    teams.post(activity)
    reply = only_reply(connector)
    assert reply.reply_to == activity["id"] and reply.card["body"][0]["text"] == START_LABEL
    assert recorder.questions == []


def test_each_answer_advances_and_the_final_plan_card_has_its_steps(teams, connector, recorder):
    teams.post(fakes.personal(connector.service_url, "plan"))
    card = only_reply(connector).card
    for number in range(2, len(QUESTIONS) + 1):
        connector.clear()
        teams.post(fakes.submit(connector.service_url, click(answer_actions(card)[0])))
        card = only_reply(connector).card
        assert valid(card) == [] and f"Question {number} of 5" in texts(card)
        assert any(a["title"].startswith("Change ") for a in by_verb(card, ids.VERB_PLAN_ANSWER))
        assert recorder.questions == []  # nothing stored while the member answers
    connector.clear()
    last = click(answer_actions(card)[0])
    teams.post(fakes.submit(connector.service_url, last))
    card = only_reply(connector).card
    assert valid(card) == []
    plan = plan_codec.Planner(teams.services.assistant).plan(plan_codec.unpack(last[ids.VALUE_KEY]))
    assert plan.steps and card["body"][0]["text"] == plan.title
    shown, raw = texts(card), json.dumps(card)
    for step in plan.steps:
        assert f"{step.number}. {step.title}" in shown
        assert "How long:" in shown
        assert step.link.url in raw or step.link.url.replace(" ", "%20") in raw
    assert "Depends on where you work" in shown or not any(s.honest_limit for s in plan.steps)
    # one count for the plan: its pathway and nation, never the member's other answers or any text
    assert len(recorder.questions) == 1
    surface, text, entry_id, _ = recorder.questions[0]
    assert (surface, text, entry_id) == ("plan", "", f"plan-{plan.situation.goal}")


def test_stop_drops_the_plan(teams, connector, recorder):
    teams.post(fakes.personal(connector.service_url, "plan"))
    stop = by_verb(only_reply(connector).card, ids.VERB_PLAN_STOP)[0]
    connector.clear()
    teams.post(fakes.submit(connector.service_url, click(stop)))
    card = only_reply(connector).card
    assert valid(card) == [] and card["body"][0]["text"] == "Plan stopped"
    assert recorder.questions == []


def test_forged_plan_data_gets_a_polite_reply_and_nothing_is_stored(teams, connector, recorder):
    forged = (
        {ids.VERB_KEY: ids.VERB_PLAN_ANSWER, ids.VALUE_KEY: '{"b":"99"}'},
        {ids.VERB_KEY: ids.VERB_PLAN_ANSWER, ids.VALUE_KEY: '{"x":"1"}'},
        {ids.VERB_KEY: ids.VERB_PLAN_ANSWER, ids.VALUE_KEY: "not json"},
        {ids.VERB_KEY: ids.VERB_PLAN_START, ids.VALUE_KEY: ["list"]},
    )
    for data in forged:
        connector.clear()
        teams.post(fakes.submit(connector.service_url, data))
        assert wording.BAD_BUTTON in texts(only_reply(connector).card)
    assert recorder.questions == recorder.flags == []


def test_plan_my_next_step_under_a_career_answer_starts_it(teams, connector, answerer):
    reply = answerer.reply("band5")
    assert reply.reviewed is not None
    start = by_verb(cards.reply_card(reply, ref="q1"), ids.VERB_PLAN_START)
    assert [a["title"] for a in start] == [START_LABEL]
    teams.post(fakes.submit(connector.service_url, click(start[0])))
    card = only_reply(connector).card
    assert card["body"][0]["text"] == START_LABEL and answer_actions(card)


def test_not_what_i_asked_records_a_flag_and_offers_the_alternatives(teams, connector, recorder, kb):
    teams.post(fakes.personal(connector.service_url, "how do I become a physio?"))
    answer = only_reply(connector).card
    flagged = by_verb(answer, ids.VERB_NOT_WHAT_I_ASKED)
    assert len(flagged) == 1 and flagged[0]["type"] == "Action.Submit"
    value = value_of(flagged[0], kb)
    entry_id = recorder.questions[0][2]
    assert value.entry == entry_id and value.ref == "q1"
    connector.clear()
    teams.post(fakes.submit(connector.service_url, click(flagged[0])))
    card = only_reply(connector).card
    assert valid(card) == []
    assert recorder.flags == [("q1", entry_id, fakes.MEMBER_AAD)]
    choices = [value_of(a, kb).entry for a in by_verb(card, ids.VERB_CHOOSE)]
    assert choices == [o for o in value.others if o != entry_id]
    assert choices and all(value_of(a, kb).ref == "q1" for a in by_verb(card, ids.VERB_CHOOSE))


def test_not_what_i_asked_with_forged_data_stores_nothing(teams, connector, recorder):
    forged = {ids.VERB_KEY: ids.VERB_NOT_WHAT_I_ASKED, ids.VALUE_KEY: pack(ref="q1")}  # no entry
    teams.post(fakes.submit(connector.service_url, forged))
    assert wording.BAD_BUTTON in texts(only_reply(connector).card)
    connector.clear()
    unknown = {ids.VERB_KEY: ids.VERB_NOT_WHAT_I_ASKED, ids.VALUE_KEY: '{"e":"no-such-entry"}'}
    teams.post(fakes.submit(connector.service_url, unknown))
    assert wording.BAD_BUTTON in texts(only_reply(connector).card)
    assert recorder.flags == []


def test_every_plan_turn_is_a_valid_card(teams):
    planner = plan_codec.Planner(teams.services.assistant)
    answers = plan_codec.Answers()
    for q in QUESTIONS:
        assert valid(cards.plan_turn_card(planner.resume(answers, record=False))) == []
        answers = answers.with_answer(q.key, q.options[-1][0])
    built = cards.plan_turn_card(planner.plan(answers))
    assert valid(built) == [] and len(json.dumps(built).encode()) <= cards.MAX_CARD_BYTES
    assert valid(cards.plan_turn_card(planner.stop())) == []
