"""knowledge/examples/: labelled member questions the matcher learns from, on copies of the fixture knowledge base."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.brain.evaluation import held_out
from bot.brain.lint import check_knowledge, load_knowledge
from bot.brain.matcher import OUT_OF_SCOPE
from bot.brain.reply import Answerer
from tests.conftest import FIXTURE_KNOWLEDGE, ROOT

TODAY = dt.date(2026, 12, 1)
ODD = "my gaffer reckons i should go for the ticket"  # no entry's words: the fixture falls back on it
ODD_TOO = "gaffer reckons i should go for that ticket then?"
OFF = "how much is band 4 pay in the army"  # the fixture answers it with pay-rates
OFF_TOO = "what would band 4 pay be in the army reserves"
WOBBLY = "mrs k in bay 3 is wobbly, can i take her on the stairs"


@pytest.fixture
def copy(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    (target / "examples").mkdir()
    return target


def write(copy: Path, name: str, items: list[dict]) -> Path:
    path = copy / "examples" / name
    path.write_text(json.dumps({"questions": items}), encoding="utf-8")  # JSON is YAML
    return path


def test_an_example_teaches_the_bot_a_way_of_asking(copy, kb):
    before = Answerer(kb)
    assert before.reply(ODD, today=TODAY).outcome == "fallback"
    write(copy, "asked.yaml", [{"q": ODD, "expect": "band-4"}])
    after = Answerer(load_knowledge(copy, today=TODAY))
    for question in (ODD, ODD_TOO):  # the example itself, and another wording of it
        reply = after.reply(question, today=TODAY)
        assert (reply.outcome, reply.entry_id) == ("answer", "band-4"), question


def test_out_of_scope_examples_give_the_plain_i_dont_know_reply(copy, kb):
    assert Answerer(kb).reply(OFF, today=TODAY).entry_id == "pay-rates"
    write(copy, "off.yaml", [{"q": OFF, "expect": "fallback"}, {"q": "army medic pay", "expect": "fallback"}])
    brain = Answerer(load_knowledge(copy, today=TODAY))
    for question in (OFF, OFF_TOO):
        reply = brain.reply(question, today=TODAY)
        assert reply.outcome == "fallback" and reply.declined is None and reply.offer_person, question
        assert OUT_OF_SCOPE not in {c.entry_id for c in reply.candidates}
    # the career question itself is still answered
    assert brain.reply("how much is band 4 pay", today=TODAY).entry_id == "pay-rates"


def test_a_label_that_is_not_an_entry_is_a_warning_and_is_not_learned(copy):
    write(copy, "asked.yaml", [{"q": ODD, "expect": "band-44"}, {"q": "band 4 pay", "expect": "pay-rates"}])
    kb, problems = check_knowledge(copy, today=TODAY)
    assert kb is not None and [p for p in problems if p.level == "error"] == []
    [warning] = [str(p) for p in problems if p.rule == "unknown-example"]
    assert "examples/asked.yaml" in warning and "'band-44'" in warning and "not an entry" in warning
    assert [(ex.q, ex.expect, ex.source) for ex in kb.examples] == [("band 4 pay", "pay-rates", "asked")]
    assert Answerer(kb).reply(ODD, today=TODAY).outcome == "fallback"


@pytest.mark.parametrize(
    "text, says",
    [
        ("questions: [broken\n", "examples/bad.yaml"),
        ("questions: just words\n", "must have a 'questions' list"),
        ("# only a comment\n", "must have a 'questions' list"),
        ("questions:\n  - q: hello\n", "item 1 needs 'q'"),
        ("questions:\n  - just a line\n", "item 1 needs 'q'"),
        ("questions:\n  - q: no\n    expect: band-4\n", "put the question in double quotes"),
        ("questions:\n  - q: 2024\n    expect: band-4\n", "put the question in double quotes"),
        (b"questions:\n  - q: caf\xe9\n    expect: band-4\n", "examples/bad.yaml"),
    ],
)
def test_a_broken_examples_file_fails_lint_naming_it_but_the_bot_still_starts(copy, text, says):
    path = copy / "examples" / "bad.yaml"
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text, encoding="utf-8")
    write(copy, "good.yaml", [{"q": ODD, "expect": "band-4"}])
    _, problems = check_knowledge(copy, today=TODAY)
    errors = [str(p) for p in problems if p.level == "error"]
    assert errors and any(says in e for e in errors), errors
    assert all("examples/bad.yaml" in e for e in errors)
    brain = Answerer(load_knowledge(copy, today=TODAY))  # it serves, and learns from the good file
    assert brain.reply(ODD, today=TODAY).entry_id == "band-4"


@pytest.mark.parametrize("make", ["folder", "dangling link", "yml"])
def test_a_thing_in_examples_that_is_not_a_yaml_file_is_named(copy, tmp_path, make):
    examples = copy / "examples"
    if make == "folder":
        (examples / "d.yaml").mkdir()
    elif make == "dangling link":
        (examples / "d.yaml").symlink_to(tmp_path / "nowhere.yaml")
    else:
        (examples / "d.yml").write_text("questions: []\n")
    _, problems = check_knowledge(copy, today=TODAY)
    [error] = [str(p) for p in problems if p.level == "error"]
    assert "examples/d.y" in error and ("not a file" in error or "rename it to d.yaml" in error)
    assert load_knowledge(copy, today=TODAY) is not None


def test_a_question_with_no_words_is_skipped_with_a_warning(copy):
    write(copy, "odd.yaml", [{"q": "???", "expect": "band-4"}, {"q": "!!!", "expect": "pay-rates"}])
    kb, problems = check_knowledge(copy, today=TODAY)
    assert kb is not None and kb.examples == ()
    found = [str(p) for p in problems if p.level == "warning" and "examples/odd.yaml" in str(p)]
    assert len(found) == 2 and all("no words" in w for w in found)


def test_follow_ups_are_measured_but_not_learned(copy):
    write(
        copy,
        "talk.yaml",
        [
            {"q": "how much is band 3 pay", "expect": "pay-rates", "group": "g"},
            {"q": "and band 4?", "expect": "pay-rates", "group": "g", "follow_up_of": 0},
        ],
    )
    kb = load_knowledge(copy, today=TODAY)
    assert [ex.q for ex in kb.examples] == ["how much is band 3 pay"]


def test_held_out_leaves_out_only_the_measured_files_examples(copy):
    write(copy, "one.yaml", [{"q": ODD, "expect": "band-4"}])
    two = write(copy, "two.yaml", [{"q": "band 4 pay", "expect": "pay-rates"}])
    kb = load_knowledge(copy, today=TODAY)
    assert {ex.source for ex in held_out(kb, copy / "examples" / "one.yaml").examples} == {"two"}
    assert held_out(kb, two).examples == tuple(ex for ex in kb.examples if ex.source == "one")
    assert held_out(kb, ROOT / "tests" / "eval" / "gate.yaml").examples == kb.examples  # not an examples file


def test_eval_held_out_measures_a_file_without_its_own_questions(copy):
    path = write(copy, "asked.yaml", [{"q": ODD, "expect": "band-4"}])

    def run(*flags: str) -> str:
        cmd = [sys.executable, "-m", "bot.cli", "--knowledge", str(copy), "eval", str(path), "--quiet", *flags]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60).stdout

    assert "answered right:         1 (100.0%)" in run()  # learnt from itself
    assert "answered right:         0 (0.0%)" in run("--held-out")


def test_lint_asks_for_examples_of_an_entry_that_has_none(copy, kb):
    answerable = [e for e in kb.entries if e.kind in ("answer", "bot")]
    write(copy, "asked.yaml", [{"q": e.question, "expect": e.id} for e in answerable[1:]])
    _, problems = check_knowledge(copy, today=TODAY)
    [hint] = [str(p) for p in problems if p.rule == "unlabelled"]
    assert answerable[0].id in hint and "knowledge/examples/" in hint and f"expect: {answerable[0].id}" in hint


def test_lint_warns_when_an_example_disagrees_with_another_or_with_an_alternate(copy, kb):
    alternate = next(p for p in kb.by_id["band-4"].alternates)
    write(copy, "one.yaml", [{"q": "band 4 pay", "expect": "pay-rates"}, {"q": alternate, "expect": "rebanding"}])
    write(copy, "two.yaml", [{"q": "Band 4 pay?", "expect": "band-4"}, {"q": "tell me a joke", "expect": "fallback"}])
    _, problems = check_knowledge(copy, today=TODAY)
    found = sorted(str(p) for p in problems if p.rule == "example-conflict")
    assert len(found) == 2, found
    assert "is an alternate of 'band-4'" in found[0] and "examples/one.yaml" in found[0]
    assert "is also an example for 'pay-rates' in knowledge/examples/one.yaml" in found[1]
    assert "examples/two.yaml" in found[1]


def test_an_example_labelled_with_a_decline_teaches_that_decline(copy, kb):
    question = "mrs k in bay 3 is wobbly on her feet, can i try her on the stairs today"
    assert Answerer(kb).reply(question, today=TODAY).declined != "clinical-advice"
    write(
        copy,
        "care.yaml",
        [{"q": "mrs k in bay 3 is wobbly, can i take her on the stairs", "expect": "clinical-advice"}],
    )
    reply = Answerer(load_knowledge(copy, today=TODAY)).reply(question, today=TODAY)
    assert (reply.outcome, reply.declined) == ("fallback", "clinical-advice")


def test_eval_counts_a_decline_label_as_out_of_scope_and_checks_the_decline(copy, tmp_path):
    write(
        copy,
        "care.yaml",
        [{"q": "mrs k in bay 3 is wobbly, can i take her on the stairs", "expect": "clinical-advice"}],
    )
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "questions:\n"
        "  - q: mrs k in bay 3 is wobbly on her feet, can i try her on the stairs today\n    expect: clinical-advice\n"
        "  - q: tell me a joke\n    expect: clinical-advice\n"
    )
    cmd = [sys.executable, "-m", "bot.cli", "--knowledge", str(copy), "eval", str(questions), "--quiet"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60).stdout
    assert "in-scope questions:       0" in out and "out-of-scope questions:   2" in out
    assert "declined:               2 (100.0%)" in out and "with the decline named: 1 of the 2" in out


def test_held_out_also_leaves_out_near_copies_from_other_files(copy, tmp_path):
    from bot.brain.evaluation import load_questions

    write(copy, "one.yaml", [{"q": ODD, "expect": "band-4"}, {"q": "band 4 pay", "expect": "pay-rates"}])
    elsewhere = tmp_path / "asked.yaml"  # not an examples file: only its near copies are left out
    elsewhere.write_text(json.dumps({"questions": [{"q": ODD.upper() + "!!", "expect": "band-4"}]}))
    kb = load_knowledge(copy, today=TODAY)
    kept = held_out(kb, elsewhere, load_questions(elsewhere, kb)).examples
    assert [ex.q for ex in kept] == ["band 4 pay"]
    reordered = tmp_path / "reordered.yaml"  # the same words in another order are a copy too
    reordered.write_text(
        json.dumps({"questions": [{"q": "i should go for the ticket my gaffer reckons", "expect": "band-4"}]})
    )
    assert [ex.q for ex in held_out(kb, reordered, load_questions(reordered, kb)).examples] == ["band 4 pay"]


def test_held_out_reads_a_symlinked_examples_file_under_its_own_name(copy, tmp_path):
    target = tmp_path / "kept-elsewhere.yaml"
    target.write_text(json.dumps({"questions": [{"q": ODD, "expect": "band-4"}]}))
    (copy / "examples" / "linked.yaml").symlink_to(target)
    kb = load_knowledge(copy, today=TODAY)
    assert [ex.source for ex in kb.examples] == ["linked"]
    assert held_out(kb, copy / "examples" / "linked.yaml").examples == ()
