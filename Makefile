# Two commands set everything up on a fresh machine: `make run` and `make test`. `make` alone lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := bot tests bench

.DEFAULT_GOAL := help
.PHONY: help run test lint lint-knowledge typecheck eval eval-tuning bench format requirements clean

help:  ## list the targets
	@echo "physio-career: make TARGET"
	@awk -F':.*## ' '/^[a-z-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# A .venv made by another Python (or a broken one) is rebuilt rather than failing for ever.
$(BIN)/python:
	@if [ -d $(VENV) ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
		echo "rebuilding $(VENV): it was made by a Python older than 3.11 or is broken"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "$(VENV) was made by a Python older than 3.11: rebuilding it"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## start the bot: every configured channel, otherwise the terminal chat
	$(BIN)/physio-career run

test: $(STAMP)  ## ruff (lint, format, import boundaries), mypy, the knowledge check and the whole test suite
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy
	$(BIN)/physio-career lint knowledge
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff: lint, format and the import boundaries (no Slack or Teams SDK outside its channel)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

typecheck: $(STAMP)  ## mypy on bot/
	$(BIN)/mypy

lint-knowledge: $(STAMP)  ## check the knowledge base (what curators run)
	$(BIN)/physio-career lint knowledge

eval: $(STAMP)  ## the quality gate: the blind question set
	$(BIN)/physio-career eval tests/eval/gate.yaml --min-accuracy 0.92 --max-wrong 0.02 --min-declined 0.95 --quiet

eval-tuning: $(STAMP)  ## each examples file, measured with its own questions left out (where thresholds are chosen)
	@for f in knowledge/examples/*.yaml; do echo "== $$f (held out)"; $(BIN)/physio-career eval $$f --held-out --quiet || true; done

bench: $(STAMP)  ## quality, speed and load benchmarks, each beside its baseline
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/load.py

format: $(STAMP)  ## format the code and fix what ruff can
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

requirements: $(STAMP)  ## regenerate requirements.txt (pinned, for Heroku) from pyproject.toml
	$(BIN)/python .ci/requirements.py

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
