# Convenience wrappers: every target just calls tasks.py (which needs only python3).
PYTHON ?= python3
ARGS ?=

.PHONY: run test lint bench

run:
	$(PYTHON) tasks.py run $(ARGS)

test:
	$(PYTHON) tasks.py test $(ARGS)

lint:
	$(PYTHON) tasks.py lint

bench:
	$(PYTHON) tasks.py bench $(ARGS)
