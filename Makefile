# Two commands do all set-up on a fresh machine:
#   make run    the product (web + worker + beat) with demo data
#   make test   the whole test suite, lint and the import contract
#   make bench  the benchmarks (bench/README.md), e.g. make bench BENCH_ARGS="--scale tiny"
# With no DATABASE_URL / REDIS_URL both start an embedded PostgreSQL / Redis under var/.

UV ?= $(shell command -v uv 2>/dev/null || echo .venv-tools/bin/uv)
PY := .venv/bin/python

.PHONY: run test lint sync bench

$(UV):
	python3 -m venv .venv-tools && .venv-tools/bin/pip install -q uv==0.13.9

sync: $(UV)
	$(UV) sync --frozen --extra local

run: sync
	$(PY) -m agency.localrun run

test: sync
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	$(PY) -m agency.localrun test -- $(PYTEST_ARGS)

lint: sync
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench: sync
	$(PY) -m agency.localrun bench -- $(BENCH_ARGS)
