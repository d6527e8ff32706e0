#!/usr/bin/env python3
"""Write requirements.txt: every runtime dependency of pyproject.toml, and theirs, pinned to the versions
installed in this environment (`make requirements`). Heroku's Python buildpack installs from this file; the
last line installs the bot itself. tests/test_packaging.py checks that the two files agree."""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# Generated from pyproject.toml by `make requirements` (.ci/requirements.py): do not edit by hand.
# Pinned for Heroku's Python buildpack; tests/test_packaging.py checks it agrees with pyproject.toml.
"""


def closure(roots: list[str]) -> dict[str, str]:
    """name -> installed version for `roots` and everything they need here (markers and extras evaluated)."""
    env = default_environment()
    pins: dict[str, str] = {}
    todo: list[tuple[Requirement, str]] = [(Requirement(r), "") for r in roots]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
            continue
        name = canonicalize_name(req.name)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{req.name} is not installed here: run `make .venv/.installed` first")
        wanted = [""] + sorted(req.extras)
        if name in pins and not req.extras:
            continue
        pins[name] = dist.version
        for line in dist.requires or ():
            for want in wanted:
                todo.append((Requirement(line), want))
    return pins


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = closure(list(project["dependencies"]))
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    (ROOT / "requirements.txt").write_text(HEADER + "\n".join(lines) + "\n.\n", encoding="utf-8")
    print(f"requirements.txt: {len(lines)} pinned packages")


if __name__ == "__main__":
    main()
