"""The few errors the bot raises on purpose; each message is meant to be read by a person."""

from __future__ import annotations

from dataclasses import dataclass


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


@dataclass(frozen=True)
class Problem:
    """One finding of the knowledge check: where it is, which entry, and what is wrong."""

    level: str  # "error" or "warning"
    file: str
    line: int | None
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        who = f" entry '{self.entry_id}':" if self.entry_id else ""
        tag = "" if self.level == "error" else " warning:"
        return f"{where}:{tag}{who} {self.message}"


class KnowledgeError(Exception):
    """The knowledge base has errors; `problems` lists each with its file, line and entry id."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.level == "error"]
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the knowledge base has {len(self.problems)} error(s):\n{lines}")
