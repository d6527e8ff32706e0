"""Helpers for the benchmark smoke tests: run a bench/ script as people run it, and import its functions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "bench"
if str(BENCH) not in sys.path:  # the scripts import their shared helpers as `benchlib`
    sys.path.insert(0, str(BENCH))


def run_bench(script: str, *args: str, json_path: Path, timeout: float = 120) -> tuple[str, dict]:
    """Run `python bench/<script> <args> --json <json_path>`; its stdout and the numbers it wrote."""
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--json", str(json_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=timeout,
    )
    assert done.returncode == 0, f"{script} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout, json.loads(json_path.read_text(encoding="utf-8"))


@pytest.fixture
def bench(tmp_path):
    def run(script: str, *args: str, timeout: float = 120) -> tuple[str, dict]:
        return run_bench(script, *args, json_path=tmp_path / f"{Path(script).stem}.json", timeout=timeout)

    return run
