#!/usr/bin/env bash
# Makes sure a Chromium for the browser tests (test/e2e/dev-browser.test.ts) is
# installed: Debian's `chromium` package, through apt-get when running as root.
# A browser elsewhere: set CHROMIUM_PATH. Without root and without a browser it
# only warns; the browser test then fails, naming what is missing.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
  echo "warning: no Chromium at $CHROMIUM; install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH, or the browser test fails" >&2
  exit 0
fi
echo "installing Debian's chromium with apt-get (for the browser test)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
"$CHROMIUM" --version >&2
