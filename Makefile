# minicloud: the commands a learner, an instructor and CI use. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
LAB    ?= 01
MODE   ?= in-process
# The suite is mostly real CLI calls (about a second of CPU each): one worker per core;
# a test module stays on one worker, in order (its tests share one server, one lab cloud).
TEST_WORKERS ?= 2
# LAB=9 and LAB=09 both find labs/lab09-* (printf '%02d' would read 08 and 09 as octal).
LAB_DIR = $(firstword $(wildcard labs/lab$(LAB)-* labs/lab0$(LAB)-*))

.PHONY: help install docker-engine image lab-up lab-down lab-status lab-check test docs bench robustness clean screenshots

help:
	@echo "make install        create $(VENV) with minicloud, the OpenStack clients and the dev tools"
	@echo "make lab-up         start the cloud in the background, every node in one process"
	@echo "make lab-up MODE=processes   one process per node, over RabbitMQ"
	@echo "make lab-up MODE=netns       (root) each node in a network namespace, real data plane"
	@echo "make lab-up MODE=docker      each node a container on four Docker networks (needs an engine)"
	@echo "make lab-down       stop it (the Docker mode keeps its volumes; minicloud reset drops them)"
	@echo "make docker-engine  (root) install docker.io and debootstrap, start dockerd unless one answers"
	@echo "make image          build the Docker mode's node image from containers/ (once; cached)"
	@echo "make lab-check LAB=01   grade a lab's checkpoints against the running cloud"
	@echo "make test           the project's tests (what CI runs), including the docs build"
	@echo "make docs           build the tutorial site into site/ (mkdocs --strict)"
	@echo "make bench          print the performance figures"
	@echo "make screenshots    PNGs of the dashboard's main pages into docs/assets/screenshots"
	@echo "make robustness     send ~1,400 malformed requests to every service; print what broke"

$(BIN)/minicloud: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/minicloud
	bash scripts/fetch-mermaid.sh
	bash scripts/install-system-packages.sh

# Not part of `install`: only the Docker mode needs an engine. CI runs it before `make test`.
docker-engine:
	bash scripts/start-docker.sh

image: $(BIN)/minicloud
	$(BIN)/minicloud image build

lab-up: $(BIN)/minicloud
	$(BIN)/minicloud up --mode $(MODE)

lab-down: $(BIN)/minicloud
	$(BIN)/minicloud down

lab-status: $(BIN)/minicloud
	$(BIN)/minicloud status

# A check that finds steps not done ends with the checker's summary line ("2 of 6
# checkpoints pass. ...": -qq leaves out pytest's own) and a non-zero status. A failed
# recipe would add make's "*** [lab-check] Error 1", which reads like a crash, so make is
# ended quietly instead: SIGPIPE, status 141, which shells do not report.
lab-check: $(BIN)/minicloud
	@test -n "$(LAB_DIR)" || { echo "No lab $(LAB) under labs/"; exit 2; }
	@$(BIN)/pytest -qq -p no:cacheprovider --no-header -rN $(LAB_DIR)/test_checkpoint.py \
	    || kill -PIPE $$PPID

test: $(BIN)/minicloud docs
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --durations=10 tests

docs: $(BIN)/minicloud
	bash scripts/fetch-mermaid.sh
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict  # no quiet flag: it would hide the warnings strict mode counts

bench: $(BIN)/minicloud
	$(BIN)/python -m minicloud.bench

screenshots: $(BIN)/minicloud
	$(BIN)/python -m minicloud.dashboard.screenshots docs/assets/screenshots

robustness: $(BIN)/minicloud
	$(BIN)/python -m minicloud.bench.robustness

clean:
	rm -rf site .pytest_cache
