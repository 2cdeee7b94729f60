# The two commands the README opens with: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CARI := $(BIN)/cari

.PHONY: demo test venv bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(CARI) index corpus --index index
	$(CARI) search "kerja sama militer" --index index --limit 3
	$(CARI) search 'title:teroris aktas' --index index --limit 3
	$(CARI) search '"pemerintah daerah" date:2019' --index index --limit 3

test: venv
	$(BIN)/python -m pytest -q

bench: venv
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) index/* build *.egg-info
