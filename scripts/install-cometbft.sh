#!/usr/bin/env bash
# Installs pinned CometBFT binaries into a cache outside the clone and prints
# the path of the requested one. Reuses a cached build; honours COMETBFT_BIN.
#
#   scripts/install-cometbft.sh            # v0.38.25 (default)
#   scripts/install-cometbft.sh v0.37.18
#   scripts/install-cometbft.sh all        # both pinned versions
#   scripts/install-cometbft.sh abci-cli   # CometBFT's abci-cli (v0.38.25): its kvstore example as
#                                          # a separate ABCI app, the end-to-end bench's socket baseline
#
# Env: COMETBFT_BIN (use this binary for the default version, skip building),
#      CMTD_CACHE_DIR (default ~/.cache/cmtd).
set -euo pipefail

DEFAULT_VERSION=v0.38.25
PINNED_VERSIONS=(v0.38.25 v0.37.18)
CACHE_DIR="${CMTD_CACHE_DIR:-$HOME/.cache/cmtd}"
BIN_DIR="$CACHE_DIR/bin"

# go_install <package path> <binary> <version> <target> <what>: builds <binary> of the
# cometbft module at <version> into <target>, unless a working one is there.
go_install() {
  local package="$1" binary="$2" version="$3" target="$4" what="$5"
  if [[ -x "$target" ]] && "$target" version >/dev/null 2>&1; then
    echo "$target"
    return
  fi
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<MSG
Go is not installed, and $what $version is not in $BIN_DIR.
Install Go (https://go.dev/doc/install, 1.22 or newer) and run this script again
(for CometBFT $DEFAULT_VERSION itself, COMETBFT_BIN may also name an existing binary).
MSG
    exit 1
  fi
  mkdir -p "$BIN_DIR"
  local gobin
  gobin="$(mktemp -d "$CACHE_DIR/gobin.XXXXXX")"
  echo "building $what $version with $(go version | cut -d' ' -f3) (first time only, a few minutes)..." >&2
  GOBIN="$gobin" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/cometbft/cometbft/$package@$version" >&2
  mv "$gobin/$binary" "$target"
  rmdir "$gobin"
  echo "$target"
}

install_one() {
  local version="$1"
  if [[ "$version" == "$DEFAULT_VERSION" && -n "${COMETBFT_BIN:-}" ]]; then
    if [[ ! -x "$COMETBFT_BIN" ]]; then
      echo "COMETBFT_BIN=$COMETBFT_BIN is not an executable file" >&2
      exit 1
    fi
    echo "$COMETBFT_BIN"
    return
  fi
  go_install cmd/cometbft cometbft "$version" "$BIN_DIR/cometbft-$version" CometBFT
}

requested="${1:-$DEFAULT_VERSION}"
case "$requested" in
  all) for v in "${PINNED_VERSIONS[@]}"; do install_one "$v"; done ;;
  v0.38.25|v0.37.18) install_one "$requested" ;;
  abci-cli) go_install abci/cmd/abci-cli abci-cli "$DEFAULT_VERSION" "$BIN_DIR/abci-cli-$DEFAULT_VERSION" abci-cli ;;
  *) echo "usage: $0 [v0.38.25|v0.37.18|all|abci-cli] (pinned versions only)" >&2; exit 2 ;;
esac
