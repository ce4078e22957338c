# One obvious way to run everything: make run, make test, make bench, make lint.
PY ?= python3.11
VENV := .venv
SAMVENV := .venv-sam
CHECKOVVENV := .venv-checkov
PYTHON := $(VENV)/bin/python
SAM := $(SAMVENV)/bin/sam
BUILD_DIR := .aws-sam/build

export AWS_DEFAULT_REGION ?= us-east-1
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

PYTHON_DIRS := functions shared local tests bench scripts

.PHONY: run test test-all test-fast lint lint-python lint-template build bench maintenance invoke status webhook-target clean browser tenant cost

# What sam build packages: a change to any of it builds again.
SOURCES := template.yaml $(shell find functions shared layers -name '*.py' -o -name 'requirements.txt' 2>/dev/null)

# --no-compile: pip would byte-compile every module of every package (moto's hundreds of services, the
# SAM CLI's); Python compiles only what is imported, once, on first use. A fresh setup takes half as long.
$(VENV)/.installed: requirements-dev.txt layers/dependencies/requirements.txt
	test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q --no-compile -r requirements-dev.txt
	touch $@

$(SAMVENV)/.installed: requirements-sam.txt
	test -x $(SAMVENV)/bin/python || $(PY) -m venv $(SAMVENV)
	$(SAMVENV)/bin/python -m pip install -q --upgrade pip
	$(SAMVENV)/bin/python -m pip install -q --no-compile -r requirements-sam.txt
	touch $@

# checkov, the policy checker of make lint, in its own virtualenv (its dependencies are its own).
$(CHECKOVVENV)/.installed: requirements-checkov.txt
	test -x $(CHECKOVVENV)/bin/python || $(PY) -m venv $(CHECKOVVENV)
	$(CHECKOVVENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOVVENV)/bin/python -m pip install -q --no-compile -r requirements-checkov.txt
	touch $@

# The benchmarks' extra packages (the engines compared against), in .venv; make test never needs them.
$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.txt
	$(PYTHON) -m pip install -q -r requirements-bench.txt
	touch $@

# The console's browser tests (tests/e2e/test_console.py): Debian's Chromium and ChromeDriver, installed once per
# machine with apt-get (as root, or through sudo), and axe-core from the npm registry at a pinned version.
BROWSER_DIR := .browser
AXE_CORE_VERSION := 4.11.0
## Install what the console's browser tests need (make test does it first).
browser: $(BROWSER_DIR)/.installed

$(BROWSER_DIR)/.installed:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  echo "installing Debian's chromium and chromium-driver (apt-get)"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi
	mkdir -p $(BROWSER_DIR)
	npm install --prefix $(BROWSER_DIR) --no-audit --no-fund --no-save --silent axe-core@$(AXE_CORE_VERSION)
	touch $@

## Start the local stack (moto server, HTTP gateway, seeded demo tenant) on 127.0.0.1.
run: $(VENV)/.installed
	$(PYTHON) -m local.stack

## Everything CI checks: the Python gate (ruff, mypy), the template (cfn-lint, sam validate --lint, sam build) and every test.
test: lint test-all

# Two workers (pytest-xdist): each has its own in-process moto; the suite is about 40% faster. The tests of
# one e2e module all run on one worker, on the one local stack it starts (tests/conftest.py's scheduler).
test-all: $(VENV)/.installed $(BROWSER_DIR)/.installed
	$(PYTHON) -m pytest -n 2

## The developer's loop: every test that needs no server (no local stack, no sam, no cfn-lint), each
## property test with a tenth of its examples (HYPOTHESIS_PROFILE=fast; make test-all runs them all), the
## backtest acceptance test on 120 loans (make test-all runs its 1,000).
test-fast: $(VENV)/.installed
	HYPOTHESIS_PROFILE=fast BACKTEST_LOANS=120 $(PYTHON) -m pytest -n 2 -m "not e2e and not tooling"

## ruff (lint and format) and mypy over the Python code, then the template checks.
lint: lint-python lint-template

lint-python: $(VENV)/.installed
	$(VENV)/bin/ruff check $(PYTHON_DIRS)
	$(VENV)/bin/ruff format --check $(PYTHON_DIRS)
	$(VENV)/bin/mypy $(PYTHON_DIRS)

