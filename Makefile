# Comptoir — the two commands: `make run` and `make test`.
PY ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install lint messages screenshots mutants

$(BIN)/python:
	@command -v $(PY) >/dev/null || { echo "Comptoir needs Python 3.12 ($(PY) not found). Install it, or run: make PY=/path/to/python3.12 run"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	COMPTOIR_DEV=1 $(BIN)/comptoir run --port $(PORT)

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

test: $(VENV)/.installed-test
	bash scripts/test-deps.sh
	bash scripts/test.sh

# Break the code on purpose (scripts/mutants.py lists how) and check a test notices each time. Not part of `make test`.
mutants: $(VENV)/.installed-test
	$(BIN)/python scripts/mutants.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

messages: $(VENV)/.installed
	cd comptoir && COMPTOIR_DEV=1 ../$(BIN)/comptoir makemessages -l fr -l en --no-obsolete --ignore 'tests/*' --ignore 'node_modules/*' && COMPTOIR_DEV=1 ../$(BIN)/comptoir compilemessages
