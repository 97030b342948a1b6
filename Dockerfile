# syntax=docker/dockerfile:1
# cmtd and the pinned CometBFT in one image. docker-compose.yml runs a
# 4-validator localnet from it; `docker run --rm cmtd:localnet --help` lists
# the commands (the entrypoint is `cmtd`).

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
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY contracts ./contracts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node 20 + cometbft + the compiled cmtd ----------------------
FROM node:20-bookworm-slim
ARG COMETBFT_VERSION
ENV NODE_ENV=production \
    COMETBFT_BIN=/usr/local/bin/cometbft
COPY --from=cometbft /out/cometbft /usr/local/bin/cometbft
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY proto ./proto
COPY contracts ./contracts
COPY docker/entrypoint.mjs ./docker/entrypoint.mjs
RUN ln -s /app/bin/cmtd.js /usr/local/bin/cmtd \
 && cometbft version \
 && cmtd --version
LABEL org.opencontainers.image.title="cmtd" \
      org.opencontainers.image.description="CyberMiles-style DPoS chain: cmtd (ABCI app, Ethereum JSON-RPC) + CometBFT ${COMETBFT_VERSION}"
# Ports of a localnet node i (base 26600): 26600+10i+6 p2p, +7 CometBFT RPC, +8 ABCI, +9 Ethereum JSON-RPC.
ENTRYPOINT ["node", "/app/bin/cmtd.js"]
CMD ["--help"]
