# Delhi Health Helpline. `make run` serves the helpline; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PYTHONPATH := $(CURDIR)

.PHONY: run test install lint bench call sms worker migrate demo-data clean lock upgrade

# Every version comes from requirements.lock (hashes checked); pyproject.toml only says
# which ranges are acceptable. The project itself is not installed: PYTHONPATH finds it.
$(BIN)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--require-hashes --no-deps -r requirements.lock
	touch $@

install: $(BIN)/.installed

# Re-write the lock after changing a range in pyproject.toml (keeps every other pin).
LOCK_CMD = $(BIN)/uv pip compile pyproject.toml --extra test --extra dev --generate-hashes \
	--universal --python-version 3.11 --quiet -o requirements.lock
lock: install
	$(LOCK_CMD)
	@echo "requirements.lock written; run make test, then commit it"

# Move every pin to the newest release pyproject.toml allows (then run make test).
upgrade: install
	$(LOCK_CMD) --upgrade
	@echo "requirements.lock upgraded; run make test, then commit it"

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

# The demo data goes only into the embedded default database (what `make run` serves),
# never into a database DATABASE_URL names.
call: install
	@if [ -z "$$DATABASE_URL" ]; then $(MAKE) --no-print-directory demo-data; fi
	$(BIN)/flask --app helpline.app:create_app dev-phone $(ARGS)

sms: install
	@if [ -z "$$DATABASE_URL" ]; then $(MAKE) --no-print-directory demo-data; fi
	$(BIN)/flask --app helpline.app:create_app dev-sms $(ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite3
