# inventario-leasegen — the usual targets. `make check` is what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := build
NPM ?= npm
NODE ?= node
BIN := node_modules/.bin
SOURCES := $(shell find src -name '*.ts') package.json tsconfig.json
TEST_SOURCES := $(shell find test bench -name '*.ts' 2>/dev/null)

.PHONY: build check test-deps test lint format demo bench rpm srpm repo clean

# Dependencies, exactly as the lock file says.
node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

# The program: one ncc bundle (plus the few files ncc emits beside it) in dist/.
dist/index.js: node_modules/.package-lock.json $(SOURCES)
	rm -f dist/*.js
	$(BIN)/ncc build src/index.ts --out dist --target es2022 --quiet
	@chmod 0755 dist/index.js

build: dist/index.js

# Type-checked JavaScript of src/, test/ and bench/ for the test runner (tsconfig.json, which
# ncc reads, covers src/ only).
build/.stamp: node_modules/.package-lock.json $(SOURCES) $(TEST_SOURCES)
	$(BIN)/tsc -p tsconfig.test.json
	@touch $@

lint: node_modules/.package-lock.json
	$(BIN)/eslint src test bench
	$(BIN)/prettier --check src test bench

format: node_modules/.package-lock.json
	$(BIN)/prettier --write src test bench

test: dist/index.js build/.stamp
	$(NODE) --test --test-concurrency=1 build/test/unit/*.test.js build/test/e2e/*.test.js

# The system tools the tests need besides Node (rpmbuild, rpmlint…): installed when run as root,
# named in one line otherwise.
test-deps:
	packaging/install-test-deps.sh

check: test-deps lint test

# Starts the test inventario with sample data, makes a throwaway key, runs leasegen twice.
demo: dist/index.js build/.stamp
	$(NODE) build/test/support/demo.js

# Figures, not assertions: LEASEGEN_BENCH_LAPTOPS / LEASEGEN_BENCH_SCHOOLS change the size.
bench: dist/index.js build/.stamp
	$(NODE) build/bench/bench.js

rpm: dist/index.js
	packaging/build-rpm.sh rpm

srpm: dist/index.js
	packaging/build-rpm.sh srpm

repo: rpm
	packaging/build-rpm.sh repo

clean:
	rm -rf dist build rpmbuild
