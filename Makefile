# The two commands of a fresh machine: `make run` (the service on the embedded defaults at
# http://127.0.0.1:5000; `make run PORT=5050` for another port) and `make test`. Both create the virtualenv
# themselves: `make run` installs what the service runs on (requirements.txt), `make test` also the test tools
# (requirements-dev.txt).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Loopback unless given on the command line (`make run HOST=0.0.0.0`): an exported HOST is not taken.
HOST = 127.0.0.1

.PHONY: run test install install-dev worker clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

install-dev: $(BIN)/.installed-dev

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

worker: install
	$(BIN)/flask --app wsgi worker

clean:
	rm -rf $(VENV) instance .pytest_cache
