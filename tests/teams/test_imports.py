"""Each channel's SDK stays inside its channel: nothing outside bot/teams imports the Agents SDK (the brain, the
conversation core and the curators' log least of all), and bot/teams imports nothing of Slack's."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
SDK = "microsoft_agents"
SLACK = ("slack_bolt", "slack_sdk", "bot.slack")


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth (inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            names.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return names


def uses(path: Path, prefixes: tuple[str, ...]) -> set[str]:
    return {n for n in imported(path) if any(n == p or n.startswith(p + ".") for p in prefixes)}


def test_only_bot_teams_imports_the_agents_sdk():
    offenders = {
        str(path.relative_to(ROOT)): uses(path, (SDK,))
        for path in BOT.rglob("*.py")
        if BOT / "teams" not in path.parents and uses(path, (SDK,))
    }
    assert offenders == {}


def test_the_brain_the_core_and_the_log_never_import_either_sdk():
    for package in ("brain", "conversation", "curators_log"):
        for path in (BOT / package).rglob("*.py"):
            assert uses(path, (SDK, *SLACK)) == set(), path


def test_bot_teams_imports_nothing_of_slack():
    for path in (BOT / "teams").rglob("*.py"):
        assert uses(path, SLACK) == set(), path


def test_the_renderer_and_the_package_load_without_the_sdk():
    """cards, markup, ids and package are pure: importing them (and bot.teams) loads no SDK module."""
    code = (
        "import sys, bot.teams, bot.teams.cards, bot.teams.markup, bot.teams.ids, bot.teams.package; "
        f"print(sorted(m for m in sys.modules if m.startswith('{SDK}') or m.startswith('slack')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
