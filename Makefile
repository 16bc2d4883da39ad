# Doorstep: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench faults docs image-check image-boot tools clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## tools: Mosquitto, Chromium and the checkers the tests use (apt-get when root)
tools:
	@bash .ci/ensure-tools.sh

## demo: the appliance on this machine, simulated hardware, a private broker
demo: $(STAMP)
	$(BIN)/doorstep demo

## lint: ruff and mypy
lint: $(STAMP)
	$(BIN)/ruff check appliance sensors kiosk doorstep tests bench tools
	$(BIN)/mypy appliance sensors kiosk doorstep tools

## test: everything CI runs
test: $(STAMP) tools lint
	$(BIN)/pytest

## bench: benchmarks as ratios against floors measured in the same run
bench: $(STAMP) tools
	$(BIN)/python -m bench

## faults: the fault suite (broker loss, SIGKILL, disk full, clock jumps, fuzzing); CI runs it
faults: $(STAMP) tools
	$(BIN)/pytest tests/faults -m faults

## docs: regenerate docs/CONFIG.md from the code, and docs/screenshots/ from a running demo
docs: $(STAMP) tools
	$(BIN)/python -c "from appliance.core.config_reference import reference_markdown as r; open('docs/CONFIG.md','w').write(r())"
	$(BIN)/python tools/screenshots.py

## image-check: install.sh into a Debian bookworm arm64 root under qemu, checked inside (root; ~7 min)
image-check:
	bash image-build/check-arm64.sh

## image-boot: image-check's root and checks, then that image booted in qemu-system-aarch64 and checked running (root; ~16 min; CI runs it)
image-boot:
	bash image-build/boot-arm64.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
