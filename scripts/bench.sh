#!/usr/bin/env bash
# Throughput figures of ackscope-core (printed, never asserted). Run via `make bench`.
#
# Measures, with std::time::Instant, best of 5 runs each, in the release profile the page
# ships with (opt-level "z", LTO):
#   framing          a 10 MB stream of QoS 1 PUBLISH packets (64 B and 4 KB payloads) fed to
#                    the Framer in 1 KB chunks, then in 1 MB chunks: MB/s and packets/s
#   session receive  100,000 incoming QoS 1 PUBLISH packets through Session::handle_bytes,
#                    each acked, outputs drained: messages/s; then the same with probe
#                    payloads (probe parsing, verdicts, gap/duplicate tracking)
#   session publish  100,000 outgoing QoS 1 messages with their PUBACKs fed back: messages/s
# The machine is shared: compare figures from the same run, not across machines.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

echo "[bench] building and running core/examples/bench.rs (cargo run --release -p ackscope-core --example bench)"
cargo run --quiet --release -p ackscope-core --example bench

# The page itself: 100,000 QoS 1 messages through a real mosquitto into one device in
# headless Chromium; end-to-end rate, DOM rows, scroll frame times, filter time, heap.
export PATH="$PWD/node_modules/.bin:$PATH:/usr/sbin:/sbin"
echo "[bench] building the release page (trunk build --release)"
trunk build --release >/dev/null 2>&1 || trunk build --release
echo "[bench] browser: 100,000 messages into the page (tests/e2e/bench-messages.mjs)"
node tests/e2e/bench-messages.mjs "${BENCH_MESSAGES:-100000}"
