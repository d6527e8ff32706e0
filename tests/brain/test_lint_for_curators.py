"""Lint speaks to volunteers: one root cause gives one message in plain words, nothing passes silently, the
evaluation set grows with the knowledge, and a curator following the guide gets a green check on any day."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.brain.lint import check_knowledge, load_knowledge
from tests.conftest import FIXTURE_KNOWLEDGE, ROOT

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def copy(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    return target


def problems(directory: Path, today: dt.date = TODAY):
    _, found = check_knowledge(directory, today=today)
    return found


def errors(directory: Path, today: dt.date = TODAY) -> list[str]:
    return [str(p) for p in problems(directory, today) if p.level == "error"]


def warnings(directory: Path, today: dt.date = TODAY) -> list[str]:
    return [str(p) for p in problems(directory, today) if p.level == "warning"]


def test_one_tab_gives_one_message_that_says_what_to_type(copy):
    path = copy / "roles.yaml"
    lines = path.read_text().splitlines()
    lines[5] = "\t" + lines[5].lstrip()
    path.write_text("\n".join(lines) + "\n")
    found = errors(copy)
    assert len(found) == 1, found
    assert "knowledge/roles.yaml:6" in found[0] and "tab" in found[0].lower() and "spaces" in found[0].lower()


def test_one_bad_indent_in_settings_gives_one_message(copy):
    path = copy / "settings.yaml"
    text = path.read_text()
    path.write_text(text.replace("  csp_phone:", "    csp_phone:", 1))
    found = errors(copy)
    assert len(found) == 1, found
    assert "settings.yaml" in found[0]


def test_an_unquoted_colon_is_explained(copy):
    path = copy / "roles.yaml"
    text = path.read_text()
    first = text.index("    question: ")
    end = text.index("\n", first)
    path.write_text(text[:end] + " note: this breaks" + text[end:])
    found = errors(copy)
    assert len(found) == 1, found
    assert "quote" in found[0].lower() or "colon" in found[0].lower()


def test_an_indent_slip_that_merges_two_alternates_is_reported(copy):
    path = copy / "roles.yaml"
    text = path.read_text()
    start = text.index("    alternates:\n") + len("    alternates:\n")
    second = text.index("      - ", text.index("\n", start) + 1)
    # the second alternate's dash slips right: YAML reads it as part of the first one
    path.write_text(text[:second] + "        - " + text[second + len("      - ") :])
    found = errors(copy) + warnings(copy)
    assert any("run together" in f and "roles.yaml:7" in f for f in found), found


def test_a_yml_file_is_not_read_silently(copy):
    shutil.copy(copy / "roles.yaml", copy / "extra.yml")
    assert any("extra.yml" in e and ".yaml" in e for e in errors(copy))


def test_an_empty_file_is_reported(copy):
    (copy / "empty.yaml").write_text("")
    assert any("empty.yaml" in p for p in errors(copy) + warnings(copy))


@pytest.mark.parametrize("bad", ["https://www.csp.org.uk", "csp.org.uk/careers", '"*.nhs.uk"', "not a domain"])
def test_a_malformed_allowed_domain_is_reported(copy, bad):
    path = copy / "settings.yaml"
    text = path.read_text()
    path.write_text(text.replace("    - csp.org.uk\n", f"    - csp.org.uk\n    - {bad}\n", 1))
    assert any("allowed_domains" in e for e in errors(copy)), errors(copy)


def test_a_nation_specific_entry_must_cover_all_four_nations(copy):
    path = copy / "learning.yaml"
    text = path.read_text()
    start = text.index("      northern-ireland:")
    end = text.index("\n    ", start + 1)
    while text[end + 1 : end + 9] == "        " or text[end + 1 : end + 8] == "      n":
        end = text.index("\n", end + 1)
    path.write_text(text[:start] + text[end + 1 :])
    found = errors(copy)
    assert any("Northern Ireland is missing" in e and "nothing_specific" in e for e in found), found


def test_a_figure_for_a_past_financial_year_cannot_hold_for_longer(copy):
    path = copy / "roles.yaml"
    text = path.read_text()
    path.write_text(text.replace("(test figure)", "(2025/26 figure)", 1))
    found = errors(copy)
    assert any("2025/26" in e or "2026-03-31" in e for e in found), found


def test_an_expired_figure_fails_lint_but_the_bot_still_starts(copy):
    later = dt.date(2100, 1, 1)
    assert any("valid_until" in e for e in errors(copy, later))
    kb = load_knowledge(copy, today=later)  # never stops the bot
    assert kb.expired(later)


def test_lint_warns_from_sixty_days_before_a_figure_expires(copy):
    before = dt.date(2099, 3, 31) - dt.timedelta(days=59)
    assert any("valid_until" in w for w in warnings(copy, before))
    assert not any("valid_until" in w for w in warnings(copy, dt.date(2099, 3, 31) - dt.timedelta(days=61)))


def test_a_guard_must_point_at_a_decline(copy):
    (copy / "guards.yaml").write_text("guards:\n  - id: oops\n    decline: band-3\n    any: [my patient]\n")
    assert any("guard 'oops'" in e and "decline" in e for e in errors(copy))


def test_a_facet_needs_a_known_entry(copy):
    (copy / "facets.yaml").write_text("facets:\n  - id: oops\n    answer: no-such-entry\n    any: [salary]\n")
    assert any("facet 'oops'" in e and "no-such-entry" in e for e in errors(copy))


# --- the curator's journey -------------------------------------------------------------------------------------
NEW_ENTRY = """
  - id: preceptorship-for-support-workers
    question: Is there a preceptorship for new support workers?
    alternates:
      - preceptorship for support workers
      - do support workers get a preceptorship
      - new starter preceptorship for therapy assistants
      - is there a preceptorship programme for hcsws
      - support worker preceptorship nhs
      - preceptorship as a new physio assistant
    answer: |
      Some employers run a preceptorship for new support workers: a planned period of support and supervision
      when you start, with protected learning time. Ask your line manager or practice educator whether your trust
      has one and what it covers. It is not the same as the preceptorship for newly registered staff.
    links:
      - title: NHS Employers
        url: https://www.nhsemployers.org/
    related: [band-3]
    source: https://www.nhsemployers.org/
    reviewed: {today}
