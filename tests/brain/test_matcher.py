"""The matcher's decisions: answer, clarify, fallback, decline; robust to hostile input; deterministic."""

from __future__ import annotations

import json
import time

import pytest

from bot.brain.matcher import ANSWER, CLARIFY, FALLBACK, OUT_OF_SCOPE, Item, Matcher, Thresholds, build_matcher, stem

TINY = [
    Item(
        "tea",
        (
            "how do i make tea",
            "tea recipe",
            "brew a cuppa",
            "making a pot of tea",
            "tea with milk",
            "best way to brew tea",
        ),
    ),
    Item(
        "coffee",
        (
            "how do i make coffee",
            "coffee recipe",
            "brew coffee",
            "espresso at home",
            "coffee with milk",
            "best way to brew coffee",
        ),
    ),
    Item(
        "trains",
        (
            "when is the next train",
            "train times",
            "rail timetable",
            "train to london",
            "next departure",
            "platform for the train",
        ),
    ),
    Item(
        "medical",
        (
            "what medicine should i take",
            "dose of paracetamol",
            "treat my headache",
            "painkillers",
            "is this rash serious",
            "what tablets for pain",
        ),
        decline=True,
    ),
]


@pytest.fixture(scope="module")
def tiny():
    return Matcher(TINY, {"coffee": ["cofee", "kofi"]})


def test_exact_phrasing_is_answered(tiny):
    m = tiny.match("How do I make TEA?")
    assert (m.outcome, m.entry_id) == (ANSWER, "tea")
    assert m.score >= 80


def test_typos_and_synonyms_still_answer(tiny):
    assert tiny.match("how do i make kofi").entry_id == "coffee"
    assert tiny.match("whens the nxt trian").entry_id == "trains"


def test_unrelated_question_falls_back(tiny):
    m = tiny.match("what is the capital of peru")
    assert m.outcome == FALLBACK and m.entry_id is None


def test_decline_entry_is_recognised_and_never_answered(tiny):
    m = tiny.match("what painkillers should i take for my headache")
    assert m.outcome == FALLBACK
    assert m.declined == "medical"
    assert all(c.entry_id != "medical" for c in m.candidates)


def test_close_call_asks_did_you_mean():
    matcher = Matcher(TINY, thresholds=Thresholds(answer=0.99, margin=0.5, sure=0.99, clarify=0.2))
    m = matcher.match("brew tea or coffee with milk")
    assert m.outcome == CLARIFY and m.entry_id is None
    assert {c.entry_id for c in m.candidates} >= {"tea", "coffee"}
    assert [c.score for c in m.candidates] == sorted((c.score for c in m.candidates), reverse=True)


def test_shortcut_is_answered_directly():
    matcher = Matcher([Item("band-5", ("band five roles",) * 1, shortcuts=("band5",)), *TINY])
    m = matcher.match("Band5")
    assert (m.outcome, m.entry_id, m.score) == (ANSWER, "band-5", 100)


def test_json_shape(tiny):
    out = json.loads(json.dumps(tiny.match("train times").as_json()))
    assert set(out) == {"outcome", "entry", "score", "candidates"}
    assert out["outcome"] == "answer" and out["entry"] == "trains" and 0 <= out["score"] <= 100
    assert all(set(c) == {"entry", "score"} for c in out["candidates"])


@pytest.mark.parametrize("text", ["", "   ", "!!!", ":tada: :tada:", "🙂🙂🙂"])
def test_empty_or_symbols_only_input_falls_back(tiny, text):
    m = tiny.match(text)
    assert m.outcome == FALLBACK and m.score == 0


def test_stemmer():
    assert stem("apprenticeships") == "apprenticeship"
    assert stem("studies") == "study"
    assert stem("class") == "class"


# --- the real knowledge base ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(kb):
    return build_matcher(kb)


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("how do i become a physio", "become-a-physiotherapist"),
        ("band5", "band-5-support-roles"),
        ("what does a band 3 do", "band-3"),
        ("how do i join the csp", "join-the-csp"),
        ("hello", "greeting"),
        ("thanks!", "thanks"),
        ("what can you do", "about-this-bot"),
    ],
)
def test_real_knowledge_answers_core_questions(real, question, entry):
    m = real.match(question)
    assert (m.outcome, m.entry_id) == (ANSWER, entry)


@pytest.mark.parametrize(
    "question",
    [
        "my patient has knee pain after a replacement what exercises should they do",
        "how many reps should my patient do for a frozen shoulder",
        "what dose of ibuprofen can i give a patient",
    ],
)
def test_clinical_questions_are_declined(real, question):
    m = real.match(question)
    assert m.outcome == FALLBACK and m.entry_id is None
    assert m.declined == "clinical-advice"


@pytest.mark.parametrize(
    "question", ["what is the weather in leeds tomorrow", "recipe for lasagne", "reset my password"]
)
def test_off_topic_falls_back(real, question):
    assert real.match(question).outcome == FALLBACK


def test_deterministic(real):
    q = "can i get rebanded if i do band 4 work"
    assert len({json.dumps(real.match(q).as_json()) for _ in range(5)}) == 1


def test_hostile_input_is_bounded_and_quick(real):
    start = time.perf_counter()
    for text in ("band 5 " * 6000, "a" * 40_000, "ثبت نام در انجمن" * 500, "<@U1>" * 5000):
        assert real.match(text).outcome in (ANSWER, CLARIFY, FALLBACK)
    assert time.perf_counter() - start < 5  # generous: a guard against runaway work, not a benchmark


def test_out_of_scope_examples_decline_with_the_decline_entry_that_fits_or_plainly():
    m = Matcher(
        [
            Item("band-4-pay", ("how much is band 4 pay", "band 4 salary")),
            Item("clinical-advice", ("patient dizzy during exercise", "patient pain exercise"), decline=True),
            Item(OUT_OF_SCOPE, ("patient dizzy during exercise on the stairs", "where can i park at work"), True),
        ]
    )
    near_both = m.match("my patient went dizzy during exercise on the stairs")
    assert (near_both.outcome, near_both.declined) == ("fallback", "clinical-advice")
    only_examples = m.match("where can i park my car at work")
    assert (only_examples.outcome, only_examples.declined) == ("fallback", None)
    assert OUT_OF_SCOPE not in {c.entry_id for c in near_both.candidates + only_examples.candidates}
    assert m.match("how much is band 4 pay").entry_id == "band-4-pay"
