#!/usr/bin/env bash
# The main job, end to end on one machine: golem-proxyd forwarding a public port into a local VPN
# node (a network namespace behind the daemon's TAP link, with a real HTTP server in it), and a
# real HTTP client fetching a page through the proxy. Cleans up after itself.
# It goes through GAP-22's steps with golem-proxyctl: a probe during negotiation, then a gateway
# in its place. Needs root (network namespaces, TAP). Ports: DEMO_PORT (default 8080) for the
# public socket, DEMO_API_PORT (default 7466) for the management API.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh needs root: it creates a network namespace and a TAP device" >&2
  exit 1
fi
tests/install-deps.sh curl python3

port=${DEMO_PORT:-8080}
activity=demo-activity
ns=golem-demo-$$
workdir=$(mktemp -d)
daemon_pid="" server_pid="" relay_pid=""

cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

echo "== build"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release --target golem-proxyd golem-proxyctl
ctl=build/release/cli/golem-proxyctl
export GOLEM_PROXY_API=http://127.0.0.1:${DEMO_API_PORT:-7466}

echo "== golem-proxyd, with its management API on $GOLEM_PROXY_API"
mkfifo "$workdir/daemon.out"
build/release/daemon/golem-proxyd --api "${GOLEM_PROXY_API#http://}" >"$workdir/daemon.out" &
daemon_pid=$!
exec 3<"$workdir/daemon.out"
while read -r -t 10 line <&3; do
  echo "   proxyd: $line"
  [[ $line == ready ]] && break
done
[[ ${line:-} == ready ]] || { echo "golem-proxyd did not start" >&2; exit 1; }
(sed 's/^/   proxyd: /' <&3) &
relay_pid=$!

echo "== negotiation: the Provider Agent opens a probe on port $port; the requestor checks it"
$ctl probe add tcp "$port" 0xrequestor demo-token
echo -n "   the probe answers the requestor with: "
curl --silent --show-error --fail --max-time 5 "http://127.0.0.1:$port/?requestorId=0xrequestor"
echo

echo "== agreement: the Net Runtime turns the probe into a gateway into VPN 'demo'"
gateway=$($ctl --json gateway add tcp "$port" --vpn demo --remote-addr 10.20.30.40:80 \
  --local-addr 10.20.30.41/24 --requestor 0xrequestor --activity "$activity" \
  --remote-id 0xprovider)
tap=$(sed -n 's/.*"vpnLink":"\([^"]*\)".*/\1/p' <<<"$gateway")
echo "   the proxy joined the VPN over TAP device $tap"

echo "== the VPN node: namespace $ns behind $tap, an HTTP server on 10.20.30.40:80"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip link set "$tap" netns "$ns"
ip -n "$ns" link set "$tap" mtu 1220 up
ip -n "$ns" addr add 10.20.30.40/24 dev "$tap"

mkdir "$workdir/www"
cat >"$workdir/www/index.html" <<HTML
<!doctype html>
<title>Golem inbound proxy demo</title>
<h1>Hello from inside the VPN</h1>
<p>Served by 10.20.30.40:80 in network namespace $ns, reached through golem-proxyd.</p>
HTML
ip netns exec "$ns" python3 -m http.server 80 --bind 10.20.30.40 --directory "$workdir/www" \
  >"$workdir/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  ip netns exec "$ns" bash -c '</dev/tcp/10.20.30.40/80' 2>/dev/null && break
  sleep 0.1
done

echo "== an Internet user: curl http://127.0.0.1:$port/"
curl --silent --show-error --fail --max-time 10 "http://127.0.0.1:$port/"
echo "== response headers"
curl --silent --show-error --fail --max-time 10 --head "http://127.0.0.1:$port/"
echo "== golem-proxyctl gateway list; golem-proxyctl status"
$ctl gateway list
$ctl status
echo "== what the Net Runtime bills: golem-proxyctl metrics --activity $activity"
sleep 1.2  # rates are per 1-s window: let the window with the page in it close
$ctl metrics --activity "$activity"

echo "== stopping golem-proxyd (SIGTERM); its counters:"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""
wait "$relay_pid"  # the daemon's last lines
echo "== done"
