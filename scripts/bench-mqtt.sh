#!/usr/bin/env bash
# Measures the MQTT path of `jinn serve` (release build) and prints:
#  1. mosquitto's own QoS 1 publish → subscribe pipe on this machine (the
#     physical limit of the path);
#  2. end to end, QoS 1: local mosquitto → sensor-alert → outbox → uplink
#     mosquitto, messages/s;
#  3. the time to drain N messages spooled while the uplink was down.
#
# Usage: scripts/bench-mqtt.sh [N]    (default 10000)
# Needs: target/release/jinn (cargo build --release -p jinn-host),
# examples/wasm/sensor-alert.wasm (scripts/build-examples.sh), mosquitto,
# mosquitto-clients and curl (scripts/setup.sh). Loopback only.
set -euo pipefail

n="${1:-10000}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jinn="${CARGO_TARGET_DIR:-$root/target}/release/jinn"
module="$root/examples/wasm/sensor-alert.wasm"
for need in "$jinn" "$module"; do
    [ -e "$need" ] || { echo "bench-mqtt: $need is missing" >&2; exit 1; }
done
mosquitto="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
[ -x "$mosquitto" ] || { echo "bench-mqtt: mosquitto is missing (scripts/setup.sh)" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,a,b=float(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print(f'{n/(b-a):,.0f} msg/s ({b-a:.2f} s)')" "$@"; }

# A broker on $1 keeping sessions in $2 (its pid in $broker_pid).
start_broker() {
    mkdir -p "$2"
    {
        echo "listener $1 127.0.0.1"
        echo "allow_anonymous true"
        echo "persistence true"
        echo "persistence_location $2/"
        echo "max_queued_messages 0"
        [ "$(id -u)" -eq 0 ] && echo "user root"
    } >"$2/mosquitto.conf"
    "$mosquitto" -c "$2/mosquitto.conf" >/dev/null 2>&1 &
    broker_pid=$!
    pids+=("$broker_pid")
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "bench-mqtt: mosquitto does not listen on $1" >&2
    exit 1
}

readings() {
    python3 -c "import sys
for i in range(int(sys.argv[1])): print('{\"sensor\":\"t1\",\"value\":%d,\"threshold\":-1}' % i)" "$1"
}

local_port=$(free_port)
uplink_port=$(free_port)
admin_port=$(free_port)
start_broker "$local_port" "$work/local"
start_broker "$uplink_port" "$work/uplink"
uplink_pid=$broker_pid

# 1. mosquitto's own pipe.
mosquitto_sub -p "$local_port" -V mqttv5 -q 1 -t raw -C "$n" >/dev/null &
sub=$!
sleep 0.3
t0=$(now)
readings "$n" | mosquitto_pub -p "$local_port" -V mqttv5 -q 1 -t raw -l
wait "$sub"
t1=$(now)
echo "mosquitto pipe, QoS 1, $n messages: $(rate "$n" "$t0" "$t1")"

# 2. End to end through the gateway.
cat >"$work/jinn.toml" <<EOF
data_dir = "$work/data"
[http]
listen = ["127.0.0.1:0"]
[admin]
listen = "127.0.0.1:$admin_port"
[reload]
watch = false
[outbox]
max_messages = 1000000
max_bytes = "1GiB"
function_messages = 1000000
function_bytes = "1GiB"
[mqtt.local]
url = "mqtt://127.0.0.1:$local_port"
client_id = "bench-local"
[mqtt.uplink]
url = "mqtt://127.0.0.1:$uplink_port"
client_id = "bench-uplink"
reconnect_max = "200ms"
[[mqtt_route]]
filter = "alerts/#"
connection = "uplink"
[[function]]
name = "sensor-alert"
module = "$module"
mqtt = [{ connection = "local", filter = "sensors/+/reading", qos = 1 }]
permissions = { kv_read = ["sensor/*"], kv_write = ["sensor/*"], publish = ["alerts/+"] }
EOF
RUST_LOG=warn,jinn_host::mqtt=info "$jinn" serve --config "$work/jinn.toml" 2>"$work/jinn.log" &
pids+=($!)
for _ in $(seq 200); do grep -q "mqtt: subscribed" "$work/jinn.log" && break; sleep 0.05; done
grep -q "mqtt: subscribed" "$work/jinn.log" || { cat "$work/jinn.log" >&2; exit 1; }
mosquitto_sub -p "$uplink_port" -V mqttv5 -q 1 -c -x 3600 -i bench-sub -t 'alerts/#' -C "$n" >/dev/null &
sub=$!
sleep 0.3
t0=$(now)
readings "$n" | mosquitto_pub -p "$local_port" -V mqttv5 -q 1 -t sensors/t1/reading -l
wait "$sub"
t1=$(now)
echo "gateway end to end, QoS 1 (local → sensor-alert → outbox → uplink), $n messages: $(rate "$n" "$t0" "$t1")"

# 3. Spooled while the uplink is down, then drained.
ok() { curl -s "127.0.0.1:$admin_port/metrics" | awk '/^jinn_invocations_total\{function="sensor-alert",outcome="ok"\}/ {print $2}'; }
kill "$uplink_pid"
wait "$uplink_pid" 2>/dev/null || true
t0=$(now)
readings "$n" | mosquitto_pub -p "$local_port" -V mqttv5 -q 1 -t sensors/t1/reading -l
while [ "$(ok)" != "$((2 * n))" ]; do sleep 0.1; done
t1=$(now)
echo "uplink down: $n messages processed into the outbox: $(rate "$n" "$t0" "$t1")"
start_broker "$uplink_port" "$work/uplink"
t0=$(now)
mosquitto_sub -p "$uplink_port" -V mqttv5 -q 1 -c -x 3600 -i bench-sub -t 'alerts/#' -C "$n" >/dev/null
t1=$(now)
echo "uplink back: $n spooled messages drained and received: $(rate "$n" "$t0" "$t1")"
