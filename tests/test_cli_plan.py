"""`physio-career plan`: the planner at the command line, interactive or with --json for tests and curators."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.conftest import KNOWLEDGE
from tests.test_cli import FIXTURE, run

WALES = ["--band", "3", "--nation", "wales", "--goal", "physiotherapist", "--study", "keep-income", "--quals", "yes"]


def plan_json(capsys, *argv: str, knowledge: list[str] = FIXTURE) -> dict:
    assert main([*knowledge, "plan", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_plan_json_prints_the_steps_entry_ids_and_titles(capsys, kb):
    out = plan_json(capsys, *WALES)
    assert out["answers"] == {
        "band": "3",
        "nation": "wales",
        "goal": "physiotherapist",
        "study": "keep-income",
        "quals": "yes",
    }
    assert out["nation"] == "wales" and out["nation_assumed"] is False and out["title"]
    assert 3 <= len(out["steps"]) <= 6
    for step in out["steps"]:
        assert set(step) == {"step", "entry", "title", "stage", "link"}
        assert kb.get(step["entry"]) is not None and step["title"] == kb.pathways.get(step["step"]).title
        assert step["link"].startswith("https://")
    assert "degree-apprenticeship" not in [s["step"] for s in out["steps"]]  # England's, not Wales's


def test_plan_json_on_the_real_pathways_gives_the_welsh_routes(capsys):
    out = plan_json(capsys, *WALES, knowledge=["--knowledge", str(KNOWLEDGE)])
    steps = [s["step"] for s in out["steps"]]
    assert "degree-apprenticeship" not in steps and "fund-your-studies" in steps


def test_plan_json_counts_missing_answers_as_not_sure(capsys):
    out = plan_json(capsys, "--goal", "band-5")
    assert out["answers"] == {
        "band": "not-sure",
        "nation": "not-sure",
        "goal": "band-5",
        "study": "not-sure",
        "quals": "not-sure",
    }
    assert out["nation"] == "england" and out["nation_assumed"] is True


def test_plan_json_reads_nation_names_like_ask(capsys):
    assert plan_json(capsys, "--nation", "NI")["nation"] == "northern-ireland"
    assert plan_json(capsys, "--nation", "not-sure")["nation_assumed"] is True


def test_plan_refuses_unknown_values(capsys):
    with pytest.raises(SystemExit) as exc:
        main([*FIXTURE, "plan", "--json", "--nation", "france"])
    assert exc.value.code == 2 and "--nation must be one of" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([*FIXTURE, "plan", "--json", "--band", "7"])
    assert exc.value.code == 2


def test_plan_asks_with_numbered_choices():
    # band 3, Wales, become a physiotherapist, keep my income, qualifications yes; then Enter to finish
    result = run(["plan"], stdin="2\n3\n3\n2\n1\n\n")
    assert result.returncode == 0, result.stderr
    assert "What band are you on now?" in result.stdout and "  1. Band 2" in result.stdout
    assert "Your plan: become a physiotherapist" in result.stdout and "Official page:" in result.stdout


def test_plan_with_flags_asks_only_what_is_missing():
    result = run(["plan", "--band", "4", "--nation", "scotland", "--goal", "move-up"], stdin="1\n1\n\n")
    assert result.returncode == 0, result.stderr
    assert "What band are you on now?" not in result.stdout and "question 4 of 5" in result.stdout
    assert "Your plan: move up a band" in result.stdout and "Scotland:" in result.stdout
