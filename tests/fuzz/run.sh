#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each: first over its regression
# inputs (tests/fuzz/regressions/<name>: every crash ever found), then fuzzing for a bounded
# time from its seed corpus (tests/fuzz/corpus/<name>). New inputs go to a scratch directory,
# never into the tree. A crash fails the run and leaves its input in build/fuzz/crashes/<name>.
#
# Usage: tests/fuzz/run.sh [name...]     FUZZ_SECONDS (default 20) per target
#        FUZZ_RUNS=N: stop each target after N executions instead (the long runs of the notes)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=build/fuzz
seconds=${FUZZ_SECONDS:-20}

echo "== build: fuzz (clang, libFuzzer, ASan+UBSan)"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLIBPROXY_FUZZ=ON >/dev/null
cmake --build "$build"

names=("$@")
if ((${#names[@]} == 0)); then
  for binary in "$build"/tests/fuzz/fuzz_*; do names+=("${binary##*/fuzz_}"); done
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
passed=0 failed=0
for name in "${names[@]}"; do
  binary=$root/$build/tests/fuzz/fuzz_$name
  corpus=$root/tests/fuzz/corpus/$name
  regressions=$root/tests/fuzz/regressions/$name
  scratch=$root/$build/scratch/$name crashes=$root/$build/crashes/$name
  rm -rf "$scratch" && mkdir -p "$scratch" "$crashes"
  echo "== fuzz: $name"
  ok=1
  if [[ -d $regressions ]] && compgen -G "$regressions/*" >/dev/null; then
    "$binary" -runs=0 "$regressions"/* >"$scratch.log" 2>&1 || ok=0
    ((ok)) || { echo "fuzz_$name fails on a regression input:"; tail -40 "$scratch.log"; }
  fi
  if ((ok)); then
    limit=(-max_total_time="$seconds")
    [[ -n ${FUZZ_RUNS:-} ]] && limit=(-runs="$FUZZ_RUNS")
    (cd "$crashes" && "$binary" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "$scratch" "$corpus") >"$scratch.log" 2>&1 || ok=0
    grep -E '^stat::number_of_executed_units' "$scratch.log" || true
    ((ok)) || { echo "fuzz_$name found a crash (input in $crashes):"; tail -60 "$scratch.log"; }
  fi
  if ((ok)); then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
