#!/usr/bin/env bash
# TCP through four paths to the same kind of service (iperf3 and an echo server in a network
# namespace), measured in one run on one machine, as tables of medians with the spread:
#
#   direct    client -> veth -> service                      (the kernel alone)
#   haproxy   client -> HAProxy (TCP mode, 1 thread) -> veth -> service
#   ceiling   client (namespace) -> TAP -> tap_copier -> TAP -> service: one read and one write
#             per frame, the best a TAP-attached userspace stack can do, at MTU 1220 and 1500
#   proxy     client -> golem-proxyd -> lwIP -> TAP -> service, at MTU 1220 (Golem) and 1500
#
# For each: throughput of one stream each way (up = client to service, down = service to
# client) and of 8 parallel streams up (iperf3); round-trip latency of 64-byte messages, p50
# and p99 (tcp_load rr); connections per second, each connect, 64 bytes each way, close
# (tcp_load cps). Nothing is asserted. Needs root (namespaces, TAP).
#   tests/bench/tcp.sh            BENCH_RUNS (3) runs of BENCH_SECONDS (5) each
set -euo pipefail
cd "$(dirname "$0")/../.."

[[ $(id -u) -eq 0 ]] || { echo "tcp.sh needs root (namespaces, TAP)" >&2; exit 1; }
runs=${BENCH_RUNS:-3}
seconds=${BENCH_SECONDS:-5}
tests/install-deps.sh iperf3 haproxy >&2
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release --target golem-proxyd tap_copier tcp_load >/dev/null

tag=lpb$$
work=$(mktemp -d /tmp/lp-bench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "$tag-v" "$tag-a" "$tag-b" "$tag-c1220" "$tag-s1220" "$tag-c1500" "$tag-s1500"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "${tag}h" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits (at most 10 s) until something listens on ADDRESS:PORT in namespace NS ("" = host).
wait_listening() {
  local ns=$1 address=$2 port=$3
  for _ in $(seq 100); do
    if [[ -z $ns ]]; then bash -c "</dev/tcp/$address/$port" 2>/dev/null && return 0
    else ip netns exec "$ns" bash -c "</dev/tcp/$address/$port" 2>/dev/null && return 0; fi
    sleep 0.1
  done
  echo "nothing listens on $address:$port ${ns:+in $ns}" >&2
  return 1
}
# The services of one namespace: iperf3 on 5201, an echo server on 7000.
iperf_server() {  # namespace, address
  ip netns exec "$1" iperf3 --server --bind "$2" --port 5201 >"$work/iperf-$1.log" 2>&1 &
  pids+=($!)
  ip netns exec "$1" build/release/tests/tcp_load serve "$2" 7000 >"$work/echo-$1.log" 2>&1 &
  pids+=($!)
  wait_listening "$1" "$2" 5201
  wait_listening "$1" "$2" 7000
}

# The service for direct and HAProxy: a namespace behind a veth pair.
ip netns add "$tag-v"
ip link add "${tag}h" type veth peer name "${tag}s"
ip link set "${tag}s" netns "$tag-v"
ip addr add 10.231.0.1/24 dev "${tag}h"
ip link set "${tag}h" up
ip -n "$tag-v" addr add 10.231.0.2/24 dev "${tag}s"
ip -n "$tag-v" link set "${tag}s" up
ip -n "$tag-v" link set lo up
iperf_server "$tag-v" 10.231.0.2

haproxy_port=$(free_port)
haproxy_echo=$(free_port)
cat >"$work/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen bench
  bind 127.0.0.1:$haproxy_port
  server service 10.231.0.2:5201
listen echo
  bind 127.0.0.1:$haproxy_echo
  server service 10.231.0.2:7000
EOF
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!)
wait_listening "" 127.0.0.1 "$haproxy_port"

# golem-proxyd with two VPNs over TAP devices, MTU 1220 and 1500, each to its own namespace.
proxy_1220=$(free_port)
proxy_1500=$(free_port)
echo_1220=$(free_port)
echo_1500=$(free_port)
build/release/daemon/golem-proxyd --transport tap --no-api \
  --vpn "b1220,tap=${tag}a,address=10.232.0.1/24,mtu=1220" \
  --vpn "b1500,tap=${tag}b,address=10.233.0.1/24,mtu=1500" \
  --gateway "tcp:127.0.0.1:$proxy_1220=b1220,10.232.0.2:5201" \
  --gateway "tcp:127.0.0.1:$proxy_1500=b1500,10.233.0.2:5201" \
  --gateway "tcp:127.0.0.1:$echo_1220=b1220,10.232.0.2:7000" \
  --gateway "tcp:127.0.0.1:$echo_1500=b1500,10.233.0.2:7000" >"$work/proxyd.log" 2>&1 &
proxyd=$!
pids+=($proxyd)
for _ in $(seq 100); do grep -q '^ready' "$work/proxyd.log" && break; sleep 0.1; done
grep -q '^ready' "$work/proxyd.log" || { cat "$work/proxyd.log" >&2; exit 1; }
for side in a:1220:10.232.0.2 b:1500:10.233.0.2; do
  IFS=: read -r name mtu address <<<"$side"
  ip netns add "$tag-$name"
  ip link set "${tag}$name" netns "$tag-$name"
  ip -n "$tag-$name" addr add "$address/24" dev "${tag}$name"
  ip -n "$tag-$name" link set "${tag}$name" mtu "$mtu" up
  ip -n "$tag-$name" link set lo up
  iperf_server "$tag-$name" "$address"
done

