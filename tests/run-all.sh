#!/usr/bin/env bash
# Runs every test: installs missing Debian packages, builds (reusing earlier builds), checks
# formatting, then runs the whole suite twice: a release build, and a debug build under
# AddressSanitizer + UndefinedBehaviorSanitizer; last, every libFuzzer target for a bounded time
# (tests/fuzz/run.sh, FUZZ_SECONDS each). Tests that need root and TAP are skipped
# (and reported so) when not run as root; CI runs as root. The interop tests need the Golem
# binaries that tests/interop/fetch-golem-tools.sh fetches and caches.
set -euo pipefail
cd "$(dirname "$0")/.."

tests/install-deps.sh

# The real Golem software the interop tests run against: ya-sb-router (built with cargo once,
# then cached) and yagna (from PyPI's golem-node). As root (CI) the whole suite must run, so a
# failure here fails the run unless GOLEM_SKIP_INTEROP=1; otherwise the interop tests skip.
echo "== Golem software for the interop tests"
if [[ ${GOLEM_SKIP_INTEROP:-0} == 1 ]]; then
  echo "GOLEM_SKIP_INTEROP=1: the interop tests will be skipped"
elif tools=$(tests/interop/fetch-golem-tools.sh); then
  while IFS= read -r line; do export "${line?}"; done <<<"$tools"
  echo "$tools"
elif [[ $(id -u) -eq 0 || -n ${CI:-} ]]; then
  echo "cannot fetch the Golem software the interop tests need (needs cargo from rustup and" \
    "pip; GOLEM_SKIP_INTEROP=1 skips them)" >&2
  exit 1
else
  echo "(not root: the interop tests will be skipped)"
fi

# Namespaces left behind by a test process that crashed (tests remove their own otherwise).
cleanup_namespaces() {
  ip netns list 2>/dev/null | awk '/^lp-/{print $1}' | xargs -r -n1 ip netns del 2>/dev/null || true
}
[[ $(id -u) -eq 0 ]] && cleanup_namespaces && trap cleanup_namespaces EXIT

echo "== clang-format"
git ls-files '*.cpp' '*.hpp' '*.h' | grep -v '^third_party/' |
  xargs clang-format --dry-run -Werror
echo "clean"

run_suite() {  # name, cmake arguments...
  local name=$1
  shift
  echo "== build: $name"
  cmake -S . -B "build/$name" -G Ninja "$@" >/dev/null
  cmake --build "build/$name"
  echo "== test: $name"
  ctest --test-dir "build/$name" --output-on-failure -j2
}

run_suite release -DCMAKE_BUILD_TYPE=RelWithDebInfo
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
run_suite asan -DCMAKE_BUILD_TYPE=Debug -DLIBPROXY_SANITIZE=ON

tests/fuzz/run.sh
