# Spyglass developer commands. Every target creates and uses its own virtual environment
# (.venv), so a fresh machine needs only Python 3.11 and, for the browser tests, apt.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

.PHONY: install install-dev system-deps demo serve test test-fast lint bench screenshots clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PY) not found)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Runtime install: server + SDK + what the demo drives (the demo extra: the real openai and
# anthropic SDKs, LangGraph + langchain-openai + its OpenInference instrumentor).
.stamp-install: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e ".[server,redaction,demo]"
	@touch $@

# Everything the tests need (test-side instrumentations, Playwright driver, linters).
.stamp-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e ".[dev]"
	@touch $@

install: .stamp-install
install-dev: .stamp-dev

# Debian packages the tests use (headless Chromium for the UI tests). Idempotent.
system-deps:
	@bash scripts/system-deps.sh

demo: install
	$(BIN)/spyglass demo

serve: install
	$(BIN)/spyglass serve

test: install-dev system-deps
	$(BIN)/python -m pytest -q -ra

test-fast: install-dev
	$(BIN)/python -m pytest -q -m "not e2e"

lint: install-dev
	$(BIN)/ruff check spyglass tests bench
	$(BIN)/ruff format --check spyglass
	$(BIN)/mypy

# BASELINE=<git ref>: ingest throughput is also measured for that build, interleaved (same run).
bench: install-dev system-deps
	SPYGLASS_BENCH_BASELINE=$(BASELINE) $(BIN)/python -m bench.run

screenshots: install-dev system-deps
	$(BIN)/python -m pytest -q tests/e2e --screenshots docs/img

clean:
	rm -rf $(VENV) .stamp-* .spyglass
