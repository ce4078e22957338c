# One obvious way to run everything: make run, make test, make bench, make lint.
PY ?= python3.11
VENV := .venv
SAMVENV := .venv-sam
PYTHON := $(VENV)/bin/python
SAM := $(SAMVENV)/bin/sam
BUILD_DIR := .aws-sam/build

export AWS_DEFAULT_REGION ?= us-east-1
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast lint lint-template bench maintenance clean

$(VENV)/.installed: requirements-dev.txt layers/dependencies/requirements.txt
	test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -r requirements-dev.txt
	touch $@

$(SAMVENV)/.installed: requirements-sam.txt
	test -x $(SAMVENV)/bin/python || $(PY) -m venv $(SAMVENV)
	$(SAMVENV)/bin/python -m pip install -q --upgrade pip
	$(SAMVENV)/bin/python -m pip install -q -r requirements-sam.txt
	touch $@

## Start the local stack (moto server, HTTP gateway, seeded demo tenant) on 127.0.0.1.
run: $(VENV)/.installed
	$(PYTHON) -m local.stack

## Everything CI checks: the template (cfn-lint, sam validate --lint, sam build) and every test.
test: lint-template test-fast

test-fast: $(VENV)/.installed
	$(PYTHON) -m pytest

lint: lint-template

lint-template: $(VENV)/.installed $(SAMVENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml
	$(SAM) build --template template.yaml --build-dir $(BUILD_DIR) --cached --parallel
	$(PYTHON) -m compileall -q $(BUILD_DIR)

clean:
	rm -rf .aws-sam .pytest_cache
