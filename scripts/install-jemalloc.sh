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
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
  echo "note: jemalloc is not installed (Debian: apt-get install libjemalloc2); cmtd runs on the C library's malloc, with more memory" >&2
  exit 0
fi
echo "installing Debian's libjemalloc2 with apt-get (the allocator a node runs with)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq libjemalloc2 >/dev/null
