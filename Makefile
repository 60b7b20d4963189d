# Delhi Health Helpline. `make run` serves the helpline; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PYTHONPATH := $(CURDIR)

.PHONY: run test install lint bench call worker migrate demo-data clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

migrate: install
	$(BIN)/flask --app helpline.app:create_app db-upgrade

demo-data: migrate
	$(BIN)/flask --app helpline.app:create_app load-demo-data

# The scheduler runs beside the web server: it finds due reminders and other timed work
# in the database (with REDIS_URL set, also start `make worker`).
run: demo-data
	$(BIN)/flask --app helpline.app:create_app print-demo-logins
	$(BIN)/flask --app helpline.app:create_app scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app helpline.app:create_app run --host 127.0.0.1 --port $(PORT)

worker: migrate
	$(BIN)/flask --app helpline.app:create_app worker

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.run_all

call: demo-data
	$(BIN)/flask --app helpline.app:create_app dev-phone $(ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite3
