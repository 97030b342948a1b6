# cmtd: the two commands a fresh machine needs are `make localnet` and `make test`.
# Both install what they use: npm packages (npm ci) and the pinned CometBFT builds
# (scripts/install-cometbft.sh, cached in ~/.cache/cmtd; needs Go the first time).

LOCALNET_DIR ?= .localnet
VALIDATORS ?= 4
BLOCK_TIME ?= 1s

.PHONY: all deps cometbft build test test-unit test-integration test-docker localnet localnet-reset bench clean

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

cometbft:
	bash scripts/install-cometbft.sh all >/dev/null

build: deps
	npm run build

test: deps cometbft
	npm test

test-unit: deps
	npm run test:unit

test-integration: deps cometbft
	npm run test:integration

# docker-compose.yml in a real Docker engine (test/docker/compose.test.ts): installs
# docker.io and the Compose v2 plugin if missing, needs root to start dockerd.
test-docker: deps
	node --import tsx --test test/docker/compose.test.ts

# A 4-validator chain on loopback; Ctrl-C stops it. State is kept in $(LOCALNET_DIR)
# between runs; `make localnet-reset` starts over.
localnet: build cometbft
	node bin/cmtd.js localnet start --dir $(LOCALNET_DIR) --validators $(VALIDATORS) --block-time $(BLOCK_TIME)

localnet-reset: deps
	node bin/cmtd.js localnet reset --dir $(LOCALNET_DIR)

bench: deps
	npm run bench

clean:
	rm -rf dist
