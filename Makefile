# The two commands of a fresh machine: `make run` (the service on the embedded defaults at
# http://127.0.0.1:5000) and `make test`. Both create the virtualenv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install worker clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

worker: install
	$(BIN)/flask --app wsgi worker

clean:
	rm -rf $(VENV) instance .pytest_cache
