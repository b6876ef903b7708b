# The two commands the README promises: `make demo` and `make test`. Both set up first.
SHELL := /bin/bash
PY ?= python3
ROOT ?= /var/lib/richcompose

.PHONY: setup demo test test-fast lint schema bench

setup:
	bash scripts/setup.sh

demo: setup
	bash examples/hello/demo.sh

test: setup
	$(PY) -m ruff check richcompose tests
	$(PY) -m mypy
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not systemd and not registry"

lint:
	$(PY) -m ruff check richcompose tests
	$(PY) -m mypy

schema:
	$(PY) -m richcompose.config.schema > schemas/richcompose.schema.json
