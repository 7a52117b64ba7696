#!/usr/bin/env bash
# Starts the local broker (TCP 1883, WebSocket 9001, loopback only, persistent), the scripted
# fault peer (9002) and `trunk serve` on http://127.0.0.1:8080/. Ctrl-C stops them all.
set -euo pipefail
# mosquitto lives in /usr/sbin, which is not on every PATH.
export PATH="$PATH:/usr/sbin:/sbin"
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
mkdir -p .run
lock=.run/serve.pid
if [ -f "$lock" ] && kill -0 "$(cat "$lock")" 2>/dev/null; then
  echo "make serve is already running (pid $(cat "$lock")): open http://127.0.0.1:8080/ or stop it with Ctrl-C in its terminal."
  exit 1
fi
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 1883 9001 9002 8080; do
  if listening "$port"; then
    echo "port $port on 127.0.0.1 is taken by another program ($(ss -ltnpH "sport = :$port" 2>/dev/null | sed 's/.*users://' | head -n1)); free it and run make serve again."
    exit 1
  fi
done
echo $$ > "$lock"
peer_pid=""
stop() {
  trap - EXIT INT TERM
  echo; echo "stopping broker and fault peer"
  scripts/broker.sh stop .run/broker || true
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null || true
  rm -f "$lock"
}
trap stop EXIT INT TERM
scripts/broker.sh start .run/broker 1883 9001
echo "mosquitto: mqtt://127.0.0.1:1883 and ws://127.0.0.1:9001/mqtt (log: .run/broker/mosquitto.log)"
python3 scripts/fault-peer.py 9002 > .run/fault-peer.log 2>&1 &
peer_pid=$!
echo "fault peer (refuses every subscription): ws://127.0.0.1:9002/"
echo "ackscope: http://127.0.0.1:8080/ (pre-filled for ws://127.0.0.1:9001/mqtt)"
trunk serve --address 127.0.0.1 --port 8080
