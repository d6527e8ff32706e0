"""The Block Kit renderer on its own: Markdown to mrkdwn, escaping, Slack's size limits, what each outcome shows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.brain.knowledge import Link
from bot.brain.markdown import parse_markdown
from bot.brain.reply import Reply, Suggestion, TopicSummary
from bot.slack import blocks as render
from bot.slack import ids
from bot.slack.markup import to_plain
from tests.slack.conftest import question_for
from tests.slack.stand_ins.wire import block_problems, button_data, message_problems

CHRISTMAS = dt.date(2026, 12, 28)


def buttons(message: dict, action: str) -> list[dict]:
    return [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].split(":")[0] == action
    ]


def cannot_ping(obj) -> bool:
    text = json.dumps(obj)
    return "<!" not in text and "<@" not in text


def test_markdown_becomes_mrkdwn_with_escaping():
    doc = parse_markdown(
        "Pay is **£24,465** in A&E < 5 > 3.\n\n- see [the CSP](https://www.csp.org.uk/a?b=1&c=2)\n- two"
    )
    assert render.mrkdwn(doc) == (
        "Pay is *£24,465* in A&amp;E &lt; 5 &gt; 3.\n\n• see <https://www.csp.org.uk/a?b=1&amp;c=2|the CSP>\n• two"
    )


def test_echoed_text_can_never_ping():
    typed = "<!channel> <!here|here> <@U0003> <!subteam^S1|@physios> &lt;!everyone&gt; a & b"
    shown = render.echo(to_plain(typed))  # the listeners hand the renderer plain text
    assert "<" not in shown and ">" not in shown
    assert "&lt;!everyone&gt;" in shown  # what the member typed literally is shown literally
    assert render.escape("<@U1>") == "&lt;@U1&gt;"


def test_echo_is_bounded():
    assert len(render.echo("band five " * 5000)) <= render.MAX_ECHO


def test_split_text_respects_the_limit_and_keeps_links_whole():
    link = "<https://www.csp.org.uk/x|the CSP page on support worker roles>"
    text = "\n\n".join(f"Paragraph {i}: " + ("word " * 150) + link + " &amp; more." for i in range(40))
    pieces = render.split_text(text)
    assert len(pieces) > 1
    assert all(len(p) <= render.MAX_SECTION_TEXT for p in pieces)
    assert sum(p.count(link) for p in pieces) == 40
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())


def test_split_text_cuts_a_single_huge_word():
    pieces = render.split_text("x" * 7000)
    assert [len(p) for p in pieces] == [3000, 3000, 1000]


def test_a_huge_reply_stays_within_slack_limits():
    long_label = "How do I become a registered physiotherapist if I already work as a band 4? " * 3
    reply = Reply(
        outcome="answer",
        title="T" * 400,
        body=parse_markdown("\n\n".join(f"Paragraph {i} " + "text " * 500 for i in range(80))),
        entry_id="band-4",
        links=tuple(Link("L" * 200, f"https://www.csp.org.uk/{i}") for i in range(30)),
        primary_url="https://www.csp.org.uk/3",
        related=tuple(Suggestion(f"e{i}", long_label) for i in range(40)),
        source=tuple(f"https://www.csp.org.uk/source/{i}" for i in range(20)),
        reviewed=dt.date(2026, 11, 27),
        notices=(parse_markdown("Office closed."),),
    )
    message = render.reply_message(reply, ref="r" * 5000, question="q" * 40000, share=True)
    assert message_problems(message) == []
    assert len(message["blocks"]) <= render.MAX_BLOCKS
    # the buttons that matter most survive the cut: feedback and share come last and are kept
    assert buttons(message, ids.ACTION_FEEDBACK_UP) and buttons(message, ids.ACTION_SHARE)
    assert len(message["text"]) <= render.MAX_FALLBACK_TEXT


def test_answer_shows_links_source_reviewed_related_and_feedback(answerer):
    reply = answerer.reply("toolkit")
    message = render.reply_message(reply, ref="q1")
    assert message_problems(message) == []
    primary = [b for b in buttons(message, ids.ACTION_LINK) if b.get("style") == "primary"]
    assert [b["url"] for b in primary] == [reply.primary_url]
    context = json.dumps([b for b in message["blocks"] if b["block_id"] == ids.BLOCK_SOURCE])
    assert "Source: <https://" in context and f"Reviewed {reply.reviewed.day} {reply.reviewed:%B %Y}" in context
    related = buttons(message, ids.ACTION_ASK)
    assert [button_data(b["value"])["e"] for b in related] == [s.entry_id for s in reply.related]
    up = buttons(message, ids.ACTION_FEEDBACK_UP)
    assert button_data(up[0]["value"]) == {"e": "job-description-toolkit", "r": "q1"}
    assert buttons(message, ids.ACTION_SHARE) == []


@pytest.mark.parametrize("outcome", ["help", "clarify", "fallback", "declined"])
def test_no_feedback_buttons_unless_it_is_an_answer(answerer, outcome):
    reply = answerer.reply("help" if outcome == "help" else question_for(answerer, outcome))
    assert not reply.feedback_allowed
    message = render.reply_message(reply, ref="q1", share=True)
    assert message_problems(message) == []
    assert buttons(message, ids.ACTION_FEEDBACK_UP) == buttons(message, ids.ACTION_SHARE) == []


def test_clarify_has_a_button_per_candidate_and_none_of_these(answerer):
    reply = answerer.reply(question_for(answerer, "clarify"))
    assert reply.outcome == "clarify"
    message = render.reply_message(reply, ref="q7")
    chosen = [button_data(b["value"]) for b in buttons(message, ids.ACTION_CHOOSE)]
    assert chosen == [{"e": c.entry_id, "r": "q7"} for c in reply.candidates]
    assert [b["text"]["text"] for b in buttons(message, ids.ACTION_NONE)] == ["None of these"]


def test_fallback_is_honest_and_offers_topics_and_a_person(answerer):
    reply = answerer.reply(question_for(answerer, "fallback"))
    message = render.reply_message(reply)
    text = json.dumps(message)
    assert "I don't know that one" in message["text"] and "steward" in text and "enquiries@csp.org.uk" in text
    assert [b["text"]["text"] for b in buttons(message, ids.ACTION_TOPIC)] == [t.title for t in answerer.topics()]


def test_declined_question_gets_no_topics(answerer):
    reply = answerer.reply(question_for(answerer, "declined"))
    assert reply.declined
    assert buttons(render.reply_message(reply), ids.ACTION_TOPIC) == []


def test_help_lists_topics_and_shortcuts(answerer):
    message = render.reply_message(answerer.reply(""))
    text = json.dumps(message["blocks"])
    assert "`band5`" in text and "`toolkit`" in text
    assert len(buttons(message, ids.ACTION_TOPIC)) == len(answerer.topics())


def test_notices_are_shown_on_answers_while_in_force(answerer):
    inside = render.reply_message(answerer.reply("band5", today=CHRISTMAS))
    outside = render.reply_message(answerer.reply("band5", today=dt.date(2026, 7, 1)))
    assert ":warning: The CSP office is closed" in json.dumps(inside["blocks"])
    assert "Notice: The CSP office is closed" in inside["text"]
    assert "office is closed" not in json.dumps(outside)


def test_topic_message_lists_its_questions_as_choices():
    topic = TopicSummary("Roles", (Suggestion("band-2", "Band 2?"), Suggestion("band-3", "Band 3?")), ("band2",))
    message = render.topic_message(topic, ref="q3")
    assert message_problems(message) == []
    assert [button_data(b["value"]) for b in buttons(message, ids.ACTION_CHOOSE)] == [
        {"e": "band-2", "r": "q3"},
        {"e": "band-3", "r": "q3"},
    ]


def test_shared_answer_says_who_shared_it_and_has_no_feedback(answerer):
    message = render.reply_message(answerer.reply("band5"), shared_by="U0001", feedback=False)
    assert message["blocks"][1]["elements"][0]["text"] == "Shared by <@U0001>"
    assert buttons(message, ids.ACTION_FEEDBACK_UP) == []


def test_report_is_escaped_and_split():
    message = render.report_message("<!channel> " + "line of the report\n" * 400)
    assert message_problems(message) == []
    assert cannot_ping(message)


def test_home_view(answerer):
    topics = answerer.topics()
    view = render.home_view(topics, (parse_markdown("Closed at Christmas."),))
    assert view["type"] == "home"
    assert block_problems(view["blocks"], max_blocks=100) == []
    text = json.dumps(view)
    assert "How to ask" in text and "/physio-career" in text and ":warning: Closed at Christmas." in text
    assert len([b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_TOPICS][0]["elements"]) == len(topics)


def test_home_view_with_a_topic_and_an_answer(answerer):
    topics = answerer.topics()
    with_topic = render.home_view(topics, topic=topics[0])
    assert block_problems(with_topic["blocks"], max_blocks=100) == []
    reply = answerer.reply("toolkit", today=CHRISTMAS)
    with_answer = render.home_view(topics, reply=reply, ref="q1")
    assert block_problems(with_answer["blocks"], max_blocks=100) == []
    assert "feedback_up" in json.dumps(with_answer)
    thanked = render.home_view(topics, reply=reply, ref="q1", thanks=True)
    assert "feedback_up" not in json.dumps(thanked) and render.THANKS_UP in json.dumps(thanked)


def test_numbered_action_ids_match_their_pattern():
    assert ids.pattern(ids.ACTION_ASK).match("ask_question:3") and not ids.pattern(ids.ACTION_ASK).match(
        "ask_questions"
    )


def test_a_members_formatting_is_never_live_in_the_report():
    """A member's triple backticks must not close the report's code block, nor their *bold* or <!channel> act."""
    report = "Unanswered:\n  2x  ``` *bold* _it_ <!channel> ```"
    message = render.report_message(report)
    for block in message["blocks"][1:]:
        text = block["text"]["text"]
        assert text.startswith("```") and text.endswith("```")
        assert "```" not in text[3:-3] and "<!channel>" not in text


def test_the_you_asked_line_is_plain_text():
    reply = Reply(outcome="fallback", title="I don't know that one", body=render_doc("Sorry."))
    message = render.reply_message(reply, question="*bold* `code` ~strike~ <!here>")
    [asked] = [b for b in message["blocks"] if b["block_id"] == ids.BLOCK_ASKED]
    assert asked["elements"][0]["type"] == "plain_text"
    assert "<!here>" not in json.dumps(message)


def render_doc(text: str):
    from bot.brain.markdown import parse_markdown

    return parse_markdown(text)
