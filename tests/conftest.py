"""Fixtures shared by every test: a clean environment, and the small fixed knowledge base in tests/data.

Tests of behaviour run on `tests/data/knowledge` (the `kb` fixture), so a curator rewording an answer in
`knowledge/` never turns a test red; only lint and the evaluation gate look at the real one (`real_kb`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.brain.lint import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"  # the real knowledge base: lint and the evaluation gate only
FIXTURE_KNOWLEDGE = ROOT / "tests" / "data" / "knowledge"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No Slack or database setting from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if (
            name.startswith("SLACK_")
            or name
            in {
                "DATABASE_URL",
                "LOG_QUESTIONS",
                "RETENTION_DAYS",
                "ADMIN_USER_IDS",
                "USER_HASH_KEY",
                "KNOWLEDGE_DIR",
                "PORT",
                "WEB_CONCURRENCY",
                "LOG_LEVEL",
            }
            or name.startswith(("CONNECTIONS__", "TEAMS_"))
        ):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def no_writes_to_home(tmp_path_factory, monkeypatch):
    """No test writes into the real user's home folder: the default database goes under a temporary one."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture(scope="session")
def kb():
    return load_knowledge(FIXTURE_KNOWLEDGE)


@pytest.fixture(scope="session")
def real_kb():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def answerer(kb):
    from bot.brain.reply import Answerer

    return Answerer(kb)
