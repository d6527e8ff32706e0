# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint lint-knowledge eval bench format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## start the bot: Slack when configured, otherwise the terminal chat
	$(BIN)/physio-career run

test: $(STAMP)  ## lint, knowledge check, evaluation and the whole test suite
	$(BIN)/ruff check bot tests bench
	$(BIN)/physio-career lint knowledge
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench

lint-knowledge: $(STAMP)
	$(BIN)/physio-career lint knowledge

eval: $(STAMP)
	$(BIN)/physio-career eval tests/eval/questions.yaml

bench: $(STAMP)
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/load.py

format: $(STAMP)
	$(BIN)/ruff format bot tests bench
	$(BIN)/ruff check --fix bot tests bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
