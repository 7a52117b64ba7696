#!/usr/bin/env bash
# Figures, printed and never asserted. Run via `make bench` (after `make test`'s setup).
#
# 1. ackscope-core, with std::time::Instant, best of 5 runs each, in the release profile the
#    page ships with (opt-level "z", LTO):
#      framing          a 10 MB stream of QoS 1 PUBLISH packets (64 B and 4 KB payloads) fed to
#                       the Framer in 1 KB chunks, then in 1 MB chunks: MB/s and packets/s
#      session receive  100,000 incoming QoS 1 PUBLISH packets through Session::handle_bytes,
#                       each acked, outputs drained: messages/s; then the same with probe
#                       payloads (probe parsing, verdicts, gap/duplicate tracking)
#      session publish  100,000 outgoing QoS 1 messages with their PUBACKs fed back: messages/s
#      drain            50,000 queued QoS 1 messages after a resumed session, as Device::pump
#                       drives them, timed per stage (session, poll_timeout, the diagnostics'
#                       history, JSON of every event): microseconds per message
# 2. The page against bare mqtt.js (issue 16), tests/bench/run.mjs: Debian's Chromium started
#    directly and driven over a bare CDP WebSocket (no Playwright: it enables the Network
#    domain, which slows WebSocket traffic 2.5 to 3.4 times), mosquitto from scripts/broker.sh:
#      weight and first render; drain of 10,000 and 50,000 queued QoS 1 messages; a live
#      5,000-message QoS 1 burst against mosquitto's default limits; live QoS 0 streams of
#      20,000 and 100,000 messages from 4 publishers over TCP, paced at 20,000 msg/s and
#      unpaced (msg/s received, worst frame; the publishers' rate checked by mosquitto_sub);
#      8 devices each fed its own 2,000 msg/s stream for 10 s (and 8 mqtt.js clients);
#      1,000,000 messages held (memory, filter, scroll). Sizes: see the environment variables
#      at the top of run.mjs, e.g. `BENCH_HELD=0 make bench` skips the million.
#    The older tests/e2e/bench-messages.mjs (100,000 messages, Playwright) still runs by hand;
#    its rates are slowed by Playwright's Network domain.
# The machine is shared: compare figures from the same run, not across machines.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

echo "[bench] building and running core/examples/bench.rs (cargo run --release -p ackscope-core --example bench)"
cargo run --quiet --release -p ackscope-core --example bench
echo "[bench] a drain through the core as the page drives it, per stage (core/examples/drain.rs)"
cargo run --quiet --release -p ackscope-core --example drain

# mosquitto lives in /usr/sbin, which is not on every PATH.
export PATH="$PWD/node_modules/.bin:$PATH:/usr/sbin:/sbin"
echo "[bench] building the release page into dist/ (scripts/build.sh)"
scripts/build.sh >/dev/null 2>&1 || scripts/build.sh
echo "[bench] ackscope vs bare mqtt.js in headless Chromium over bare CDP (tests/bench/run.mjs)"
# Node 20 has its WebSocket client behind a flag; node >= 22 has it on.
if node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)'; then
  node tests/bench/run.mjs
else
  node --experimental-websocket --no-warnings=ExperimentalWarning tests/bench/run.mjs
fi
