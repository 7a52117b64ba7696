#!/usr/bin/env bash
# Starts or stops a private RabbitMQ 3.10 (Debian `rabbitmq-server`) with MQTT over WebSocket,
# bound to 127.0.0.1 only, on the ports given, with its data and logs in DIR. Nothing of the
# system's RabbitMQ (service, node name, ports, epmd) is used or touched.
#   scripts/rabbitmq.sh start DIR AMQP_PORT MQTT_PORT WS_PORT DIST_PORT EPMD_PORT
#       returns once the WebSocket endpoint ws://127.0.0.1:WS_PORT/ws answers (about 20 s)
#   scripts/rabbitmq.sh stop DIR
# See ../shared/reference/brokers.md (RabbitMQ 3.10) for why each setting is here.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin:/usr/lib/rabbitmq/bin"
cmd=${1:?start or stop}; dir=${2:?data dir}
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
  # Only the processes this script started, by the pids it wrote down.
  for f in "$dir/beam.pid" "$dir/pid" "$dir/epmd.pid"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

case "$cmd" in
  start)
    amqp=${3:?amqp port}; mqtt=${4:?mqtt port}; ws=${5:?websocket port}
    dist=${6:?erlang distribution port}; epmd=${7:?epmd port}
    command -v rabbitmq-server >/dev/null || { echo "rabbitmq-server is not installed (make setup installs it)" >&2; exit 1; }
    for port in "$amqp" "$mqtt" "$ws" "$dist" "$epmd"; do
      if listening "$port"; then echo "port $port on 127.0.0.1 is already in use" >&2; exit 1; fi
    done
    mkdir -p "$dir/mnesia" "$dir/log"
    cat > "$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$amqp
mqtt.listeners.tcp.default = 127.0.0.1:$mqtt
mqtt.allow_anonymous = true
web_mqtt.tcp.ip = 127.0.0.1
web_mqtt.tcp.port = $ws
EOF
    echo '[rabbitmq_mqtt,rabbitmq_web_mqtt].' > "$dir/enabled_plugins"
    # Started as root, rabbitmq-server drops to the rabbitmq user, which must own its folders.
    if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq "$dir"; fi
    node="ackscope-$ws@localhost"
    # epmd first, on its private port and loopback only, so that we know its pid.
    epmd -port "$epmd" -address 127.0.0.1 > "$dir/epmd.log" 2>&1 &
    echo $! > "$dir/epmd.pid"
    # The Erlang cookie lives in HOME: a private HOME keeps this node away from the system's.
    # The wrapper in /usr/sbin would switch user with `su` and reset HOME; run the real script.
    as_rabbit=()
    if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then as_rabbit=(runuser -u rabbitmq --); fi
    "${as_rabbit[@]}" env HOME="$dir" \
      RABBITMQ_CONFIG_FILE="$dir/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
      RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/beam.pid" \
      RABBITMQ_NODENAME="$node" RABBITMQ_DIST_PORT="$dist" \
      ERL_EPMD_PORT="$epmd" ERL_EPMD_ADDRESS=127.0.0.1 \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      /usr/lib/rabbitmq/bin/rabbitmq-server > "$dir/stdout.log" 2>&1 &
    echo $! > "$dir/pid"
    for _ in $(seq 1 900); do
      if listening "$ws"; then exit 0; fi
      if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "rabbitmq-server failed to start:" >&2; tail -n 40 "$dir/stdout.log" >&2 || true; stop; exit 1
      fi
      sleep 0.1
    done
    echo "RabbitMQ did not listen on $ws within 90 s" >&2; tail -n 40 "$dir/stdout.log" >&2 || true; stop; exit 1
    ;;
  stop) stop ;;
  *) echo "usage: $0 start DIR AMQP MQTT WS DIST EPMD | stop DIR" >&2; exit 2 ;;
esac
