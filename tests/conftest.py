"""Fixtures shared by every test: a clean environment and the real knowledge base."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.brain.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No Slack or database setting from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in {
            "DATABASE_URL",
            "LOG_QUESTIONS",
            "RETENTION_DAYS",
            "ADMIN_USER_IDS",
            "USER_HASH_KEY",
            "KNOWLEDGE_DIR",
            "PORT",
        }:
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def kb():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def answerer(kb):
    from bot.brain.reply import Answerer

    return Answerer(kb)
