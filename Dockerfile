# cmtd and the pinned CometBFT in one image. docker-compose.yml runs a
# 4-node localnet from it; `docker run --rm cmtd:localnet --help` lists the
# commands (the entrypoint is `cmtd`). Runs as the unprivileged user `cmtd`.

# The same pin as scripts/install-cometbft.sh and src/localnet/cometbft.ts.
ARG COMETBFT_VERSION=v0.38.25

# ---- CometBFT, built from source with go install --------------------------
FROM golang:1.23-bookworm AS cometbft
ARG COMETBFT_VERSION
RUN CGO_ENABLED=0 GOBIN=/out go install -trimpath "github.com/cometbft/cometbft/cmd/cometbft@${COMETBFT_VERSION}" \
 && /out/cometbft version

# ---- cmtd: npm ci, build, then drop the development packages --------------
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The rest of the build context (.dockerignore keeps it to the sources) in one
# layer; /runtime collects what the runtime image needs, copied in one layer.
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p /runtime/docker \
 && mv package.json node_modules dist bin proto contracts /runtime/ \
 && mv docker/entrypoint.mjs docker/healthcheck.mjs /runtime/docker/

# ---- runtime: Node 20 + cometbft + the compiled cmtd ----------------------
FROM node:20-bookworm-slim
ARG COMETBFT_VERSION
# jemalloc, which `cmtd node` preloads for cmtd (src/node/malloc.ts): less
# memory and CPU than the C library's malloc on a large state.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    COMETBFT_BIN=/usr/local/bin/cometbft
COPY --from=cometbft /out/cometbft /usr/local/bin/cometbft
COPY --from=build /runtime /app
WORKDIR /app
# An unprivileged user owns the data. /localnet is the compose volume's mount
# point: a new named volume takes this directory's owner.
RUN ln -s /app/bin/cmtd.js /usr/local/bin/cmtd \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/cmtd --shell /usr/sbin/nologin cmtd \
 && mkdir /localnet && chown cmtd:cmtd /localnet \
 && cometbft version \
 && cmtd --version
USER cmtd
LABEL org.opencontainers.image.title="cmtd" \
      org.opencontainers.image.description="CyberMiles-style DPoS chain: cmtd (ABCI app, Ethereum JSON-RPC) + CometBFT ${COMETBFT_VERSION}"
# Ports of localnet node i (base 26600, i = 0..3): 26600+10i+0 CometBFT
# metrics, +1 cmtd metrics, +6 p2p, +7 CometBFT RPC, +8 ABCI (container
# loopback only), +9 Ethereum JSON-RPC.
EXPOSE 26600-26639
# Healthy while the node's block height advances and its JSON-RPC answers
# (docker/healthcheck.mjs; the ports come from docker/entrypoint.mjs).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.mjs"]
# The V8 flags of src/node/v8-flags.ts (the executable passes them; this runs node directly).
ENTRYPOINT ["node", "--max-semi-space-size=64", "/app/bin/cmtd.js"]
CMD ["--help"]
