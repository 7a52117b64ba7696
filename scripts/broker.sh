#!/usr/bin/env bash
# Starts or stops a mosquitto from broker/mosquitto.conf.in, bound to 127.0.0.1 only.
#   scripts/broker.sh start DIR TCP_PORT WS_PORT [EXTRA_CONF]   (returns once both ports listen)
#   scripts/broker.sh stop DIR
set -euo pipefail
# mosquitto lives in /usr/sbin, which is not on every PATH.
export PATH="$PATH:/usr/sbin:/sbin"
root="$(cd "$(dirname "$0")/.." && pwd)"
cmd=${1:?start or stop}; dir=${2:?data dir}
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$cmd" in
  start)
    tcp=${3:?tcp port}; ws=${4:?websocket port}; extra=${5:-}
    for port in "$tcp" "$ws"; do
      if listening "$port"; then echo "port $port on 127.0.0.1 is already in use" >&2; exit 1; fi
    done
    sed -e "s#@TCP_PORT@#$tcp#g" -e "s#@WS_PORT@#$ws#g" -e "s#@DIR@#$dir#g" \
      "$root/broker/mosquitto.conf.in" > "$dir/mosquitto.conf"
    if [ -n "$extra" ]; then
      # Global options (auth) replace the template's allow_anonymous and come before the listeners.
      { cat "$extra"; sed '/^allow_anonymous/d' "$dir/mosquitto.conf"; } > "$dir/mosquitto.conf.tmp"
      mv "$dir/mosquitto.conf.tmp" "$dir/mosquitto.conf"
    fi
    # Run as root, mosquitto drops to the mosquitto user, which must own its files.
    if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then chown -R mosquitto "$dir"; fi
    mosquitto -c "$dir/mosquitto.conf" > "$dir/stdout.log" 2>&1 &
    echo $! > "$dir/pid"
    for _ in $(seq 1 100); do
      if listening "$tcp" && listening "$ws"; then exit 0; fi
      if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "mosquitto failed to start:" >&2; cat "$dir/stdout.log" "$dir/mosquitto.log" >&2 2>/dev/null || true; exit 1
      fi
      sleep 0.1
    done
    echo "mosquitto did not listen on $tcp and $ws within 10 s" >&2; exit 1
    ;;
  stop)
    if [ -f "$dir/pid" ]; then
      pid=$(cat "$dir/pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/pid"
    fi
    ;;
  *) echo "usage: $0 start|stop DIR ..." >&2; exit 2 ;;
esac
