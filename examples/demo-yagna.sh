#!/usr/bin/env bash
# The production path, end to end with real Golem software, offline on loopback: golem-proxyd
# beside a yagna daemon (as yagna starts it, on yagna's Service Bus), forwarding a public port
# into a Golem VPN made by a real requestor's yagna, to a service node behind a third yagna (a
# network namespace with a real HTTP server, joined to the VPN by gsb_tap_bridge, as an
# exe-unit joins a VM). A real HTTP client fetches a page through the proxy. Cleans up after
# itself.
#
# yagna reaches for the Internet by itself (its payment driver resolves RPC host names, a
# version check calls a public API): the hub and the three daemons run in a network namespace
# with loopback alone (checked before they start), so nothing leaves the machine. The rest reach
# them through their unix-socket buses (the filesystem is shared by namespaces) and, for yagna's
# REST API, with `ip netns exec`.
#
#   hub       ya-sb-router, the central net (DEMO_HUB_PORT, default 7477; must be below 10000;
#             in the Golem namespace, where every port is free)
#   yagna A   the requestor: creates VPN 192.168.8.0/24, adds B and C as nodes (GAP-22)
#   yagna B   the provider with the proxy: golem-proxyd on B's bus, VPN address 192.168.8.2
#   yagna C   the service provider: gsb_tap_bridge on C's bus, HTTP server on 192.168.8.3:80
#
# Needs root (network namespaces, TAP). Ports: DEMO_PORT (default 8080) for the public socket,
# DEMO_API_PORT (default 7466) for the management API. A default port that is taken is replaced
# by a free one; a port given explicitly must be free. The yagna REST ports are picked free (in
# the Golem namespace).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "demo-yagna.sh needs root: it creates a network namespace and a TAP device" >&2
  exit 1
fi
tests/install-deps.sh curl python3

# A developer's own yagna settings must not steer the daemons started here.
for variable in $(compgen -e); do
  case $variable in YAGNA_* | GSB_* | YA_* | CENTRAL_NET_*) unset "$variable" ;; esac
done

tools=$(tests/interop/fetch-golem-tools.sh)
eval "$tools"
[[ -x ${YA_SB_ROUTER:-} && -x ${YAGNA:-} ]] || { echo "no ya-sb-router or yagna" >&2; exit 1; }

port_free() { [[ -z $(ss -Hltn "sport = :$1") ]]; }
# pick_port VALUE_FROM_ENV DEFAULT NAME: the explicit port (must be free), else the default,
# else a free port below 10000.
pick_port() {
  local given=$1 default=$2 name=$3 port
  if [[ -n $given ]]; then
    port_free "$given" || { echo "$name=$given: port taken" >&2; return 1; }
    echo "$given"
    return
  fi
  port_free "$default" && { echo "$default"; return; }
  for _ in $(seq 500); do
    port=$((2000 + RANDOM % 8000))
    port_free "$port" && { echo "$port"; return; }
  done
  echo "no free port for $name" >&2
  return 1
}
hub_port=${DEMO_HUB_PORT:-7477}
[[ $hub_port =~ ^[0-9]+$ ]] || { echo "DEMO_HUB_PORT=$hub_port: not a port" >&2; exit 1; }
((hub_port < 10000)) || { echo "DEMO_HUB_PORT must be below 10000 (yagna 0.17.6)" >&2; exit 1; }
port=$(pick_port "${DEMO_PORT:-}" 8080 DEMO_PORT)
api_port=$(pick_port "${DEMO_API_PORT:-}" 7466 DEMO_API_PORT)

ns=gdemo-$$
golem_ns=gdemo-golem-$$
tap=gdemo$$
workdir=$(mktemp -d /tmp/gdemo-XXXXXX)
router_pid="" bridge_pid="" server_pid="" daemon_pid="" relay_pid=""
declare -A yagna_pid=()

alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; }
# stop PID SIGNAL TENTHS: the signal (0: none, already sent), then SIGKILL if PID is still there
# after TENTHS/10 s; reaps it.
stop() {
  local pid=$1 signal=$2 tenths=$3
  alive "$pid" || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq "$tenths"); do
    alive "$pid" || break
    sleep 0.1
  done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT
  # On a failure (not on SIGINT or SIGTERM), the logs as they were, before the shutdown noise.
  if ((status != 0 && status != 130 && status != 143)); then
    for log in "$workdir"/*.log; do
      [[ -s $log ]] || continue
      echo "---- $(basename "$log") (last 10 lines) ----" >&2
      tail -n 10 "$log" | cut -c1-200 >&2
    done
  fi
  stop "$server_pid" TERM 20
  stop "$daemon_pid" TERM 50
  stop "$relay_pid" TERM 10
  stop "$bridge_pid" TERM 30
  # The yagna daemons before the hub: a daemon whose hub is gone may ignore SIGTERM.
  for node in "${!yagna_pid[@]}"; do kill -INT "${yagna_pid[$node]}" 2>/dev/null || true; done
  for node in "${!yagna_pid[@]}"; do stop "${yagna_pid[$node]}" 0 50; done # 0: already sent
  stop "$router_pid" TERM 20
  ip netns del "$ns" 2>/dev/null || true
  ip netns del "$golem_ns" 2>/dev/null || true
  ip link del "$tap" 2>/dev/null || true
  ((status == 0)) || echo "demo-yagna.sh failed (exit $status); everything it started is stopped" >&2
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.1 s; fails with WHAT after SECONDS.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local status
  for _ in $(seq $((seconds * 10))); do
    if "$@"; then return 0; else status=$?; fi
    ((status != 2)) || break # gave up: what it waits on is gone
    sleep 0.1
  done
  echo "timed out after ${seconds} s: $what" >&2
  return 1
}

echo "== build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release --target golem-proxyd golem-proxyctl gsb_tap_bridge
ctl=build/release/cli/golem-proxyctl
bridge=build/release/examples/gsb_tap_bridge
export GOLEM_PROXY_API=http://127.0.0.1:$api_port

echo "== the Golem namespace $golem_ns: loopback alone, for the hub and the yagna daemons"
ip netns add "$golem_ns"
ip -n "$golem_ns" link set lo up
# "${in_golem[@]}" COMMAND...: runs COMMAND in the Golem namespace (an array, not a function:
# `cmd &` then gives the pid of the command itself, which ip netns exec becomes).
in_golem=(ip netns exec "$golem_ns")
links=$(ip -n "$golem_ns" -o link show | awk -F': ' '{print $2}' | paste -sd " ")
[[ $links == lo ]] || { echo "$golem_ns has interfaces other than lo: $links" >&2; exit 1; }
# Every route there (the kernel's own local table included) goes to lo.
routes=$({ ip -n "$golem_ns" route show table all; ip -n "$golem_ns" -6 route show table all; } |
  grep -v ' dev lo ' || true)
[[ -z $routes ]] || { echo "$golem_ns has routes off lo: $routes" >&2; exit 1; }
# Nothing resolves there: the resolver in /etc/resolv.conf is out of reach.
if "${in_golem[@]}" timeout 10 getent ahosts example.org >/dev/null; then
  echo "$golem_ns resolves public names" >&2
  exit 1
fi
echo "   interfaces: $links; routes: only to lo; getent ahosts example.org: fails"
# in_golem_ns PID: PID runs in the Golem namespace.
in_golem_ns() { [[ $(ip netns identify "$1") == "$golem_ns" ]]; }

echo "== hub: ya-sb-router on tcp://127.0.0.1:$hub_port ($("$YAGNA" --version))"
"${in_golem[@]}" "$YA_SB_ROUTER" -l "tcp://127.0.0.1:$hub_port" >"$workdir/router.log" 2>&1 &
router_pid=$!
hub_up() { alive "$router_pid" && "${in_golem[@]}" bash -c "</dev/tcp/127.0.0.1/$hub_port" 2>/dev/null; }
wait_for 20 "ya-sb-router accepting on $hub_port" hub_up
in_golem_ns "$router_pid" || { echo "ya-sb-router is not in $golem_ns" >&2; exit 1; }

free_port() { "${in_golem[@]}" python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A rest=() key=() id=()
for node in a b c; do
  dir=$workdir/yagna-$node
  mkdir -p "$dir/data" "$dir/extensions"
  rest[$node]=$(free_port)
  key[$node]=gdemo-$node-key
  GSB_URL=unix:$dir/gsb.sock YAGNA_DATADIR=$dir/data YAGNA_EXTENSIONS_DIR=$dir/extensions \
    YAGNA_API_URL=http://127.0.0.1:${rest[$node]} YAGNA_AUTOCONF_APPKEY=${key[$node]} \
    YA_NET_TYPE=central CENTRAL_NET_HOST=127.0.0.1:$hub_port \
    "${in_golem[@]}" "$YAGNA" service run --disable-metrics-push </dev/null >"$workdir/yagna-$node.log" 2>&1 &
  yagna_pid[$node]=$!
done
# api NODE METHOD PATH [JSON]: a call to NODE's REST API with its app key (in the namespace).
api() {
  "${in_golem[@]}" curl --silent --show-error --fail --max-time 10 -X "$2" -H "Authorization: Bearer ${key[$1]}" \
    ${4:+-H "Content-Type: application/json" --data "$4"} "http://127.0.0.1:${rest[$1]}$3"
}
yagna_ready() {
  alive "${yagna_pid[$1]}" || { echo "yagna $1 exited" >&2; return 2; }
  grep -q "network service bound" "$workdir/yagna-$1.log" && api "$1" GET /me >/dev/null 2>&1
}
declare -A role=([a]="requestor" [b]="provider with the proxy" [c]="service provider")
for node in a b c; do
  wait_for 40 "yagna $node: bound on the hub and answering GET /me" yagna_ready "$node"
  id[$node]=$(api "$node" GET /me | sed -n 's/.*"identity":"\(0x[0-9a-f]*\)".*/\1/p')
  [[ -n ${id[$node]} ]] || { echo "yagna $node: no identity in GET /me" >&2; exit 1; }
  in_golem_ns "${yagna_pid[$node]}" || { echo "yagna $node is not in $golem_ns" >&2; exit 1; }
  echo "   yagna ${node^^} (${role[$node]}): node ${id[$node]}, REST :${rest[$node]}," \
    "bus unix:$workdir/yagna-$node/gsb.sock, namespace $(ip netns identify "${yagna_pid[$node]}")"
