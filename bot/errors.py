"""The errors the bot raises on purpose; each message is meant to be read by a person.

    PhysioCareerError
     ├── ConfigError        a setting is missing or invalid (names the environment variable)
     ├── KnowledgeError     the knowledge base has errors (each Problem names file, line and entry)
     ├── UsageError         a command was given something it cannot use (a --since date in the future)
     └── StorageError       the curators' log cannot be reached, opened or read (bot.curators_log.store)

`MarkdownError` (bot.brain.markdown) is a ValueError raised while checking answers; lint turns it into a Problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]


class PhysioCareerError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(PhysioCareerError):
    """A setting is missing or invalid; the message names the environment variable."""


class UsageError(PhysioCareerError):
    """A command-line value that cannot be used; the message says what to type instead."""


@dataclass(frozen=True)
class Problem:
    """One finding of the knowledge check: where it is, which entry, and what is wrong.

    `rule` names the check when something else needs to know it ("expired": a figure's valid_until has passed,
    which stops lint and CI but never stops a running bot from answering).
    """

    level: Level
    file: str
    line: int | None
    entry_id: str | None
    message: str
    rule: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        who = f" entry '{self.entry_id}':" if self.entry_id else ""
        tag = "" if self.level == "error" else " warning:"
        return f"{where}:{tag}{who} {self.message}"


class KnowledgeError(PhysioCareerError):
    """The knowledge base has errors; `problems` lists each with its file, line and entry id."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.level == "error"]
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the knowledge base has {len(self.problems)} error(s):\n{lines}")
