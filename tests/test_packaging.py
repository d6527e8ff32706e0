"""A normal install works: the package list, the knowledge shipped inside it, and requirements.txt for Heroku."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_under_bot_is_listed_for_the_wheel():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "bot").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found - listed == set()
    assert "bot._knowledge" in listed


def test_requirements_txt_pins_every_dependency_of_pyproject():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    pins = {}
    for line in lines:
        if line and not line.startswith("#") and line != ".":
            req = Requirement(line)
            [spec] = list(req.specifier)
            assert spec.operator == "==", f"{line} is not pinned"
            pins[canonicalize_name(req.name)] = spec.version
    assert lines[-1] == ".", "the last line installs the bot itself"
    for raw in PYPROJECT["project"]["dependencies"]:
        req = Requirement(raw)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.txt: run `make requirements`"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} does not meet {raw}"
        for extra in req.extras:  # psycopg[binary] needs psycopg-binary
            assert canonicalize_name(f"{req.name}-{extra}") in pins


@pytest.mark.slow
def test_an_installed_copy_answers_from_another_folder(tmp_path):
    """`pip install .` then `physio-career ask band5` from any folder finds the packaged knowledge base."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (target / "bot" / "_knowledge" / "settings.yaml").is_file()
    examples = {p.name for p in (ROOT / "knowledge" / "examples").glob("*.yaml")}
    assert examples and {p.name for p in (target / "bot" / "_knowledge" / "examples").glob("*.yaml")} == examples
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("KNOWLEDGE_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(['ask', '--json', 'band5']))"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '"entry": "band-5-support-roles"' in done.stdout
    helped = subprocess.run(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(['--help']))"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert str(target / "bot" / "_knowledge") in "".join(helped.stdout.split())  # argparse wraps long paths
