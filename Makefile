# Two entry points for a fresh machine (Python 3.11, pip, make):
#   make demo   set up, ingest the sample corpus, answer a sample question, start the chat UI
#   make test   set up (headless Chromium for the UI test, a local model server for the LLM
#               tests) and run the whole suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STORE ?= store

.PHONY: demo test lint format clean-store setup

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# The FreeDict English-Arabic dictionary, a second bridge for English questions over Arabic
# sources: fetched once into ~/.cache/rag-news/freedict (best effort, never shipped).
setup: $(VENV)/.installed
	@bash scripts/freedict.sh >/dev/null

# With a local model already running (scripts/llm-server.sh start), the demo answers with it.
demo: setup
	$(BIN)/rag ingest data/corpus --store $(STORE)
	@url=$$(bash scripts/llm-server.sh status 2>/dev/null | head -n 1); \
	if [ -n "$$url" ]; then echo "answering with the local model at $$url"; \
	  export RAG_LLM__BASE_URL="$$url" RAG_LLM__MODEL=local; fi; \
	$(BIN)/rag ask "متى تنتهي مهمة التحالف الدولي في العراق؟" --store $(STORE) && \
	$(BIN)/rag ask "When does the coalition mission end?" --store $(STORE) && \
	$(BIN)/rag serve --store $(STORE)

# The real-model tests need llama.cpp's server and the test model: built and assembled once
# into ~/.cache/rag-news/llm (~5-10 min the first time), then started in seconds.
test: setup
	bash scripts/install-browser.sh
	$(BIN)/ruff check rag tests
	bash scripts/llm-server.sh run $(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check rag tests
	$(BIN)/ruff format --check rag tests

format: setup
	$(BIN)/ruff format rag tests
	$(BIN)/ruff check --fix rag tests

clean-store:
	rm -rf $(STORE)/* 
