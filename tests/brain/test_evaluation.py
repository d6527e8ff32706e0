"""The quality gate, on the real knowledge base.

`tests/eval/gate.yaml` was written blind (from the answers only, never the alternates): it is the gate, and its
thresholds are the issue's. The labelled questions in `knowledge/examples/` are what the bot learns from and where
thresholds, guards and facets are chosen (each file measured with its own questions left out); together they must
cover every entry and every nation, and none of them may copy a gate question. These are the only tests that
read the live knowledge base, with lint: a curator's edit can turn CI red only here, through the gate.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.brain.evaluation import FALLBACK_LABEL, evaluate, load_questions, near_copies
from bot.brain.markdown import parse_markdown, to_plain
from bot.brain.nations import NATIONS
from bot.brain.reply import Answerer
from bot.brain.text import normalise
from tests.conftest import ROOT

GATE = ROOT / "tests" / "eval" / "gate.yaml"
EXAMPLES = ROOT / "knowledge" / "examples"


@pytest.fixture(scope="module")
def brain(real_kb):
    return Answerer(real_kb)


@pytest.fixture(scope="module")
def gate(brain):
    return evaluate(brain, load_questions(GATE, brain.kb))


def test_the_gate_is_big_enough(brain):
    questions = load_questions(GATE, brain.kb)
    counts = Counter(q.expect == FALLBACK_LABEL for q in questions)
    assert counts[False] >= 300 and counts[True] >= 100


# The targets for the gate: at least 92% right, at most 2% wrong, at least 95% of out-of-scope questions
# declined and "did you mean" on at most 8% (`make eval` checks the first three too). The bot meets them (93.9%,
# 1.4%, 96.2%, 3.5% on 4 December), so the suite holds exactly those targets: a change that takes the blind gate
# below any of them turns CI red. Never lower them to let a change through.
GATE_FLOOR = {"accuracy": 0.92, "wrong": 0.02, "declined": 0.95, "clarify": 0.08}


def test_the_gate_holds_its_floor(gate):
    report = gate.report()
    assert gate.accuracy >= GATE_FLOOR["accuracy"], report
    assert gate.wrong_rate <= GATE_FLOOR["wrong"], report
    assert gate.declined_rate >= GATE_FLOOR["declined"], report
    assert gate.clarify_rate <= GATE_FLOOR["clarify"], report


def test_every_patient_care_question_of_the_gate_is_declined(gate, brain):
    """...and with the clinical decline (ask your supervising physiotherapist), not just "I don't know"."""
    declined, total = gate.group_rate("patient")
    assert total >= 20 and declined == total, gate.report()
    patient_care = [q.q for q in load_questions(GATE, brain.kb) if "patient" in q.group]
    assert [q for q in patient_care if brain.reply(q).declined != "clinical-advice"] == []


def test_no_gate_question_is_copied_into_the_alternates(brain):
    """The gate stays blind: none of its questions (normalised) is a phrasing of any entry, except the short
    common ones the knowledge base had before the gate was written (tests/eval/gate-coincidences.txt). (The
    examples are checked, stricter, below.)"""
    known = {
        line.strip()
        for line in (ROOT / "tests" / "eval" / "gate-coincidences.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    phrasings = {normalise(p) for e in brain.kb.entries for p in e.phrasings}
    copied = [q.q for q in load_questions(GATE, brain.kb) if normalise(q.q) in phrasings - known]
    assert copied == []


def test_no_example_copies_or_nearly_copies_a_gate_question(brain):
    """What the bot learns from never holds a gate question, word for word or nearly (after normalising, an
    edit similarity over 90%, in the order typed or with the words sorted: 'band 4 pay' beside 'band 5 pay' is a
    different question, a changed word or two in a long one is not)."""
    gate = [q.q for q in load_questions(GATE, brain.kb)]
    examples = list(brain.kb.examples)
    assert len(examples) >= 1000
    near = near_copies([ex.q for ex in examples], gate)
    copied = {ex.q for ex, copy in zip(examples, near, strict=True) if copy}
    assert sorted(copied) == []


def test_the_examples_cover_every_entry_and_each_nation(brain):
    questions = [q for path in sorted(EXAMPLES.glob("*.yaml")) for q in load_questions(path, brain.kb)]
    counts = Counter(q.expect for q in questions)
    assert sum(n for label, n in counts.items() if label != FALLBACK_LABEL) >= 200
    assert counts[FALLBACK_LABEL] >= 50
    answerable = {e.id for e in brain.kb.entries if e.kind != "decline"}
    assert answerable - set(counts) == set()
    cues = brain.kb.nation_cues
    named = {n for q in questions for n in cues.find(normalise(q.q).split())[0]}
    assert named >= set(NATIONS)


NATION_TOPICS = {
    "pay-rates": "how much does a band 3 get paid",
    "apprenticeships-overview": "what apprenticeships can a support worker do",
    "become-a-physiotherapist": "how do i become a physio",
    "study-funding": "what funding can i get to study physiotherapy",
    "capability-frameworks": "is there a capability framework for support workers",
    "codes-of-conduct": "is there a code of conduct for support workers",
}
IN_NATION = {
    "england": "in england",
    "scotland": "in scotland",
    "wales": "in wales",
    "northern-ireland": "in northern ireland",
}


@pytest.mark.parametrize("entry_id", sorted(NATION_TOPICS))
@pytest.mark.parametrize("nation", NATIONS)
def test_a_member_in_each_nation_gets_their_own_nations_answer(brain, entry_id, nation):
    """Pay, apprenticeships, becoming a physio, funding, frameworks and codes of conduct differ by nation: each
    is answered with its part for the nation the member names, or the one they saved."""
    entry = brain.kb.by_id[entry_id]
    assert {p.nation for p in entry.nations} == set(NATIONS)
    named = brain.reply(f"{NATION_TOPICS[entry_id]} {IN_NATION[nation]}")
    assert (named.entry_id, named.nation, named.nation_assumed) == (entry_id, nation, False)
    saved = brain.reply(NATION_TOPICS[entry_id], nation=nation)
    assert (saved.entry_id, saved.nation) == (entry_id, nation)
    part = entry.part(nation)
    assert part is not None
    shown = " ".join(to_plain(saved.body).split())
    assert " ".join(to_plain(parse_markdown(part.answer)).split())[:80] in shown
