"""The quality gate: the labelled question set must meet the issue's thresholds."""

from __future__ import annotations

from collections import Counter

from bot.brain.evaluation import FALLBACK_LABEL, evaluate, load_questions
from tests.conftest import ROOT

QUESTIONS = ROOT / "tests" / "eval" / "tuning.yaml"


def test_question_set_is_big_and_covers_every_entry(kb):
    questions = load_questions(QUESTIONS, kb)
    counts = Counter(q.expect for q in questions)
    assert sum(n for label, n in counts.items() if label != FALLBACK_LABEL) >= 200
    assert counts[FALLBACK_LABEL] >= 50
    answerable = {e.id for e in kb.entries if e.kind != "decline"}
    assert answerable - set(counts) == set()


def test_matcher_meets_the_quality_thresholds(answerer):
    result = evaluate(answerer.matcher, load_questions(QUESTIONS, answerer.kb))
    report = result.report()
    assert result.accuracy >= 0.90, report
    assert result.wrong_rate <= 0.03, report
    assert result.declined_rate >= 0.90, report
