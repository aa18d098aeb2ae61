# Two commands: `make demo` runs the default county, `make test` runs the tests.
# Each creates .venv on first use and installs the project into it, and both need
# headless Chromium (the report's PDF, the report tests) and chromedriver (the browser
# front end's tests): `make browser` installs them when run as root with apt-get, else
# names the command to run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test browser lint format bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

browser:
	sh scripts/ensure_chromium.sh

demo: browser $(STAMP)
	$(BIN)/yingji simulate --reps 200 --out results/default_county
	$(BIN)/yingji optimize --scenarios 200 --reps 200 --greedy-steps 4 --sensitivity --jobs 2 --out results/optimize
	rm -rf results/sweep
	$(BIN)/yingji sweep --jobs 2 --out results/sweep
	$(BIN)/yingji compare default status_quo results/optimize/plan.csv --reps 200 --out results/compare
	$(BIN)/yingji plan-years --jobs 2 --against-rise 5 --out results/plan_years
	$(BIN)/yingji report results

test: browser $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulation.py
	$(BIN)/python benchmarks/bench_sweep.py

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache
