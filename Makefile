# Two commands matter: `make plan ENV=staging` and `make test`. Each installs what it needs.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ENV    ?= staging

# Re-install when the dependency list changes; the offline cache rebuilds itself when stale.
INSTALLED := $(VENV)/.installed
# checkov pins libraries (packaging<24) that clash with pytest, so it gets a venv of its own.
CHECKOV_VERSION := 3.3.30
CHECKOV := $(VENV)/tools/checkov/bin/checkov

.PHONY: setup plan validate pytest lint test fmt docs clean

setup: $(INSTALLED)
	@$(BIN)/carcierge offline-setup >/dev/null

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --disable-pip-version-check -e '.[dev]'
	@touch $@

$(CHECKOV): Makefile
	$(PYTHON) -m venv $(VENV)/tools/checkov
	$(VENV)/tools/checkov/bin/python -m pip install -qq --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@touch $@

plan: setup
	$(BIN)/carcierge plan --environment $(ENV)

validate: setup
	OFFLINE=1 $(BIN)/carcierge validate

pytest: setup
	$(BIN)/pytest -n 2

lint: setup
	$(BIN)/ruff check pipeline-scripts
	$(BIN)/ruff format --check pipeline-scripts

test: lint validate pytest

docs: setup
	$(BIN)/carcierge docs

fmt: setup
	$(BIN)/terraform fmt -recursive modules environments tests *.tf *.tfvars
	$(BIN)/ruff format pipeline-scripts
	$(BIN)/ruff check --fix pipeline-scripts

clean:
	rm -rf build .cache
