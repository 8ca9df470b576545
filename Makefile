# Cairn: two commands set everything up. `make serve` runs the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The versions CI tested, for CPython 3.11 on Linux x86_64, with hashes: `make lock` writes them from pyproject.toml.
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	--generate-hashes --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)

.PHONY: serve test coverage ruff lint format bench bench-analytics soak conformance lock clean help

help:
	@echo "make serve   create $(VENV), install Cairn, run it with demo data at http://$(HOST):$(PORT)"
	@echo "make test    create $(VENV) with dev extras, run ruff, mypy and the whole test suite"
	@echo "make coverage  the whole suite with line coverage of cairn (htmlcov/, coverage.xml; a third slower)"
	@echo "make lint    ruff and mypy only"
	@echo "make bench   run the benchmarks (JSON lines on stdout; the soak for SOAK_SECONDS=$(SOAK_SECONDS) s)"
	@echo "make bench-analytics  the policy analytics bench on the national data set (10 million awards; PostgreSQL)"
	@echo "make soak    the 10-minute soak (1,000 verifications a second) and the bulk-award fault bench"
	@echo "make conformance  run the W3C VC test suites of ../shared offline (results in ./w3c-results; ARGS=... to run.sh)"
	@echo "make lock    rewrite $(LOCK) and $(DEV_LOCK) from pyproject.toml (UPGRADE=1: newest versions allowed)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cairn needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The locks pin (and hash) every dependency; Cairn itself is then installed without resolving anything again.
$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

# The runtime lock is compiled within the dev lock, so a dev install is a runtime install too.
$(VENV)/.installed-dev: pyproject.toml $(DEV_LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.installed

serve: $(VENV)/.installed
	$(BIN)/cairn serve --demo --host $(HOST) --port $(PORT)

ruff: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

lint: ruff
	$(BIN)/mypy

# The suite runs on every core (pytest-xdist); a test file stays on one worker, so its fixtures are built once
# (tests/conftest.py orders the files). CI runs `make test` and must finish in 15 minutes on 2 cores: coverage
# tracing makes the suite a third slower, so it has a target of its own. ruff runs first (two seconds); mypy (half a
# minute on one core, from a clean checkout) runs beside the suite, which often waits on browsers and servers, and
# its report is printed after the suite's; `make test` fails when either fails.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
test: ruff
	@echo "$(BIN)/mypy (beside the tests; its report follows theirs)"
	@report=$$(mktemp); $(BIN)/mypy >$$report 2>&1 & typing=$$!; \
	$(PYTEST); tests=$$?; \
	wait $$typing; typed=$$?; echo "mypy:"; cat $$report; rm -f $$report; \
	test $$tests -eq 0 && test $$typed -eq 0

# Line coverage of the cairn package: coverage.xml and htmlcov/ for the details, one summary line on the terminal.
coverage: $(VENV)/.installed-dev
	$(PYTEST) --cov=cairn --cov-report=xml --cov-report=html
	@$(BIN)/python -c "$$COVERAGE_SUMMARY"

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# `make bench` keeps the soak (bench/soak.py) to SOAK_SECONDS; `make soak` is the full 10 minutes of issue 19 with
# the fault bench (bench/faults.py: the queue path on a private PostgreSQL cluster it starts, needing PostgreSQL's
# binaries; the CLI path on CAIRN_BENCH_POSTGRES_URL, else such a cluster), for a nightly run.
SOAK_SECONDS ?= 60
# The analytics bench (PostgreSQL: CAIRN_BENCH_POSTGRES_URL, default the local server) runs at 200,000 awards
# here; `make bench-analytics` is the national data set of issue 18 (10 million awards, about 15 minutes).
bench: $(VENV)/.installed-dev
	@for b in bench/*.py; do case "$$b" in bench/timing.py|bench/serving.py|bench/analytics.py) continue;; esac; SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/python $$b || exit 1; done
	$(BIN)/python bench/analytics.py --awards 200000 --repeat 3

bench-analytics: $(VENV)/.installed-dev
	$(BIN)/python bench/analytics.py --awards 10000000

soak: $(VENV)/.installed-dev
	SOAK_SECONDS=600 $(BIN)/python bench/soak.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/faults.py --mode cli

# The W3C suites (Node.js) against a local `cairn serve`, with Cairn's configs (conformance/w3c/configs) laid over
# the shared harness; docs/conformance.md records the results and why each remaining failure is the suite's own.
conformance: $(VENV)/.installed
	conformance/run.sh $(ARGS)

lock: $(VENV)/.installed-dev
	$(UV_COMPILE) --extra dev -o $(DEV_LOCK)
	$(UV_COMPILE) --constraint $(DEV_LOCK) -o $(LOCK)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info .coverage coverage.xml htmlcov

define COVERAGE_SUMMARY
import xml.etree.ElementTree as ET
root = ET.parse("coverage.xml").getroot()
parts = {}
for package in root.iter("package"):
    name = ".".join(package.get("name").removeprefix("src.").split(".")[:2])
    lines = [line for cls in package.iter("class") for line in cls.iter("line")]
    hit, total = parts.get(name, (0, 0))
    parts[name] = (hit + sum(line.get("hits") != "0" for line in lines), total + len(lines))
each = ", ".join(f"{name.removeprefix('cairn.')} {100 * hit / max(total, 1):.0f}%" for name, (hit, total) in sorted(parts.items()))
print(f"coverage {100 * float(root.get('line-rate')):.1f}% of {root.get('lines-valid')} lines ({each}); details in htmlcov/index.html")
endef
export COVERAGE_SUMMARY
