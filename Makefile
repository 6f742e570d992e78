# persona: the two commands of the README, and the pieces they are made of.
#   make demo    install what is missing, build, start the private cluster, run the demo
#   make test    the whole test suite (what CI runs)
#   make bench   the benchmark of BENCHMARKS.md (ROWS=, REPS=, SCALE_ROWS=, SCALE_REPS=)
# All are idempotent: a second run reuses what the first installed and built.

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
CARGO_PROFILE ?= --release
ROWS ?= 1000000
REPS ?= 3
SCALE_ROWS ?= 4000000
SCALE_REPS ?= 2

.PHONY: demo test deps install start stop psql bench clean lint unit regress

demo: install start
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench: install start
	ROWS=$(ROWS) REPS=$(REPS) SCALE_ROWS=$(SCALE_ROWS) SCALE_REPS=$(SCALE_REPS) \
	BUILD_PROFILE=$(if $(filter --release,$(CARGO_PROFILE)),release,debug) bash scripts/bench.sh

deps:
	bash scripts/install-deps.sh

install: deps
	bash scripts/install-extension.sh $(PG_CONFIG) $(CARGO_PROFILE)

start: deps
	bash scripts/cluster.sh start

stop:
	bash scripts/cluster.sh stop

psql:
	@env $$(bash scripts/cluster.sh env) psql

clean: stop
	rm -rf .pg results .bench
