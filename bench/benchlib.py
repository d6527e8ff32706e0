"""Shared helpers for the benchmarks in bench/: tables, percentiles, goal marks, machine facts, JSON output.

The benchmarks are scripts (`python bench/quality.py`), so this module is imported by its plain name.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    """The q-th percentile of durations given in seconds, in milliseconds."""
    if not len(seconds):
        return float("nan")
    return float(np.percentile(np.asarray(seconds, dtype=np.float64), q) * 1000.0)


def fmt(value, digits: int = 1, suffix: str = "") -> str:
    """A number for a table cell; blanks for None/NaN, 'inf' for infinity."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, float) and np.isinf(value):
        return "inf"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}{suffix}"
    return f"{value:,.{digits}f}{suffix}"


def pct(x: float | None) -> float | None:
    """A share (0-1) as a percentage, keeping None."""
    return None if x is None else 100.0 * x


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], title: str | None = None) -> str:
    """A Markdown table (so it can be pasted into the README), columns padded for the terminal."""
    text_rows = [[str(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(cells)) + " |"

    out = []
    if title:
        out.append(title)
        out.append("")
    out.append(line(headers))
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out.extend(line(row) for row in text_rows)
    return "\n".join(out)


@dataclass(frozen=True)
class Goal:
    """One target from the issues and whether this run met it."""

    name: str
    measured: str
    target: str
    ok: bool

    def line(self) -> str:
        return f"[{'PASS' if self.ok else 'FAIL'}] {self.name}: {self.measured} (goal {self.target})"

    def as_json(self) -> dict:
        return {"goal": self.name, "measured": self.measured, "target": self.target, "pass": self.ok}


def goals_block(goals: Sequence[Goal]) -> str:
    return "\n".join(["Goals:", *("  " + g.line() for g in goals)])


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """What the numbers were measured on."""
    versions = {}
    for pkg in ("numpy", "rapidfuzz", "slack_bolt", "slack_sdk"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu_model(),
        "load_average_1m": load_average(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": versions,
        "code": code_version(),
    }


def code_version() -> dict:
    """Which code the numbers belong to: the git commit, whether bot/ had uncommitted changes, the matcher's hash."""
    out: dict = {"commit": None, "bot_uncommitted": None}
    try:
        out["commit"] = _git("rev-parse", "--short", "HEAD")
        out["bot_uncommitted"] = bool(_git("status", "--porcelain", "--", "bot"))
    except (OSError, subprocess.SubprocessError):
        pass
    places = (ROOT / "bot" / "brain" / "matcher.py", ROOT / "bot" / "matcher.py")  # today's, and before bot/brain
    matcher = next((p for p in places if p.exists()), None)
    out["matcher_sha256"] = hashlib.sha256(matcher.read_bytes()).hexdigest()[:12] if matcher else None
    return out


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True)
    return done.stdout.strip()


def code_line() -> str:
    v = code_version()
    if not v["commit"]:
        return f"Code: the matcher's sha256 {v['matcher_sha256']}"
    dirty = " + uncommitted changes in bot/" if v["bot_uncommitted"] else ""
    return f"Code: {v['commit']}{dirty} (bot/brain/matcher.py sha256 {v['matcher_sha256']})"


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def machine_line() -> str:
    """What the numbers come from, with a warning when other processes are busy (timings suffer)."""
    m = machine()
    line = f"Machine: {m['cpus']} CPU(s), {m['cpu']}, Python {m['python']}, {m['platform']}"
    load = m["load_average_1m"]
    if load is not None:
        line += f"; load average {load:.2f}"
        if load > 0.5 * (m["cpus"] or 1):
            line += "\nNote: other processes are busy on this machine, so timings will be slower than when it is idle."
    return line + "\n" + code_line()


def write_json(path: str | None, data: dict) -> None:
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, sort_keys=False, default=_json_default) + "\n", encoding="utf-8")
    print(f"\nWrote {target}")


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        value = float(obj)
        return None if np.isnan(value) or np.isinf(value) else value
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def clean_floats(obj):
    """Replace NaN/inf floats (which JSON cannot hold) by None, recursively."""
    if isinstance(obj, dict):
        return {k: clean_floats(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean_floats(v) for v in obj]
    if isinstance(obj, float | np.floating) and (np.isnan(obj) or np.isinf(obj)):
        return None
    return obj
