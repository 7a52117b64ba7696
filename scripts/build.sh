#!/usr/bin/env bash
# The release build of the page into dist/ (what the end-to-end tests serve). Run via
# `make build`; scripts/test.sh uses it too. Trunk finds wasm-opt 132 in node_modules/.bin
# (npm ci) and wasm-bindgen in cargo's bin folder: both go on PATH here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
exec trunk build --release "$@"
