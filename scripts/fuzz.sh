#!/usr/bin/env bash
# Fuzzes ackscope-core with cargo-fuzz (libFuzzer): each target in core/fuzz for SECONDS.
#
#   scripts/fuzz.sh [SECONDS-PER-TARGET]      (default 300; `make fuzz FUZZ_SECONDS=60`)
#
# Targets: `framing` (arbitrary bytes, split anywhere, into a Framer) and `session` (a
# session on a fake broker fed arbitrary broker bytes, commands, socket events and clock
# jumps). Installs cargo-fuzz if it is missing; needs the nightly toolchain. The corpus
# grows in core/fuzz/corpus/<target> (seeded from core/fuzz/seeds/<target>), findings land
# in core/fuzz/artifacts/<target>, logs in core/fuzz/target/fuzz-logs. Prints executions
# and exec/s per target, then the findings; exits 1 if any target crashed, leaked, ran out
# of memory or timed out, or if an input kept in core/fuzz/regressions/<target>-*.bin (replayed
# first) still fails. Extra libFuzzer flags: FUZZ_ARGS="-max_len=8192".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf '\033[1m[fuzz]\033[0m %s\n' "$*"; }
seconds=${1:-300}
case $seconds in
  '' | *[!0-9]*) say "usage: scripts/fuzz.sh [SECONDS-PER-TARGET], got '$seconds'"; exit 2 ;;
esac
targets=(framing session)

# --- tools ------------------------------------------------------------------------------
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  say "installing the nightly toolchain (cargo-fuzz needs it)"
  rustup toolchain install nightly --profile minimal || { say "no nightly toolchain"; exit 1; }
else
  say "nightly toolchain present"
fi
if cargo fuzz --version >/dev/null 2>&1; then
  say "cargo-fuzz present: $(cargo fuzz --version 2>/dev/null)"
else
  say "installing cargo-fuzz (cargo install cargo-fuzz --locked; a few minutes)"
  cargo install cargo-fuzz --locked || { say "installing cargo-fuzz failed"; exit 1; }
fi

cd core/fuzz
logs=target/fuzz-logs
mkdir -p "$logs"
say "building the fuzz targets (release, debug assertions, AddressSanitizer)"
cargo +nightly fuzz build || { say "build failed"; exit 1; }

# --- run --------------------------------------------------------------------------------
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
summary=()
failed=0
for t in "${targets[@]}"; do
  # Inputs that once failed (regressions/<target>-*.bin) must pass before fuzzing on.
  shopt -s nullglob
  known=(regressions/"$t"-*)
  shopt -u nullglob
  if ((${#known[@]})); then
    say "replaying ${#known[@]} regression input(s) of $t"
    if cargo +nightly fuzz run "$t" "${known[@]}" -- -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$logs/$t-regression-" >"$logs/$t-regressions.log" 2>&1; then
      summary+=("$t regressions: ${#known[@]} pass")
    else
      failed=1
      summary+=("$t regressions: FAILED, see $PWD/$logs/$t-regressions.log")
      grep -E '^Running: |ERROR: |^SUMMARY: |panicked at' "$logs/$t-regressions.log" | head -8
    fi
  fi
  mkdir -p "corpus/$t" "artifacts/$t"
  log="$logs/$t.log"
  say "running $t for $seconds s (corpus/$t + seeds/$t; log $PWD/$log)"
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    ${FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "corpus/$t" -type f | wc -l)
  if ((rc == 0)); then
    line="$t: ok, ${seconds} s, ${execs:-?} executions, ${rate:-?} exec/s, corpus $corpus inputs"
  else
    failed=1
    line="$t: FAILED (exit $rc), ${execs:-?} executions, ${rate:-?} exec/s"
    say "$t failed; the end of its log:"
    grep -v -E '^ +#[0-9]+ 0x|^ +at |^ +[0-9]+: ' "$log" | tail -40
  fi
  summary+=("$line")
done

# --- report -----------------------------------------------------------------------------
echo
say "results (${seconds} s per target)"
for line in "${summary[@]}"; do echo "  $line"; done
new=$(find artifacts -type f -newer "$marker" | sort)
old=$(find artifacts -type f ! -newer "$marker" | sort)
if [ -n "$new" ]; then
  say "findings of this run:"
  for f in $new; do
    echo "  $f ($(wc -c <"$f") bytes): $(head -c 64 "$f" | od -An -tx1 | tr -s ' \n' ' ')"
    t=$(basename "$(dirname "$f")")
    echo "    reproduce: (cd core/fuzz && cargo +nightly fuzz run $t $f)"
    echo "    minimise:  (cd core/fuzz && cargo +nightly fuzz tmin $t $f)"
  done
  echo "  Keep a minimised input in core/fuzz/regressions/<target>-<what>.bin."
else
  say "findings of this run: none"
fi
[ -n "$old" ] && say "older findings still in core/fuzz/artifacts: $(echo "$old" | wc -l)"
exit "$failed"
