#!/usr/bin/env bash
# Every test of ackscope, in order; ends with one summary line. Run via `make test`.
set -uo pipefail
# mosquitto lives in /usr/sbin, which is not on every PATH.
export PATH="$PATH:/usr/sbin:/sbin"
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

run_dir=$(mktemp -d /tmp/ackscope-test-XXXXXX)
peer_pid=""
cleanup() {
  scripts/broker.sh stop "$run_dir/broker" >/dev/null 2>&1 || true
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start=$(date +%s)
passed=0; total=0; failed_step=""
step() { # name, command...
  local name=$1; shift
  total=$((total + 1))
  local t0; t0=$(date +%s)
  printf '\n\033[1m== %s\033[0m\n' "$name"
  if "$@"; then
    passed=$((passed + 1)); echo "-- $name: ok ($(( $(date +%s) - t0 )) s)"
  else
    echo "-- $name: FAILED ($(( $(date +%s) - t0 )) s)"
    failed_step=${failed_step:-$name}
  fi
}

browser_tests() {
  local tcp ws peer
  tcp=$(free_port); ws=$(free_port); peer=$(free_port)
  scripts/broker.sh start "$run_dir/broker" "$tcp" "$ws" || return 1
  python3 scripts/fault-peer.py "$peer" > "$run_dir/peer.log" 2>&1 &
  peer_pid=$!
  ACKSCOPE_TEST_BROKER_WS="ws://127.0.0.1:$ws/mqtt" ACKSCOPE_TEST_FAULT_PEER_WS="ws://127.0.0.1:$peer/" \
    wasm-pack test --headless --chrome
  local rc=$?
  scripts/broker.sh stop "$run_dir/broker"; kill "$peer_pid" 2>/dev/null; peer_pid=""
  return $rc
}

step "rustfmt" cargo fmt --all --check
step "clippy (native)" cargo clippy --workspace --all-targets -- -D warnings
clippy_wasm() {
  # The core's tests use proptest, which needs an OS random source: they run natively.
  cargo clippy --target wasm32-unknown-unknown --workspace --lib --bins -- -D warnings &&
    cargo clippy --target wasm32-unknown-unknown -p ackscope --tests -- -D warnings
}
step "clippy (wasm32)" clippy_wasm
# The fuzz targets drive the core's public API: they must keep compiling (make fuzz runs them).
step "fuzz targets compile" cargo check --quiet --manifest-path core/fuzz/Cargo.toml
step "signature vectors vs python hmac" python3 scripts/check-signatures.py
step "core unit and property tests" cargo test -p ackscope-core
step "page view-state unit tests (native)" cargo test -p ackscope --lib
step "browser tests (wasm-pack, headless Chromium, mosquitto)" browser_tests
step "release build (trunk)" scripts/build.sh
step "end-to-end (Playwright, headless Chromium, mosquitto)" node tests/e2e/run.mjs
hostile_debug() {
  # The hostile-input cases again on a debug build, where integer overflow panics: a panic
  # hidden by release arithmetic would show here.
  PATH="$PWD/node_modules/.bin:$PATH" trunk build --dist dist-debug >/dev/null 2>&1 ||
    PATH="$PWD/node_modules/.bin:$PATH" trunk build --dist dist-debug || return 1
  ACKSCOPE_DIST=dist-debug node tests/e2e/run.mjs hostile
}
step "hostile input on the debug build (Playwright)" hostile_debug

elapsed=$(( $(date +%s) - start ))
echo
if [ -z "$failed_step" ]; then
  echo "make test: all $total steps passed in ${elapsed} s"
else
  echo "make test: $passed of $total steps passed in ${elapsed} s; first failure: $failed_step"
  exit 1
fi