"""


def test_a_curator_adds_an_entry_by_the_guide_on_any_day_and_gets_a_green_check(tmp_path):
    """Add an entry with today's date, see lint ask for its example questions, add them, lint, ask."""
    today = dt.date.today()
    checkout = tmp_path / "checkout"
    knowledge = checkout / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, knowledge)
    evals = knowledge / "examples"
    evals.mkdir()
    entries = load_knowledge(knowledge, today=today).entries
    lines = "".join(
        f"  - q: {json.dumps(e.question.lower())}\n    expect: {e.id}\n" for e in entries if e.kind in ("answer", "bot")
    )
    (evals / "tuning.yaml").write_text("questions:\n" + lines)
    assert errors(knowledge, today) == [] and warnings(knowledge, today) == []

    with (knowledge / "roles.yaml").open("a") as f:
        f.write(NEW_ENTRY.format(today=today.isoformat()))
    assert errors(knowledge, today) == []
    [hint] = [w for w in warnings(knowledge, today) if "preceptorship-for-support-workers" in w]
    assert "knowledge/examples/" in hint and "expect: preceptorship-for-support-workers" in hint

    suggested = hint[hint.index("  - q:") :]
    with (evals / "tuning.yaml").open("a") as f:
        f.write(suggested + "\n")  # exactly what lint said to add
    assert errors(knowledge, today) == [] and warnings(knowledge, today) == []

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "--knowledge",
            str(knowledge),
            "ask",
            "--json",
            "do support workers get a preceptorship",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '"entry": "preceptorship-for-support-workers"' in done.stdout
