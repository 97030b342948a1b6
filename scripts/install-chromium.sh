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
source "$(dirname "$0")/apt-install.sh"
apt_install chromium 'for the browser test' \
  "warning: no Chromium at $CHROMIUM; install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH, or the browser test fails" || exit 0
"$CHROMIUM" --version >&2
