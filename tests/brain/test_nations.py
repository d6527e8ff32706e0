"""Answers whose facts differ by nation: the nation named, else the saved one, else England and the others."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.brain.markdown import to_plain
from bot.brain.nations import NATIONS, parse_nation
from bot.brain.reply import Answerer, choose_nation

DAY = dt.date(2026, 6, 15)
MARKERS = {
    "england": "In England",
    "scotland": "In Scotland",
    "wales": "In Wales",
    "northern-ireland": "Northern Ireland",
}


@pytest.fixture(scope="module")
def brain(kb):
    return Answerer(kb)


@pytest.mark.parametrize(
    ("question", "nation"),
    [
        ("how much does a band 3 earn in scotland", "scotland"),
        ("band 3 pay nhs wales", "wales"),
        ("how much does a band 3 earn in belfast", "northern-ireland"),
        ("how much does a band 3 earn in england", "england"),
        ("how much does a band 3 earn in glasgow", "scotland"),
    ],
)
def test_a_nation_named_in_the_question_is_answered_for(brain, question, nation):
    reply = brain.reply(question, today=DAY)
    assert reply.entry_id == "pay-rates"
    assert (reply.nation, reply.nation_assumed, reply.other_nations) == (nation, False, ())
    assert MARKERS[nation] in to_plain(reply.body)


def test_the_nation_words_do_not_change_which_entry_answers(brain):
    plain = brain.reply("how much does a band 3 earn", today=DAY)
    for nation in ("in scotland", "in wales", "in northern ireland", "nhs england"):
        assert brain.reply(f"how much does a band 3 earn {nation}", today=DAY).entry_id == plain.entry_id


@pytest.mark.parametrize("nation", NATIONS)
def test_the_saved_nation_is_used_when_the_question_names_none(brain, nation):
    reply = brain.reply("how much does a band 3 earn", today=DAY, nation=nation)
    assert (reply.nation, reply.nation_assumed) == (nation, False)
    assert MARKERS[nation] in to_plain(reply.body)


def test_a_named_nation_wins_over_the_saved_one(brain):
    reply = brain.reply("band 3 pay in wales", today=DAY, nation="scotland")
    assert reply.nation == "wales"


def test_with_no_nation_known_england_is_shown_and_the_other_three_offered(brain):
    reply = brain.reply("how much does a band 3 earn", today=DAY)
    assert reply.nation == "england" and reply.nation_assumed
    assert reply.other_nations == ("scotland", "wales", "northern-ireland")


def test_nothing_specific_part_is_shown_for_its_nation(brain, kb):
    entry = kb.by_id["become-a-physiotherapist"]
    part = entry.part("northern-ireland")
    assert part is not None and part.nothing_specific
    reply = brain.entry_reply(entry, today=DAY, nation="northern-ireland")
    assert reply.nation == "northern-ireland"
    assert to_plain(reply.body).strip().endswith(to_plain_text(part.answer))


def to_plain_text(markdown: str) -> str:
    from bot.brain.markdown import parse_markdown

    return to_plain(parse_markdown(markdown)).strip()


def test_an_answer_that_is_the_same_everywhere_has_no_nation(brain):
    reply = brain.reply("what does a band 4 do", today=DAY, nation="wales")
    assert reply.entry_id == "band-4" and reply.nation is None and reply.other_nations == ()


def test_health_board_is_scotland_or_wales():
    assert choose_nation(("scotland", "wales"), "wales") == ("wales", False, ())
    nation, assumed, others = choose_nation(("scotland", "wales"), None)
    assert (
        (nation, assumed) == ("scotland", True)
        and others[0] == "wales"
        and set(others)
        == {
            "wales",
            "england",
            "northern-ireland",
        }
    )


@pytest.mark.parametrize(
    ("typed", "nation"),
    [
        ("Scotland", "scotland"),
        ("northern ireland", "northern-ireland"),
        ("NI", "northern-ireland"),
        ("cymru", "wales"),
    ],
)
def test_member_can_name_a_nation_in_their_own_words(typed, nation):
    assert parse_nation(typed) == nation
    assert parse_nation("narnia") is None


def test_past_valid_until_is_still_answered_with_a_visible_warning(brain):
    later = dt.date(2100, 1, 1)
    reply = brain.reply("how much does a band 3 earn", today=later)
    assert reply.entry_id == "pay-rates" and reply.stale is not None
    assert "may be out of date" in to_plain(reply.stale)
    assert brain.reply("how much does a band 3 earn", today=DAY).stale is None


def test_each_decline_has_its_own_title(brain, kb):
    titles = {e.title for e in kb.entries if e.kind == "decline"}
    assert len(titles) == len([e for e in kb.entries if e.kind == "decline"])
    reply = brain.reply("can you diagnose my patient", today=DAY)
    assert reply.declined == "clinical-advice" and reply.title == kb.by_id["clinical-advice"].title