lint-template: $(VENV)/.installed $(SAMVENV)/.installed $(CHECKOVVENV)/.installed $(BUILD_DIR)/template.yaml
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml
	@# The policy checker; every check it skips is listed with its reason in .checkov.yaml.
	$(CHECKOVVENV)/bin/checkov -f template.yaml --config-file .checkov.yaml
	@# Packaging check: the built artifacts alone run the handler (see scripts/check_build.py).
	@# The runtime's SDK (boto3 and its dependencies) is linked from .venv into a stand-in for /var/runtime.
	runtime=$$(mktemp -d) && trap 'rm -rf "$$runtime"' EXIT && \
	$(PYTHON) -m local.invoke --link-runtime "$$runtime" && \
	build="$(CURDIR)/$(BUILD_DIR)" && \
	env -i PATH=/usr/bin:/bin HOME="$$runtime" LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 \
	  PYTHONPATH="$$build/ApiFunction:$$build/DependenciesLayer/python:$$build/DomainLayer/python:$$runtime" \
	  AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 POWERTOOLS_SERVICE_NAME=packaging-check \
	  POWERTOOLS_METRICS_NAMESPACE=PackagingCheck POWERTOOLS_LOG_LEVEL=WARNING \
	  "$$($(PY) -c 'import sys; print(sys.executable)')" -S scripts/check_build.py \
	  "$$build" "$(CURDIR)/events/api_openapi.json" "$$runtime"

## sam build of template.yaml into .aws-sam/build (again only when a source changed), byte-compiled.
build: $(BUILD_DIR)/template.yaml

# Its output goes to standard error: `make invoke` prints only the handler's answer on standard output.
$(BUILD_DIR)/template.yaml: $(SOURCES) $(SAMVENV)/.installed $(VENV)/.installed
	$(SAM) build --template template.yaml --build-dir $(BUILD_DIR) --cached --parallel >&2
	$(PYTHON) -m compileall -q $(BUILD_DIR) >&2
	touch $@

## Benchmarks, never run by make test: each module of BENCHES in turn (python -m bench.<name>).
BENCHES := bench.rules_bench bench.servicing_bench bench.import_bench bench.realtime_bench bench.maintenance_bench bench.webhook_bench bench.analysis_bench bench.backtest_bench bench.load_bench

bench: $(VENV)/.bench-installed
	@set -e; for module in $(BENCHES); do echo "== $$module"; $(PYTHON) -m $$module; done

## Daily maintenance now on the running local stack: make maintenance DATE=YYYY-MM-DD (API, KEY from the environment).
maintenance: $(VENV)/.installed
	$(PYTHON) -m local.maintenance $(DATE)

## One function once, from the built artifacts, against the running local stack (Docker-free sam local invoke):
## make invoke FUNCTION=ApiFunction EVENT=events/api_get_tenant.json (KEY from the environment for API events).
invoke: $(VENV)/.installed $(BUILD_DIR)/template.yaml
	@$(PYTHON) -m local.invoke $(FUNCTION) $(EVENT)

## The running local stack's pumps, scheduler and allowed webhook targets (GET /_local/status).
status: $(VENV)/.installed
	@$(PYTHON) -m local.control status

## Let webhooks call a local receiver while the stack runs: make webhook-target TARGET=127.0.0.1:9000
webhook-target: $(VENV)/.installed
	@$(PYTHON) -m local.control webhook-target $(TARGET)

## A tenant on any deployment, its API key printed once: ADMIN_KEY=... make tenant NAME="First Lender" TZ=America/Chicago
## [API=https://...] (API defaults to the running local stack).
tenant: $(VENV)/.installed
	@$(PYTHON) -m scripts.tenant "$(NAME)" "$(TZ)" "$(API)"

## What a book would cost a month on AWS, from a night and a day measured on the local stack (bench/cost.py,
## prices in cost/prices.toml): make cost LOANS=1000000 RULES=50 [SAMPLE=150]
LOANS ?= 1000000
RULES ?= 50
SAMPLE ?= 150
cost: $(VENV)/.installed
	$(PYTHON) -m bench.cost --loans $(LOANS) --rules $(RULES) --sample $(SAMPLE)

clean:
	rm -rf .aws-sam .pytest_cache .local-stack