# The link ceiling: two TAP devices joined by tap_copier, a client namespace and a service
# namespace behind them.
declare -A ceiling_net=([1220]=10.234.1 [1500]=10.234.2)
for mtu in 1220 1500; do
  net=${ceiling_net[$mtu]}
  build/release/tests/tap_copier "${tag}c$mtu" "${tag}s$mtu" >"$work/copier-$mtu.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^ready' "$work/copier-$mtu.log" && break; sleep 0.1; done
  for side in "c:$net.1" "s:$net.2"; do
    IFS=: read -r name address <<<"$side"
    ns="$tag-$name$mtu"
    ip netns add "$ns"
    ip link set "${tag}$name$mtu" netns "$ns"
    ip -n "$ns" addr add "$address/24" dev "${tag}$name$mtu"
    ip -n "$ns" link set "${tag}$name$mtu" mtu "$mtu" up
    ip -n "$ns" link set lo up
  done
  iperf_server "$tag-s$mtu" "$net.2"
done

# One measurement: Gbit/s received, from iperf3's JSON. A host of the form NS@ADDRESS runs the
# client inside namespace NS.
measure() {  # host port [iperf3 options...]
  local host=$1 port=$2 run=()
  shift 2
  if [[ $host == *@* ]]; then
    run=(ip netns exec "${host%@*}")
    host=${host#*@}
  fi
  "${run[@]}" iperf3 --client "$host" --port "$port" --time "$seconds" --json "$@" 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))'
}
# Median and spread of BENCH_RUNS measurements: "median (min-max)".
summary() {
  /usr/bin/python3 -c 'import sys,statistics as s; v=sorted(float(x) for x in sys.argv[1:]); print("%.2f (%.2f-%.2f)" % (s.median(v), v[0], v[-1]))' "$@"
}
# The same for whole numbers (microseconds, connections per second).
summary0() {
  /usr/bin/python3 -c 'import sys,statistics as s; v=sorted(float(x) for x in sys.argv[1:]); print("%.0f (%.0f-%.0f)" % (s.median(v), v[0], v[-1]))' "$@"
}

# "83%": the median of the first list over the median of the second.
ratio() {
  /usr/bin/python3 -c 'import sys,statistics as s; a=[float(x) for x in sys.argv[1].split()]; b=[float(x) for x in sys.argv[2].split()]; print("%.0f%%" % (100*s.median(a)/s.median(b)) if b and s.median(b) else "-")' "$1" "$2"
}

declare -A result
# name:host:iperf3 port:echo port
paths=("direct:10.231.0.2:5201:7000" "haproxy:127.0.0.1:$haproxy_port:$haproxy_echo"
       "ceiling-1220:$tag-c1220@10.234.1.2:5201:7000" "proxy-1220:127.0.0.1:$proxy_1220:$echo_1220"
       "ceiling-1500:$tag-c1500@10.234.2.2:5201:7000" "proxy-1500:127.0.0.1:$proxy_1500:$echo_1500")
# tcp_load, run like measure() runs iperf3 (inside the client namespace for the ceiling).
load() {  # host mode-arguments...
  local host=$1 run=()
  shift
  if [[ $host == *@* ]]; then
    run=(ip netns exec "${host%@*}")
    host=${host#*@}
  fi
  "${run[@]}" build/release/tests/tcp_load "$1" "$host" "${@:2}"
}
tests=("up:" "down:--reverse" "up-8:--parallel 8")
for run in $(seq "$runs"); do
  for path in "${paths[@]}"; do
    IFS=: read -r name host port echo_port <<<"$path"
    read -r p50 p99 < <(load "$host" rr "$echo_port" 5000 64 || echo "0 0")
    result[$name/p50]+="$p50 "
    result[$name/p99]+="$p99 "
    cps=$(load "$host" cps "$echo_port" "$seconds" || echo 0)
    result[$name/cps]+="$cps "
    echo "run $run/$runs: $name round trip p50 ${p50} us p99 ${p99} us, ${cps} connections/s" >&2
    for test in "${tests[@]}"; do
      label=${test%%:*}
      options=${test#*:}
      # shellcheck disable=SC2086
      value=$(measure "$host" "$port" $options) || value=0
      result[$name/$label]+="$value "
      echo "run $run/$runs: $name $label ${value} Gbit/s" >&2
    done
  done
done

echo
echo "TCP throughput, Gbit/s: median of $runs runs of ${seconds}s (min-max); $(nproc) cores"
printf '%-13s %-20s %-20s %-20s %-14s %s\n' path "up (1 stream)" "down (1 stream)" \
  "up (8 streams)" "up vs haproxy" "up vs ceiling"
for path in "${paths[@]}"; do
  name=${path%%:*}
  row=()
  for test in "${tests[@]}"; do
    # shellcheck disable=SC2086
    row+=("$(summary ${result[$name/${test%%:*}]})")
  done
  mtu=${name#*-}
  ceiling=${result[ceiling-$mtu/up]:-}
  printf '%-13s %-20s %-20s %-20s %-14s %s\n' "$name" "${row[0]}" "${row[1]}" "${row[2]}" \
    "$(ratio "${result[$name/up]}" "${result[haproxy/up]}")" \
    "$([[ $name == proxy-* ]] && ratio "${result[$name/up]}" "$ceiling" || echo -)"
done

echo
echo "Round trips of 64 bytes (microseconds) and connections per second: medians (min-max)"
printf '%-13s %-18s %-18s %-22s %s\n' path "p50" "p99" "connections/s" "conn/s vs haproxy"
for path in "${paths[@]}"; do
  name=${path%%:*}
  # shellcheck disable=SC2086
  printf '%-13s %-18s %-18s %-22s %s\n' "$name" "$(summary0 ${result[$name/p50]})" \
    "$(summary0 ${result[$name/p99]})" "$(summary0 ${result[$name/cps]})" \
    "$(ratio "${result[$name/cps]}" "${result[haproxy/cps]}")"
done
