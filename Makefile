# The two commands the README opens with: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CARI := $(BIN)/cari
INDEX ?= index

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The runtime install for the demo (with the server of `cari serve`); the test install adds the
# test and benchmark extras.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[serve]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[serve,test,bench,cluster]'
	touch $(VENV)/.installed $@

# The Lucene peer of benchmarks/relevance.py: Anserini's fatjar, which ships inside the pyserini
# 0.22.1 wheel. Installed without pyserini's Python dependencies (transformers, onnxruntime, spacy,
# nmslib...: none is needed to run the jar, and some do not build everywhere), so not as an extra.
# It runs on Java 11+ (Debian: apt-get install -y openjdk-17-jre-headless).
$(VENV)/.installed-lucene: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --no-deps pyserini==0.22.1
	touch $@

demo: $(VENV)/.installed
	$(CARI) index corpus --index $(INDEX)
	$(CARI) search "kerja sama militer" --index $(INDEX) --limit 3
	$(CARI) search "title:teroris aktas" --index $(INDEX) --limit 3
	$(CARI) search '"pemerintah daerah" date:2019' --index $(INDEX) --limit 3 --sort newest
	@echo
	@echo "Search it in a browser (http://127.0.0.1:8765/):"
	@echo "  $(CARI) serve --index $(INDEX)"

# Lint and strict types first (settings in pyproject.toml), then the whole suite.
test: $(VENV)/.installed-test
	$(BIN)/ruff check search tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test $(VENV)/.installed-lucene
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
	find $(INDEX) -mindepth 1 ! -name .gitkeep -delete
