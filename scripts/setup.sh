#!/usr/bin/env bash
# Installs what ackscope's build and tests need, skipping whatever is already there at the
# right version. Idempotent: run it as often as you like (make serve / make test do).
set -euo pipefail
# mosquitto lives in /usr/sbin, which is not on every PATH.
export PATH="$PATH:/usr/sbin:/sbin"
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# --- Debian packages --------------------------------------------------------------------
# rabbitmq-server: a second real broker for the broker check's end-to-end tests
# (scripts/rabbitmq.sh runs a private one on free ports; the system service is not used).
packages=(chromium chromium-driver mosquitto mosquitto-clients rabbitmq-server fonts-noto-cjk)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  if ! have apt-get; then
    say "apt-get is not available. Install these yourself, then run again: ${missing[*]}"
    say "(Chromium and ChromeDriver of the same version, mosquitto 2.x with its clients, RabbitMQ 3.10.)"
    exit 1
  fi
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "Debian packages present: ${packages[*]}"
fi
# The packaged broker would hold port 1883; ackscope runs its own from broker/.
if have systemctl && systemctl is-active --quiet mosquitto 2>/dev/null; then
  say "note: the system mosquitto service is running; ackscope's broker uses its own ports"
fi

# --- Rust target and cargo tools --------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
else
  say "rust target wasm32-unknown-unknown present"
fi

install_tool() { # name, wanted-version-regex, cargo-install-args...
  local bin=$1 want=$2; shift 2
  local got=""
  if have "$bin"; then got=$("$bin" --version 2>/dev/null | head -n1 || true); fi
  if [[ "$got" =~ $want ]]; then
    say "$bin present ($got)"
  else
    say "cargo install $* (was: ${got:-absent}); this takes a few minutes"
    cargo install "$@"
  fi
}

bindgen_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
[ -n "$bindgen_version" ] || { say "cannot read the wasm-bindgen version from Cargo.lock"; exit 1; }
# trunk 0.22 declares a newer rust-version than some toolchains; it builds fine regardless.
install_tool trunk '^trunk 0\.22\.' trunk --version '^0.22' --ignore-rust-version
# Without --locked: the registry here lacks one dependency pinned by its lock file.
install_tool wasm-bindgen "^wasm-bindgen ${bindgen_version//./\\.}\$" wasm-bindgen-cli --version "$bindgen_version"
install_tool wasm-pack '^wasm-pack ' wasm-pack

# --- Node packages (Playwright driver, binaryen's wasm-opt pinned in Trunk.toml) --------
if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci (playwright-core, binaryen)"
  npm ci --no-audit --no-fund --loglevel=error
else
  say "node packages present"
fi
say "ready"
