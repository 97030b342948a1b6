# cmtd: the two commands a fresh machine needs are `make localnet` and `make test`.
# Both install what they use: npm packages (npm ci) and the pinned CometBFT builds
# (scripts/install-cometbft.sh, cached in ~/.cache/cmtd; needs Go the first time).

# `make localnet` takes the variables of `cmtd localnet start` (CMTD_ + the flag, as everywhere):
#   make localnet CMTD_VALIDATORS=2 CMTD_BLOCK_TIME=5s CMTD_BASE_PORT=27000 CMTD_DIR=.localnet2
# Only the ones given are passed, so `make localnet` on an existing network runs it as it is.
LOCALNET_VARS := DIR VALIDATORS CANDIDATES ACCOUNTS BLOCK_TIME BASE_PORT CHAIN_ID
LOCALNET_FLAGS := $(strip $(foreach v,$(LOCALNET_VARS),$(if $(CMTD_$(v)),--$(subst _,-,$(shell echo $(v) | tr A-Z a-z)) $(CMTD_$(v)))))
# The old names would be ignored without a word.
$(foreach v,LOCALNET_DIR VALIDATORS BLOCK_TIME,$(if $(filter command line environment,$(origin $(v))),$(error $(v)= is now CMTD_$(subst LOCALNET_,,$(v))= (README: Local network))))

.PHONY: all deps cometbft chromium jemalloc docker-tools build lint test test-unit test-integration test-docker localnet localnet-reset bench clean

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

cometbft:
	bash scripts/install-cometbft.sh all >/dev/null

# Debian's chromium for the browser test (apt-get when root; CHROMIUM_PATH for another browser).
chromium:
	bash scripts/install-chromium.sh

# Debian's jemalloc, the allocator a node runs with (apt-get when root; src/node/malloc.ts).
jemalloc:
	bash scripts/install-jemalloc.sh

build: deps
	npm run build

# Biome (lint + formatting), the import rules between rooms (.dependency-cruiser.cjs) and the
# type check (the tests run through tsx and the dashboard through esbuild: neither checks types).
lint: deps
	npm run lint
	npm run format:check
	npm run typecheck

test: deps cometbft chromium jemalloc
	npm test

test-unit: deps
	npm run test:unit

test-integration: deps cometbft
	npm run test:integration

# docker-compose.yml in a real Docker engine (test/docker/compose.test.ts): installs
# docker.io and the Compose v2 plugin if missing, needs root to start dockerd.
test-docker: deps
	node --import tsx --test test/docker/compose.test.ts

# The Docker CLI and the Compose v2 plugin alone (no daemon): with them `make test` also
# checks docker-compose.yml with `docker compose config` (.ci/run installs them first).
docker-tools: deps
	node --import tsx test/docker/install-tools.ts

# A 4-validator chain on loopback (base port 26600); Ctrl-C stops it. State is kept in
# .localnet (CMTD_DIR) between runs; `make localnet-reset` starts over.
localnet: build cometbft
	node bin/cmtd.js localnet start$(if $(LOCALNET_FLAGS), $(LOCALNET_FLAGS))

localnet-reset: deps
	node bin/cmtd.js localnet reset $(if $(CMTD_DIR),--dir $(CMTD_DIR))

bench: deps
	npm run bench

clean:
	rm -rf dist
