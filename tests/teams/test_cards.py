"""The pure Adaptive Card renderer: every outcome is a valid 1.5 card (Microsoft's published schema), and each
part of the neutral Reply shows where Teams needs it. Expected words come from the brain, not the knowledge
base's wording, so a curator's edit never turns these red."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest

from bot import wording
from bot.brain.markdown import parse_markdown, to_plain
from bot.brain.nations import LABELS
from bot.conversation import planner, unpack
from bot.teams import cards, ids
from tests.teams import schema
from tests.teams.conftest import INSIDE_NOTICES, OUTSIDE_NOTICES

QUESTIONS = ("band5", "band", "zzqx vlorp", "can you diagnose my patient", "help", "how much are support workers paid")


def valid(card: dict[str, Any]) -> list[str]:
    """Problems against the Adaptive Cards 1.5 schema (`msteams` is Teams' own host extension, not in it)."""
    core = {k: v for k, v in card.items() if k != "msteams"}
    return schema.problems(core, schema.load(schema.CARD_SCHEMA))


def walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def actions(card: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    found = [n for n in walk(card) if str(n.get("type", "")).startswith("Action.")]
    return [a for a in found if kind is None or a["type"] == kind]


def texts(card: dict[str, Any]) -> str:
    return "\n".join(n["text"] for n in walk(card) if n.get("type") in ("TextBlock", "TextRun"))


def by_verb(card: dict[str, Any], verb: str) -> list[dict[str, Any]]:
    out = []
    for action in actions(card):
        if action["type"] == "Action.Submit" and action["data"].get(ids.VERB_KEY) == verb:
            out.append(action)
        elif action["type"] == "Action.Execute" and action.get("verb") == verb:
            out.append(action)
    return out


def value_of(action: dict[str, Any], kb):
    return unpack(action["data"][ids.VALUE_KEY], kb)


def find_question(answerer, predicate, questions=QUESTIONS + ("rebanding", "apprenticeship", "pay", "band3")):
    for question in questions:
        reply = answerer.reply(question, today=OUTSIDE_NOTICES)
        if predicate(reply):
            return reply
    raise AssertionError("no question gives the reply this test needs; add one")


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("today", [OUTSIDE_NOTICES, INSIDE_NOTICES])
def test_every_outcome_is_a_valid_adaptive_card_1_5(answerer, question, today):
    reply = answerer.reply(question, today=today)
    card = cards.welcome_card(reply) if reply.outcome == "help" else cards.reply_card(reply, ref="q1")
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert valid(card) == []
    assert len(json.dumps(card).encode()) <= cards.MAX_CARD_BYTES
    assert reply.title in card["fallbackText"] or reply.outcome == "help"
    assert "**" not in card["fallbackText"] and "](" not in card["fallbackText"]  # plain text, not Markdown
    for action in actions(card, "Action.Submit") + actions(card, "Action.Execute"):
        if action["data"].get(ids.VERB_KEY) in ids.PLAN_VERBS:  # the planner's own codec
            assert planner.unpack(action["data"][ids.VALUE_KEY]) is not None, action
            continue
        assert action["data"][ids.VALUE_KEY] and value_of(action, answerer.kb) is not None, action


def test_the_schema_check_catches_a_broken_card():
    """The checker is strict enough to mean something: an unknown element, a missing url, a stray property."""
    broken = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlok", "text": "x"}, {"type": "ActionSet", "actions": [{"type": "Action.OpenUrl"}]}],
        "colour": "red",
    }
    found = valid(broken)
    assert any("TextBlok" in p for p in found)
    assert any("'url' is required" in p or "url" in p for p in found)
    assert any("colour" in p for p in found)
    assert schema.unsupported_keywords(schema.load(schema.CARD_SCHEMA)) == set()


def test_an_answer_has_its_text_links_sources_review_date_related_and_feedback(answerer, kb):
    reply = answerer.reply("band5", today=OUTSIDE_NOTICES)
    assert reply.outcome == "answer" and reply.related and reply.links
    card = cards.reply_card(reply, ref="q7")
    shown = texts(card)
    assert card["body"][0]["text"] == reply.title and card["body"][0]["weight"] == "Bolder"
    for line in to_plain(reply.body).split("\n\n"):
        assert line.split(" ")[0] in shown
    if reply.primary_url:
        primary = [a for a in actions(card, "Action.OpenUrl") if a["url"] == reply.primary_url]
        assert primary and primary[0]["style"] == "positive" and len(primary[0]["title"]) <= cards.MAX_BUTTON_TITLE
    for link in reply.links:
        assert link.url in json.dumps(card)
    assert f"Reviewed {reply.reviewed.day} {reply.reviewed:%B %Y}" in shown
    assert "Source: [" in shown
    asked = by_verb(card, ids.VERB_ASK)
    assert [value_of(a, kb).entry for a in asked] == [s.entry_id for s in reply.related]
    assert all(value_of(a, kb).ref == "q7" for a in asked)
    thumbs = by_verb(card, ids.VERB_HELPFUL) + by_verb(card, ids.VERB_NOT_HELPFUL)
    assert [a["type"] for a in thumbs] == ["Action.Execute", "Action.Execute"]
    assert {value_of(a, kb).entry for a in thumbs} == {reply.entry_id}


def test_feedback_replaces_the_buttons_with_a_thank_you(answerer):
    reply = answerer.reply("band5", today=OUTSIDE_NOTICES)
    for helpful, thanks in ((True, wording.THANKS_UP), (False, wording.THANKS_DOWN)):
        card = cards.reply_card(reply, ref="q1", thanks=helpful)
        assert not actions(card, "Action.Execute")
        assert thanks in texts(card)
        assert valid(card) == []


def test_did_you_mean_offers_each_candidate_and_none_of_these(answerer, kb):
    reply = find_question(answerer, lambda r: r.outcome == "clarify")
    card = cards.reply_card(reply, ref="q3")
    chosen = by_verb(card, ids.VERB_CHOOSE)
    assert [value_of(a, kb).entry for a in chosen] == [c.entry_id for c in reply.candidates]
    none = by_verb(card, ids.VERB_NONE)
    assert len(none) == 1 and value_of(none[0], kb).ref == "q3"
    for candidate in reply.candidates:
        assert candidate.label in texts(card) or any(a.get("title") == candidate.label for a in chosen)


def test_long_labels_become_tappable_rows_and_short_ones_buttons(answerer):
    reply = answerer.reply("band5", today=OUTSIDE_NOTICES)
    long_related = [s for s in reply.related if len(s.label) > cards.MAX_BUTTON_TITLE]
    assert long_related, "the fixture's related questions are long enough to need rows"
    card = cards.reply_card(reply)
    rows = [n for n in walk(card) if n.get("type") == "Container" and "selectAction" in n]
    assert [r["items"][0]["text"] for r in rows if r["selectAction"]["data"]["verb"] == ids.VERB_ASK] == [
        "› " + s.label for s in reply.related
    ]
    assert all(r["items"][0]["wrap"] for r in rows)
    # every real button fits: nation names, thumbs, "None of these", short topic names
    for action in actions(card):
        if action["type"] != "Action.Submit" or action in [r["selectAction"] for r in rows]:
            assert len(action.get("title", "")) <= cards.MAX_BUTTON_TITLE, action


def test_topics_show_as_buttons_when_every_name_fits_else_as_rows(answerer):
    help_reply = answerer.help(today=OUTSIDE_NOTICES)
    short = replace(help_reply, topics=tuple(replace(t, title=t.title[:20]) for t in help_reply.topics))
    card = cards.welcome_card(short)
    assert [a["title"] for a in by_verb(card, ids.VERB_TOPIC)] == [t.title for t in short.topics]
    assert not [n for n in walk(card) if n.get("type") == "Container" and "selectAction" in n]
    long = replace(help_reply, topics=tuple(replace(t, title=t.title + " " + "x" * 40) for t in help_reply.topics))
    rows = [n for n in walk(cards.welcome_card(long)) if n.get("type") == "Container" and "selectAction" in n]
    assert len(rows) == len(long.topics)


def test_the_nation_line_and_answer_for_other_nations(answerer, kb):
    reply = find_question(answerer, lambda r: r.nation_assumed and r.other_nations)
    card = cards.reply_card(reply, ref="q2")
    assert wording.NATION_ASSUMED.format(nation=LABELS[reply.nation]) in texts(card)
    offered = by_verb(card, ids.VERB_NATION)
    assert [a["title"] for a in offered] == [LABELS[n] for n in reply.other_nations]
    assert [value_of(a, kb).nation for a in offered] == list(reply.other_nations)
    assert {value_of(a, kb).entry for a in offered} == {reply.entry_id}
    saved = replace(reply, nation_assumed=False, other_nations=())
    card = cards.reply_card(saved)
    assert not by_verb(card, ids.VERB_NATION)
    assert f"**{LABELS[reply.nation]}**" in texts(card)


def test_the_stale_line_and_the_notices(answerer):
    reply = answerer.reply("band5", today=INSIDE_NOTICES)
    assert reply.notices, "the fixture's notice is in force on INSIDE_NOTICES"
    stale = replace(reply, stale=parse_markdown("The figures here were due for review and may be out of date."))
    card = cards.reply_card(stale)
    shown = texts(card)
    assert "⏳ The figures here were due for review" in shown
    warning = [n for n in walk(card) if n.get("type") == "Container" and n.get("style") == "warning"]
    assert len(warning) == 1 and "⚠️" in texts(warning[0])
    assert "Notice: " in card["fallbackText"]
    assert not answerer.reply("band5", today=OUTSIDE_NOTICES).notices


def test_a_fallback_lists_the_topics_and_a_decline_says_who_can_help(answerer):
    unknown = find_question(answerer, lambda r: r.outcome == "fallback" and not r.declined)
    card = cards.reply_card(unknown, ref="q1")
    assert [a["data"]["v"] for a in by_verb(card, ids.VERB_TOPIC)] or [
        n for n in walk(card) if n.get("type") == "Container" and "selectAction" in n
    ]
    assert not actions(card, "Action.Execute")  # no 👍/👎 on "I don't know"
    declined = find_question(answerer, lambda r: bool(r.declined))
    assert declined.title in texts(cards.reply_card(declined))


def test_the_welcome_card_says_what_it_does_how_to_ask_and_lists_topics_and_notices(answerer):
    card = cards.welcome_card(answerer.help(today=INSIDE_NOTICES))
    shown = texts(card)
    assert cards.ABOUT in shown and "How to ask" in shown and "**help**" in shown
    for topic in answerer.topics():
        assert topic.title in shown
        for shortcut in topic.shortcuts:
            assert f"**{shortcut}**" in shown
    assert "⚠️" in shown
    assert "⚠️" not in texts(cards.welcome_card(answerer.help(today=OUTSIDE_NOTICES)))


def test_a_topic_card_lists_its_questions_as_choices(answerer, kb):
    topic = answerer.topics()[0]
    card = cards.topic_card(topic, (), ref="q9")
    chosen = by_verb(card, ids.VERB_CHOOSE)
    assert [value_of(a, kb).entry for a in chosen] == [s.entry_id for s in topic.suggestions]
    assert valid(card) == []


def test_the_report_is_shown_as_typed_never_as_markdown():
    report = "Unanswered (2)\n  2 x how do I **reach** [the ward](https://evil.example)\n"
    card = cards.report_card(report)
    assert valid(card) == []
    runs = [n for n in walk(card) if n.get("type") == "TextRun"]
    assert "**reach** [the ward](https://evil.example)" in "".join(r["text"] for r in runs)
    markdown = [n["text"] for n in walk(card) if n.get("type") == "TextBlock"]
    assert markdown == [cards.REPORT_TITLE]


def test_what_goes_on_the_wire_is_the_card_alone_with_a_summary(answerer):
    reply = answerer.reply("band5", today=OUTSIDE_NOTICES)
    message = cards.message(cards.reply_card(reply))
    assert set(message) == {"attachments", "summary"}  # no `text`: Teams would show it as a second message
    assert message["attachments"][0]["contentType"] == ids.CARD_CONTENT_TYPE
    assert message["summary"] == reply.title[: cards.MAX_SUMMARY]
    assert cards.invoke_card({"x": 1}) == {"statusCode": 200, "type": ids.CARD_CONTENT_TYPE, "value": {"x": 1}}
    assert cards.invoke_message("hi")["type"] == ids.MESSAGE_CONTENT_TYPE


def test_a_very_long_answer_is_cut_to_fit_and_says_so(answerer):
    reply = answerer.reply("band5", today=OUTSIDE_NOTICES)
    huge = replace(reply, body=parse_markdown("\n\n".join(f"Paragraph {i} " + "word " * 200 for i in range(60))))
    card = cards.reply_card(huge)
    assert len(json.dumps(card, ensure_ascii=False).encode()) <= cards.MAX_CARD_BYTES
    assert cards.TOO_LONG in texts(card)
    assert card["body"][0]["text"] == reply.title
    assert valid(card) == []


def test_markdown_from_the_knowledge_base_keeps_bold_links_and_bullets():
    doc = parse_markdown("Lead with **bold** and [a link](https://www.csp.org.uk/a).\n\n- one\n- **two**")
    assert cards.markdown_lines(doc) == [
        "Lead with **bold** and [a link](https://www.csp.org.uk/a).",
        "- one\n- **two**",
    ]


def test_dates_in_cards_come_from_the_reply_not_today(answerer):
    reply = replace(answerer.reply("band5", today=OUTSIDE_NOTICES), reviewed=dt.date(2020, 2, 3))
    assert "Reviewed 3 February 2020" in texts(cards.reply_card(reply))