done

echo "== requestor A creates the VPN 192.168.8.0/24 (POST /net-api/v1/net)"
net=$(api a POST /net-api/v1/net '{"ip":"192.168.8.0","mask":"255.255.255.0"}' |
  sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[[ -n $net ]] || { echo "POST /net-api/v1/net gave no network id" >&2; exit 1; }
echo "   network $net; A takes 192.168.8.1"
echo "== requestor A adds the provider's proxy node B as 192.168.8.2 and service node C as" \
  "192.168.8.3 (POST /net-api/v1/net/$net/nodes)"
api a POST "/net-api/v1/net/$net/nodes" "{\"id\":\"${id[b]}\",\"ip\":\"192.168.8.2\"}" >/dev/null
api a POST "/net-api/v1/net/$net/nodes" "{\"id\":\"${id[c]}\",\"ip\":\"192.168.8.3\"}" >/dev/null

echo "== service node C: gsb_tap_bridge on C's bus, TAP $tap in namespace $ns, 192.168.8.3/24"
"$bridge" --gsb "unix:$workdir/yagna-c/gsb.sock" --vpn "$net" --tap "$tap" \
  --peer "192.168.8.2=${id[b]}" >"$workdir/bridge.log" 2>&1 &
bridge_pid=$!
bridge_ready() {
  alive "$bridge_pid" || { echo "gsb_tap_bridge exited" >&2; return 2; }
  grep -q '^ready' "$workdir/bridge.log"
}
wait_for 30 "gsb_tap_bridge ready" bridge_ready
bridge_node=$(sed -n 's/^ready: node \([^,]*\),.*/\1/p' "$workdir/bridge.log")
[[ $bridge_node == "${id[c]}" ]] ||
  { echo "gsb_tap_bridge says node '$bridge_node', C is ${id[c]}" >&2; exit 1; }
echo "   bridge ready: node $bridge_node (from C's identity service)," \
  "serving $(sed -n 's/^ready:.* serving //p' "$workdir/bridge.log") on C's bus"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip link set "$tap" netns "$ns"
ip -n "$ns" link set "$tap" mtu 1220 up
ip -n "$ns" addr add 192.168.8.3/24 dev "$tap"

mkdir "$workdir/www"
cat >"$workdir/www/index.html" <<HTML
<!doctype html>
<title>Golem inbound proxy demo over yagna</title>
<h1>Hello from inside the Golem VPN</h1>
<p>Served by 192.168.8.3:80 on service node ${id[c]}, reached through golem-proxyd on ${id[b]}.</p>
HTML
ip netns exec "$ns" python3 -m http.server 80 --bind 192.168.8.3 --directory "$workdir/www" \
  >"$workdir/http.log" 2>&1 &
server_pid=$!
server_up() { ip netns exec "$ns" bash -c '</dev/tcp/192.168.8.3/80' 2>/dev/null; }
wait_for 10 "HTTP server on 192.168.8.3:80" server_up

echo "== golem-proxyd beside yagna B, as yagna starts it (YAGNA_GSB_URL, YAGNA_NODE_ID)," \
  "API on $GOLEM_PROXY_API"
mkfifo "$workdir/daemon.out"
YAGNA_GSB_URL=unix:$workdir/yagna-b/gsb.sock YAGNA_NODE_ID=${id[b]} \
  build/release/daemon/golem-proxyd --api "127.0.0.1:$api_port" >"$workdir/daemon.out" 2>&1 &
daemon_pid=$!
exec 3<"$workdir/daemon.out"
while read -r -t 20 line <&3; do
  echo "   proxyd: $line"
  [[ $line == ready ]] && break
done
[[ ${line:-} == ready ]] || { echo "golem-proxyd did not start" >&2; exit 1; }
(sed 's/^/   proxyd: /' <&3) &
relay_pid=$!
exec 3<&-

echo "== agreement: the Net Runtime adds a gateway on port $port into VPN $net, to C's" \
  "192.168.8.3:80"
$ctl gateway add tcp "$port" --vpn "$net" --remote-addr 192.168.8.3:80 \
  --local-addr 192.168.8.2/24 --requestor "${id[a]}" --activity demo-activity \
  --remote-id "${id[c]}" >/dev/null
# The bus confirms the VPN's addresses (/public/vpn/<net>/raw and .../VpnControl).
bus_confirmed() {
  local status
  status=$($ctl --json status) || return 1
  [[ $status == *'"registered":true'* && $status != *'"registered":false'* ]]
}
wait_for 10 "the bus confirming the VPN's addresses" bus_confirmed
echo "== golem-proxyctl gateway list; golem-proxyctl status"
$ctl gateway list
$ctl status

echo "== an Internet user: curl http://127.0.0.1:$port/ (proxy B -> yagna B -> hub -> yagna C" \
  "-> TAP -> HTTP server)"
page=$(curl --silent --show-error --fail --max-time 20 "http://127.0.0.1:$port/")
echo "$page"
[[ $page == "$(cat "$workdir/www/index.html")" ]] ||
  { echo "the page that came through the proxy is not the one served" >&2; exit 1; }
echo "== the page matches the one served in $ns"

echo "== stopping golem-proxyd (SIGTERM); its counters:"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""
wait "$relay_pid" # the daemon's last lines
relay_pid=""
echo "== stopping the HTTP server, the bridge, yagna A, B, C (SIGINT) and the hub"
stop "$server_pid" TERM 20
server_pid=""
stop "$bridge_pid" TERM 30
bridge_pid=""
for node in a b c; do kill -INT "${yagna_pid[$node]}" 2>/dev/null || true; done
for node in a b c; do stop "${yagna_pid[$node]}" 0 50; done
yagna_pid=()
stop "$router_pid" TERM 20
router_pid=""
echo "== done"
