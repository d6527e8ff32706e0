"""The command line, run as members and curators run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from bot.cli import main
from tests.conftest import FIXTURE_KNOWLEDGE, ROOT

EXE = [sys.executable, "-m", "bot.cli"]
FIXTURE = ["--knowledge", str(FIXTURE_KNOWLEDGE)]


def run(args, stdin="", env=None, knowledge=True):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k != "DATABASE_URL"}
    full_env.update(env or {})
    argv = EXE + (FIXTURE if knowledge else []) + args
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=60)


def test_ask_prints_a_text_answer(capsys, kb):
    assert main([*FIXTURE, "ask", "how", "do", "i", "become", "a", "physio"]) == 0
    out = capsys.readouterr().out
    assert kb.by_id["become-a-physiotherapist"].question in out and "https://" in out and "reviewed" in out
    assert "This answer is for England" in out and "  1. Scotland" in out


def test_ask_json_prints_the_contract(capsys):
    assert main([*FIXTURE, "ask", "--json", "band5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "outcome": "answer",
        "entry": "band-5-support-roles",
        "score": 100,
        "candidates": out["candidates"],
        "nation": None,
        "guard": None,
    }
    assert out["candidates"][0]["entry"] == "band-5-support-roles"


@pytest.mark.parametrize(
    ("argv", "nation"),
    [
        (["ask", "--json", "how much does a band 3 earn in wales"], "wales"),
        (["ask", "--json", "--nation", "scotland", "how much does a band 3 earn"], "scotland"),
        (["ask", "--json", "--nation", "scotland", "band 3 pay in belfast"], "northern-ireland"),
        (["ask", "--json", "how much does a band 3 earn"], "england"),
    ],
)
def test_ask_json_says_which_nation_the_answer_holds_for(capsys, argv, nation):
    assert main([*FIXTURE, *argv]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["entry"] == "pay-rates" and out["nation"] == nation


def test_an_unknown_nation_is_a_usage_error():
    proc = run(["ask", "--nation", "narnia", "band 3 pay"])
    assert proc.returncode == 2 and "--nation must be one of" in proc.stderr


def test_chat_offers_the_other_nations_by_number_and_keeps_a_chosen_one():
    proc = run(["chat"], stdin="how much does a band 3 earn\n2\nnation scotland\nhow much does a band 3 earn\nquit\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "This answer is for England" in out and "  2. Wales" in out
    assert "In Wales" in out  # the number chose Wales
    assert out.rstrip().count("In Scotland") >= 1 and "This answer is for Scotland." in out


def test_ask_json_reads_one_question_per_line_from_stdin():
    proc = run(["ask", "--json", "-"], stdin="band5\nwhat is the weather like in spain\nhello\n")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["outcome"] for r in rows] == ["answer", "fallback", "answer"]
    assert rows[0]["entry"] == "band-5-support-roles" and rows[1]["entry"] is None
    assert rows[2]["entry"] == "greeting"


def test_topics_lists_entries_with_shortcuts(capsys):
    assert main([*FIXTURE, "topics"]) == 0
    out = capsys.readouterr().out
    assert "band-5-support-roles" in out and "[band5]" in out
    assert "Roles, bands and pay" in out


def test_lint_passes_on_the_fixture_knowledge(capsys):
    assert main(["lint", str(FIXTURE_KNOWLEDGE)]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_lint_fails_on_a_broken_copy_with_a_clear_message(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    path = target / "roles.yaml"
    path.write_text(path.read_text().replace("- id: band-3\n", "- id: band-4\n", 1))
    proc = run(["lint", str(target)], knowledge=False)
    assert proc.returncode == 1
    assert "knowledge/roles.yaml:" in proc.stderr and "entry 'band-4': duplicate id" in proc.stderr


def test_bot_refuses_to_start_on_a_broken_knowledge_base(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    (target / "resources.yaml").write_text("topic: [broken\n")
    proc = run(["--knowledge", str(target), "ask", "hello"], knowledge=False)
    assert proc.returncode == 2
    assert "cannot start" in proc.stderr and "resources.yaml" in proc.stderr


def test_eval_exits_non_zero_under_the_thresholds(tmp_path):
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "questions:\n  - q: what is the capital of peru\n    expect: band-3\n  - q: hello\n    expect: greeting\n"
    )
    proc = run(["eval", str(questions)])
    assert proc.returncode == 1
    assert "answered right:         1 (50.0%)" in proc.stdout
    assert "band-3 -> fallback" in proc.stdout
    assert "FAIL: in-scope accuracy 50.0% is under 90%" in proc.stderr


def test_eval_rejects_an_unknown_label(tmp_path):
    questions = tmp_path / "q.yaml"
    questions.write_text("questions:\n  - q: hi\n    expect: no-such-entry\n")
    proc = run(["eval", str(questions)])
    assert proc.returncode == 2 and "unknown entry 'no-such-entry'" in proc.stderr


def test_chat_answers_and_picks_a_did_you_mean_by_number():
    proc = run(["chat"], stdin="hello\nband5\nquit\n")
    assert proc.returncode == 0, proc.stderr
    assert "Ask a career question" in proc.stdout
    assert proc.stdout.count("you>") >= 3
    assert "band 5" in proc.stdout.lower()


def test_run_without_any_channel_opens_the_chat(tmp_path):
    proc = run(["run"], stdin="help\n", env={"DATABASE_URL": f"sqlite:///{tmp_path}/log.sqlite3"})
    assert proc.returncode == 0, proc.stderr
    assert "No channel is configured" in proc.stdout and "Topics I know" in proc.stdout


def test_run_with_a_half_configured_channel_names_the_variable_instead_of_opening_the_chat():
    proc = run(["run"], stdin="help\n", env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert proc.returncode == 2
    assert "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is" in proc.stderr
    assert "you>" not in proc.stdout


def test_a_mistyped_database_url_names_the_setting():
    proc = run(["ask", "hello"], env={"DATABASE_URL": "sqlite://relative.db"})
    assert proc.returncode == 2 and "DATABASE_URL" in proc.stderr


@pytest.mark.parametrize("argv", [["ask"], ["nonsense"]])
def test_usage_errors_exit_2(argv):
    proc = run(argv)
    assert proc.returncode == 2 and "usage:" in proc.stderr
