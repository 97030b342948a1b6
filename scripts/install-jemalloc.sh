#!/usr/bin/env bash
# Makes sure jemalloc is installed (Debian's libjemalloc2, through apt-get when
# running as root): `cmtd node`, localnets and the benches preload it for cmtd
# (src/node/malloc.ts), and the tests check that they do. Without root or
# apt-get it only says so: cmtd then runs on the C library's malloc.
set -euo pipefail

for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 /usr/lib64/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2; do
  if [[ -e "$lib" ]]; then
    exit 0
  fi
done
source "$(dirname "$0")/apt-install.sh"
apt_install libjemalloc2 'the allocator a node runs with' \
  "note: jemalloc is not installed (Debian: apt-get install libjemalloc2); cmtd runs on the C library's malloc, with more memory" || exit 0
