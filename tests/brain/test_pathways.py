"""pathways.yaml is read and checked like the rest of the knowledge base: broken copies of the fixture's fail
lint with the file, the line and the step, in words a volunteer understands."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.brain.lint import check_knowledge
from bot.brain.pathways import Situation, all_situations
from tests.conftest import FIXTURE_KNOWLEDGE, KNOWLEDGE

TODAY = dt.date(2026, 11, 27)  # a fixed day: no test depends on today's date


@pytest.fixture
def copy(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _errors(directory: Path) -> list[str]:
    _, problems = check_knowledge(directory, today=TODAY)
    return [str(p) for p in problems if p.level == "error"]


def _warnings(directory: Path) -> list[str]:
    _, problems = check_knowledge(directory, today=TODAY)
    return [str(p) for p in problems if p.level == "warning"]


def test_real_pathways_lint_clean_and_plan_for_every_member(real_kb):
    _, problems = check_knowledge(KNOWLEDGE)
    assert [str(p) for p in problems if "pathways" in p.file] == []
    assert real_kb.pathways and all(3 <= len(real_kb.pathways.select(s)) <= 6 for s in all_situations())


def test_fixture_pathways_load_into_the_knowledge_base(kb):
    assert kb.pathways.file.endswith("pathways.yaml")
    plan = kb.pathways.select(Situation("3", "england", "physiotherapist", "keep-income", "no"))
    assert [s.stage for s in plan] == sorted((s.stage for s in plan), key=("talk", "learn", "role", "register").index)
    assert len(list(all_situations())) == 720


def test_a_missing_pathways_file_is_a_warning_not_an_error(copy):
    (copy / "pathways.yaml").unlink()
    assert _errors(copy) == []
    assert any("pathways.yaml" in w and "planner" in w for w in _warnings(copy))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    entry: rebanding\n",
            "    entry: rebandng\n",
            "entry 'rebandng' does not exist (did you mean 'rebanding'?)",
        ),
        ("    entry: rebanding\n", "    entry: clinical-advice\n", "is a decline, not a career answer"),
        ("    stage: talk\n    order: 10\n", "    stage: chat\n    order: 10\n", "stage must be one of talk, learn"),
        ("    order: 10\n", "    order: first\n", "order must be a whole number"),
        (
            "    how_long: One conversation.\n",
            "    how_long: One conversation.\n    howlong: x\n",
            "unknown field 'howlong'",
        ),
        ("    when: {goal: [move-up, band-5, not-sure]}", "    when: {goals: [move-up]}", "unknown condition 'goals'"),
        ("    when: {goal: [move-up, band-5, not-sure]}", "    when: {goal: [move-on]}", "did you mean 'move-up'"),
        ("    when: {goal: [move-up, band-5, not-sure]}", "    when: {band: [7]}", "when.band has '7'"),
        (
            '    when: {goal: [physiotherapist], quals: ["no", not-sure]}',
            "    when: {quals: [no]}",
            'put "yes" and "no"',
        ),
        ("steps:\n", "stepz: []\nsteps:\n", "unknown top-level key 'stepz'"),
        (
            "      northern-ireland:\n        nothing_specific: |\n          Nothing here is specific to Northern "
            "Ireland: talk",
            "      northern-irland:\n        nothing_specific: |\n          Nothing here is specific to Northern "
            "Ireland: talk",
            "unknown nation 'northern-irland' (did you mean 'northern-ireland'?)",
        ),
        (
            "      england:\n        nothing_specific: |\n          Nothing here is specific to England: talk",
            "      england:\n        nothing_specific: too short\n      x:\n        nothing_specific: |\n"
            "          Nothing here is specific to England: talk",
            "nothing_specific has 2 words",
        ),
        (
            "    cost_or_pay: You keep earning while you train.\n",
            "    cost_or_pay: You keep earning while you train.\n    link:\n      title: A blog\n"
            "      url: https://example.com/physio\n",
            "is not on an allowed domain: example.com",
        ),
        (
            "    how_long: A few minutes online.\n",
            "    how_long: A few minutes online.\n    cost_or_pay: £50 a year.\n",
            "quotes a figure (£50) but has no valid_until",
        ),
        ("    why: |\n      As a member", "    why: |\n      Too short. As a member", None),
        ("    reviewed: 2026-11-01\n", "    reviewed: 2027-01-01\n", "is in the future"),
        ("    title: Join the CSP as an associate member\n", "    title: " + "x" * 90 + "\n", "at most 80"),
    ],
)
def test_broken_steps_are_reported_with_file_line_and_step(copy, old, new, expected):
    _edit(copy / "pathways.yaml", old, new)
    errors = _errors(copy)
    if expected is None:  # a harmless change: still clean
        assert errors == []
        return
    hits = [e for e in errors if expected in e]
    assert hits, errors
    assert hits[0].startswith("knowledge/pathways.yaml")


def test_a_nation_part_is_required_for_every_nation_the_step_applies_to(copy):
    path = copy / "pathways.yaml"
    _edit(
        path,
        "      wales:\n        nothing_specific: |\n          Nothing here is specific to Wales: talk to your line "
        "manager, as everywhere else in the UK.\n",
        "",
    )
    assert any("step 'talk-to-your-manager': nations: Wales is missing" in e for e in _errors(copy))


def test_a_part_for_a_nation_the_step_never_applies_to_is_an_error(copy):
    _edit(
        copy / "pathways.yaml",
        "          In England, ask your manager or education lead whether your trust offers degree apprenticeship "
        "places.\n",
        "          In England, ask your manager or education lead whether your trust offers degree apprenticeship "
        "places.\n      wales:\n        text: |\n          In Wales there is no degree apprenticeship, so look at "
        "other routes instead.\n",
    )
    assert any("has a part for Wales, but its `when` never applies there" in e for e in _errors(copy))


def test_every_member_must_get_three_to_six_steps(copy):
    _edit(copy / "pathways.yaml", "  - id: join-the-csp\n", "  - id: join-the-csp\n    when: {band: ['2']}\n")
    errors = _errors(copy)
    assert any("a plan needs 3 to 6 steps" in e and "goal not sure yet" in e for e in errors), errors
    assert any(e.startswith("knowledge/pathways.yaml: and ") and "more plans of the wrong size" in e for e in errors)


def test_stages_must_come_in_order(copy):
    _edit(copy / "pathways.yaml", "    stage: role\n    order: 70\n", "    stage: role\n    order: 35\n")
    errors = _errors(copy)
    assert any(
        "step 'band-5-support-role' (stage role) comes before 'band-4-training' (stage learn)" in e for e in errors
    )


def test_registration_only_for_the_physiotherapist_goal(copy):
    _edit(
        copy / "pathways.yaml",
        "    stage: role\n    order: 70\n",
        "    stage: register\n    order: 70\n",
    )
    assert any("a band 5 support role, for one, is not registration" in e for e in _errors(copy))


def test_required_steps_must_have_a_lower_order(copy):
    _edit(copy / "pathways.yaml", "    stage: learn\n    order: 40\n", "    stage: learn\n    order: 95\n")
    errors = _errors(copy)
    assert any("requires 'check-your-qualifications' first" in e for e in errors), errors
    _edit(copy / "pathways.yaml", "    requires: [check-your-qualifications]\n", "    requires: [check-quals]\n")
    assert any("requires 'check-quals', which is not a step" in e for e in _errors(copy))


def test_registration_before_any_learning_is_an_error(copy):
    _edit(
        copy / "pathways.yaml",
        '    when: {goal: [physiotherapist], quals: ["no", not-sure]}',
        '    when: {goal: [physiotherapist], quals: ["no"], band: ["5"]}',
    )
    errors = _errors(copy)
    assert any("leads to registration with no 'learn' step before it" in e for e in errors), errors


def test_an_honest_limit_should_say_who_to_ask(copy):
    _edit(
        copy / "pathways.yaml",
        "    honest_limit: Your CSP steward can help you check the job description and prepare a review.\n",
        "    honest_limit: It depends on what happens locally and on the panel that decides it.\n",
    )
    assert any("honest_limit should say who to ask" in w for w in _warnings(copy))
