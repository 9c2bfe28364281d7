# Comptoir — the two commands: `make run` and `make test`.
PY ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Every install takes the versions pinned here (`make lock` refreshes them): the same code runs on every machine.
LOCK := requirements.lock
PIP_INSTALL := $(BIN)/pip install --quiet -c $(LOCK)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install lint messages screenshots mutants lock

$(BIN)/python:
	@command -v $(PY) >/dev/null || { echo "Comptoir needs Python 3.12 ($(PY) not found). Install it, or run: make PY=/path/to/python3.12 run"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	COMPTOIR_DEV=1 $(BIN)/comptoir run --port $(PORT)

# The tests train small models (understanding/tests/test_train.py): the `train` extra too.
$(VENV)/.installed-test: pyproject.toml $(LOCK) $(VENV)/.installed
	$(PIP_INSTALL) -e '.[test,train]'
	touch $@

# Resolve pyproject.toml's ranges again in a scratch venv and pin every version it installed.
lock:
	rm -rf .venv-lock
	$(PY) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet -e '.[test,train]'
	{ echo "# Versions of every dependency of comptoir[test,train], from \`make lock\`; pip install -c $(LOCK)."; \
	  .venv-lock/bin/pip freeze --exclude-editable; } > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK)
	rm -rf .venv-lock

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
