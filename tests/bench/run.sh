#!/usr/bin/env bash
# Runs the benchmarks and prints their tables. Each compares against a baseline measured in the
# same run; nothing here is a pass/fail test.
#   tests/bench/run.sh [FRAMES]      (as root; BENCH_RUNS and BENCH_SECONDS tune tcp.sh and
#                                   attack.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/install-deps.sh >&2
while IFS= read -r line; do export "${line?}"; done <<<"$(tests/interop/fetch-golem-tools.sh)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release --target gsb_link_bench >/dev/null
echo "== TCP: direct veth, HAProxy, the TAP link ceiling, golem-proxyd over TAP (MTU 1220, 1500)"
tests/bench/tcp.sh
echo
echo "== Under attack: the victim's path, calm and while a capped source and a hostile node flood"
tests/bench/attack.sh
echo
echo "== GSB transport: frames through ya-sb-router, batched writes vs one write per frame"
build/release/tests/gsb_link_bench "${1:-200000}"
