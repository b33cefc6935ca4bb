# Peerlight: `make demo` to try it, `make test` to check it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALE_DIR := src/peerlight/locale

.PHONY: help demo test lint typecheck unit messages translations browser-deps bench clean

help:
	@echo "make demo   install, prepare the demo database and serve on http://127.0.0.1:8000"
	@echo "make test   install, then run linters, type checks and the whole test suite"
	@echo "make bench  run every benchmark and write JSON results to var/bench/"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Peerlight needs Python 3.12 or newer (3.13 recommended); set PYTHON=/path/to/python3.13")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Compiled translations (.mo) are build products, made from the .po files.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(LOCALE_DIR)/*/LC_MESSAGES/*.po))

$(LOCALE_DIR)/%.mo: $(LOCALE_DIR)/%.po | $(STAMP)
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: install gettext (apt-get install gettext)"; exit 1; }
	msgfmt --check -o $@ $<

messages: $(MO_FILES)

# Extract new strings into the .po files (then translate them and run `make messages`).
translations: $(STAMP)
	cd src/peerlight && ../../$(BIN)/peerlight makemessages --locale es --no-obsolete --no-location --ignore 'static/vendor/*'

demo: $(STAMP) messages
	$(BIN)/peerlight migrate --no-input
	$(BIN)/peerlight seed_demo
	$(BIN)/peerlight serve --with-worker

browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium from Debian's packages for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium at /usr/bin/chromium."; \
	    echo "Install it as root with: apt-get update && apt-get install -y chromium"; \
	    exit 1; \
	  fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src tests benchmarks

unit: $(STAMP) messages browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck unit

bench: $(STAMP) messages
	$(BIN)/peerlight bench all --json

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
