#!/usr/bin/env bash
# TCP through four paths to the same kind of service (iperf3 and an echo server in a network
# namespace), measured in one run on one machine, as tables of medians with the spread:
#
#   direct    client -> veth -> service                      (the kernel alone)
#   haproxy   client -> HAProxy (TCP mode, 1 thread) -> veth -> service
#   ceiling   client (namespace) -> TAP -> tap_copier -> TAP -> service: one read and one write
#             per frame, the best a TAP-attached userspace stack can do, at MTU 1220 and 1500
#   proxy     client -> golem-proxyd -> lwIP -> TAP -> service, at MTU 1220 (Golem) and 1500
#   *-tso     the ceiling and the proxy with segmentation offload on their TAP devices
#             (IFF_VNET_HDR, TSO): TCP crosses the link in super-frames of up to 64 KiB
#
# Clients, HAProxy and golem-proxyd run in a namespace of their own ("the middle"), so the
# host's sysctls neither help nor hurt: TIME_WAIT reuse and a wide ephemeral port range there
# keep the connection-rate test from running out of ports.
#
# For each path:
#   - throughput of one stream each way (up = client to service, down = service to client)
#     and of 8 parallel streams up (iperf3);
#   - round-trip latency of 64-byte messages, p50 and p99 (tcp_load rr);
#   - connections per second, each connect, 64 bytes each way, close (tcp_load cps);
#   - CPU seconds per GiB over the two single-stream tests: of the process in the middle
#     (HAProxy, tap_copier, golem-proxyd) and of the whole machine (every core, clients and
#     services included);
#   - RSS of the process in the middle per idle connection, with 1 000 and 10 000 connections
#     held open (tcp_load hold), measured once.
# It prints a table per group with the spread of every figure, then one summary table of
# medians with the ratios last. Nothing is asserted. Needs root (namespaces, TAP).
#   tests/bench/tcp.sh            BENCH_RUNS (3) runs of BENCH_SECONDS (5) each; BENCH_PATHS,
#                                 a regular expression, picks paths by name
set -euo pipefail
cd "$(dirname "$0")/../.."

[[ $(id -u) -eq 0 ]] || { echo "tcp.sh needs root (namespaces, TAP)" >&2; exit 1; }
runs=${BENCH_RUNS:-3}
seconds=${BENCH_SECONDS:-5}
tests/install-deps.sh iperf3 haproxy >&2
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release --target golem-proxyd tap_copier tcp_load >/dev/null
ulimit -n "$(ulimit -Hn)"
tcp_load=build/release/tests/tcp_load

tag=lpb$$
middle=$tag-m
work=$(mktemp -d /tmp/lp-bench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "$middle" "$tag-v" "$tag-a" "$tag-b" "$tag-t" "$tag-c1220" "$tag-s1220" \
    "$tag-c1500" "$tag-s1500" "$tag-ct1500" "$tag-st1500"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# A namespace with loopback up and the client-side sysctls.
make_namespace() {
  ip netns add "$1"
  ip -n "$1" link set lo up
  ip netns exec "$1" sysctl -q -w net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65000"
}
# Waits (at most 10 s) until something listens on ADDRESS:PORT in namespace NS.
wait_listening() {
  local ns=$1 address=$2 port=$3
  for _ in $(seq 100); do
    ip netns exec "$ns" bash -c "</dev/tcp/$address/$port" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $address:$port in $ns" >&2
  return 1
}
# Waits (at most 20 s) until FILE has a line starting with WORD.
wait_line() {
  for _ in $(seq 200); do
    grep -q "^$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}
# The services of one namespace: iperf3 on 5201, an echo server on 7000.
serve() {  # namespace address
  ip netns exec "$1" iperf3 --server --bind "$2" --port 5201 >"$work/iperf-$1.log" 2>&1 &
  pids+=($!)
  ip netns exec "$1" "$tcp_load" serve "$2" 7000 >"$work/echo-$1.log" 2>&1 &
  pids+=($!)
  wait_listening "$1" "$2" 5201
  wait_listening "$1" "$2" 7000
}

# The middle, and the service for direct and HAProxy behind a veth pair.
make_namespace "$middle"
make_namespace "$tag-v"
ip -n "$middle" link add "${tag}h" type veth peer name "${tag}s" netns "$tag-v"
ip -n "$middle" addr add 10.231.0.1/24 dev "${tag}h"
ip -n "$middle" link set "${tag}h" up
ip -n "$tag-v" addr add 10.231.0.2/24 dev "${tag}s"
ip -n "$tag-v" link set "${tag}s" up
serve "$tag-v" 10.231.0.2

# HAProxy needs two descriptors per connection and will not start above its limit.
haproxy_maxconn=$(($(ulimit -Hn) / 2 - 100 < 12000 ? $(ulimit -Hn) / 2 - 100 : 12000))
cat >"$work/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn $haproxy_maxconn
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen bench
  bind 127.0.0.1:15201
  server service 10.231.0.2:5201
listen echo
  bind 127.0.0.1:17000
  server service 10.231.0.2:7000
EOF
ip netns exec "$middle" haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
haproxy=$!
pids+=($haproxy)
wait_listening "$middle" 127.0.0.1 15201 || { cat "$work/haproxy.log" >&2; exit 1; }

# golem-proxyd over TAP devices, one daemon per MTU (1220, the Golem one, and 1500), so each
# path's memory is its own; each VPN leads to its own service namespace. Every client here is
# one source (127.0.0.1): the per-source limits are off, or the connection rate and the 10 000
# held connections would measure them (tests/bench/attack.sh measures them at work).
# A third daemon opens its TAP device with segmentation offload (TSO), at MTU 1500.
declare -A proxyd port=([a]=1220 [b]=1500 [t]=1501)
for side in a:1220:10.232.0:off b:1500:10.233.0:off t:1500:10.235.0:on; do
  IFS=: read -r name mtu net offload <<<"$side"
  ip netns exec "$middle" build/release/daemon/golem-proxyd --transport tap --no-api \
    --vpn "b$mtu,tap=${tag}$name,offload=$offload,address=$net.1/24,mtu=$mtu" \
    --gateway "tcp:127.0.0.1:${port[$name]}1=b$mtu,$net.2:5201" \
    --gateway "tcp:127.0.0.1:${port[$name]}2=b$mtu,$net.2:7000" \
    --max-connections-per-source 0 --connection-rate-per-source 0 >"$work/proxyd-$name.log" 2>&1 &
  proxyd[$name]=$!
  pids+=($!)
  wait_line "$work/proxyd-$name.log" ready
  make_namespace "$tag-$name"
  ip -n "$middle" link set "${tag}$name" netns "$tag-$name"
  ip -n "$tag-$name" addr add "$net.2/24" dev "${tag}$name"
  ip -n "$tag-$name" link set "${tag}$name" mtu "$mtu" up
  serve "$tag-$name" "$net.2"
done

# The link ceiling: two TAP devices joined by tap_copier, a client namespace and a service
# namespace behind them.
# The same with offload on both devices: the ceiling for a TAP link with TSO, at MTU 1500.
declare -A copier
for link in 1220:10.234.1: 1500:10.234.2: t1500:10.234.3:--offload; do
  IFS=: read -r key net offload <<<"$link"
  mtu=${key#t}
  # shellcheck disable=SC2086
  build/release/tests/tap_copier $offload "${tag}c$key" "${tag}s$key" >"$work/copier-$key.log" 2>&1 &
  copier[$key]=$!
  pids+=($!)
  wait_line "$work/copier-$key.log" ready
  for side in "c:$net.1" "s:$net.2"; do
    IFS=: read -r name address <<<"$side"
    ns="$tag-$name$key"
    make_namespace "$ns"
    ip link set "${tag}$name$key" netns "$ns"
    ip -n "$ns" addr add "$address/24" dev "${tag}$name$key"
    ip -n "$ns" link set "${tag}$name$key" mtu "$mtu" up
  done
  serve "$tag-s$key" "$net.2"
done

# name:client namespace:service host:iperf3 port:echo port:pid of the process in the middle
paths=("direct:$middle:10.231.0.2:5201:7000:"
       "haproxy:$middle:127.0.0.1:15201:17000:$haproxy"
       "ceiling-1220:$tag-c1220:10.234.1.2:5201:7000:${copier[1220]}"
       "proxy-1220:$middle:127.0.0.1:12201:12202:${proxyd[a]}"
       "ceiling-1500:$tag-c1500:10.234.2.2:5201:7000:${copier[1500]}"
       "proxy-1500:$middle:127.0.0.1:15001:15002:${proxyd[b]}"
       "ceiling-tso-1500:$tag-ct1500:10.234.3.2:5201:7000:${copier[t1500]}"
       "proxy-tso-1500:$middle:127.0.0.1:15011:15012:${proxyd[t]}")
if [[ -n ${BENCH_PATHS:-} ]]; then  # a regular expression: measure only the paths it matches
  for i in "${!paths[@]}"; do [[ ${paths[$i]%%:*} =~ $BENCH_PATHS ]] || unset "paths[$i]"; done
fi

# CPU time in clock ticks: of process PID (user + system), or of the machine without PID.
cpu_ticks() {
  if [[ -n ${1:-} ]]; then
    awk '{ print $14 + $15 }' "/proc/$1/stat"
  else
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
  fi
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# One iperf3 measurement from namespace NS: "Gbit/s bytes", both as received.
measure() {  # ns host port [iperf3 options...]
  local ns=$1 host=$2 port=$3
  shift 3
  ip netns exec "$ns" iperf3 --client "$host" --port "$port" --time "$seconds" --json "$@" \
    2>/dev/null | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)["end"]["sum_received"]
print("%.2f %d" % (d["bits_per_second"] / 1e9, d["bytes"]))'
}
# Median and spread of BENCH_RUNS measurements: "median (min-max)", with DIGITS decimals.
summary() {  # digits values...
  /usr/bin/python3 -c 'import sys, statistics as s
d = int(sys.argv[1]); v = sorted(float(x) for x in sys.argv[2:])
print("%.*f (%.*f-%.*f)" % (d, s.median(v), d, v[0], d, v[-1]) if v else "-")' "$@"
}
# "83%": the median of the first list over the median of the second.
ratio() {
  /usr/bin/python3 -c 'import sys, statistics as s
a = [float(x) for x in sys.argv[1].split()]; b = [float(x) for x in sys.argv[2].split()]
print("%.0f%%" % (100 * s.median(a) / s.median(b)) if a and b and s.median(b) else "-")' "$1" "$2"
}
# "12.3": CPU seconds per GiB, from ticks and bytes.
per_gib() {
  /usr/bin/python3 -c 'import os, sys
t, b = float(sys.argv[1]), float(sys.argv[2])
print("%.2f" % (t / os.sysconf("SC_CLK_TCK") / (b / 2**30)) if b else "0")' "$1" "$2"
}

# RSS per idle connection, first, while the processes are fresh: hold COUNT connections open
# through each path with a process in the middle; the RSS it gained over what it had at the
# start, divided by the connections it got.
declare -A result rss_start
for path in "${paths[@]}"; do
  IFS=: read -r name ns host port echo_port pid <<<"$path"
  [[ -n $pid ]] && rss_start[$pid]=$(rss_kib "$pid")
done
for path in "${paths[@]}"; do
  IFS=: read -r name ns host port echo_port pid <<<"$path"
  [[ -n $pid ]] || continue
  for count in 1000 10000; do
    before=${rss_start[$pid]}
    ip netns exec "$ns" "$tcp_load" hold "$host" "$echo_port" "$count" >"$work/hold.log" 2>&1 &
    holder=$!
    wait_line "$work/hold.log" ready || true
    read -r _ held <"$work/hold.log" || held=0
    after=$(rss_kib "$pid")
    kill "$holder"
    wait "$holder" || true
    if [[ ${held:-0} -eq $count ]]; then
      result[$name/rss-$count]=$(/usr/bin/python3 -c "print('%.1f' % (($after - $before) / $count))")
    else
      result[$name/rss-$count]="only ${held:-0}"  # say how far it got (say, a descriptor limit)
    fi
    echo "$name: ${result[$name/rss-$count]} KiB RSS per idle connection at $count" >&2
    # Before the next count, wait (at most 20 s) until the middle has closed them all.
    for _ in $(seq 200); do
      [[ -z $(ip netns exec "$ns" ss -Htn state established \
        "( sport = :$echo_port or dport = :$echo_port )") ]] && break
      sleep 0.1
    done
  done
done

tests=("up:" "down:--reverse" "up-8:--parallel 8")
for run in $(seq "$runs"); do
  for path in "${paths[@]}"; do
    IFS=: read -r name ns host port echo_port pid <<<"$path"
    read -r p50 p99 < <(ip netns exec "$ns" "$tcp_load" rr "$host" "$echo_port" 5000 64 ||
      echo "0 0")
    result[$name/p50]+="$p50 "
    result[$name/p99]+="$p99 "
    cps=$(ip netns exec "$ns" "$tcp_load" cps "$host" "$echo_port" "$seconds" || echo 0)
    result[$name/cps]+="$cps "
    echo "run $run/$runs: $name round trip p50 ${p50} us p99 ${p99} us, ${cps} connections/s" >&2
    middle_ticks=0 machine_ticks=0 bytes=0
    for test in "${tests[@]}"; do
      label=${test%%:*}
      options=${test#*:}
      before_middle=$([[ -n $pid ]] && cpu_ticks "$pid" || echo 0)
      before_machine=$(cpu_ticks)
      # shellcheck disable=SC2086
      read -r gbits moved < <(measure "$ns" "$host" "$port" $options || echo "0 0")
      if [[ $label != up-8 ]]; then
        middle_ticks=$((middle_ticks + $([[ -n $pid ]] && cpu_ticks "$pid" || echo 0) - before_middle))
        machine_ticks=$((machine_ticks + $(cpu_ticks) - before_machine))
        bytes=$((bytes + moved))
      fi
      result[$name/$label]+="$gbits "
      echo "run $run/$runs: $name $label ${gbits} Gbit/s" >&2
    done
    [[ -n $pid ]] && result[$name/cpu-middle]+="$(per_gib "$middle_ticks" "$bytes") "
    result[$name/cpu-machine]+="$(per_gib "$machine_ticks" "$bytes") "
  done
done

echo
echo "TCP throughput, Gbit/s: median of $runs runs of ${seconds}s (min-max); $(nproc) cores"
printf '%-17s %-20s %-20s %-20s %-14s %s\n' path "up (1 stream)" "down (1 stream)" \
  "up (8 streams)" "up vs haproxy" "up vs ceiling"
for path in "${paths[@]}"; do
  name=${path%%:*}
  row=()
  for test in "${tests[@]}"; do
    # shellcheck disable=SC2086
    row+=("$(summary 2 ${result[$name/${test%%:*}]})")
  done
  ceiling=${result[${name/proxy/ceiling}/up]:-}
  printf '%-17s %-20s %-20s %-20s %-14s %s\n' "$name" "${row[0]}" "${row[1]}" "${row[2]}" \
    "$(ratio "${result[$name/up]}" "${result[haproxy/up]:-}")" \
    "$([[ $name == proxy-* ]] && ratio "${result[$name/up]}" "$ceiling" || echo -)"
done

echo
echo "Round trips of 64 bytes (microseconds), connections per second: medians (min-max)"
printf '%-17s %-16s %-16s %-20s %s\n' path "p50" "p99" "connections/s" "conn/s vs haproxy"
for path in "${paths[@]}"; do
  name=${path%%:*}
  # shellcheck disable=SC2086
  printf '%-17s %-16s %-16s %-20s %s\n' "$name" "$(summary 0 ${result[$name/p50]})" \
    "$(summary 0 ${result[$name/p99]})" "$(summary 0 ${result[$name/cps]})" \
    "$(ratio "${result[$name/cps]}" "${result[haproxy/cps]:-}")"
done

echo
echo "CPU seconds per GiB (single streams up and down; medians, min-max) and RSS per idle"
echo "connection of the process in the middle (KiB, one measurement)"
printf '%-17s %-20s %-20s %-12s %s\n' path "middle process" "whole machine" "RSS @1000" \
  "RSS @10000"
for path in "${paths[@]}"; do
  name=${path%%:*}
  # shellcheck disable=SC2086
  printf '%-17s %-20s %-20s %-12s %s\n' "$name" "$(summary 2 ${result[$name/cpu-middle]:-})" \
    "$(summary 2 ${result[$name/cpu-machine]})" "${result[$name/rss-1000]:--}" \
    "${result[$name/rss-10000]:--}"
done

# All of it in one table: medians only (the spreads are above), ratios last.
median() {  # digits values...
  /usr/bin/python3 -c 'import sys, statistics as s
d = int(sys.argv[1]); v = [float(x) for x in sys.argv[2:]]
print("%.*f" % (d, s.median(v)) if v else "-")' "$@"
}
echo
echo "Summary: medians; Gbit/s, microseconds, connections/s, CPU s/GiB of the middle process,"
echo "KiB RSS per idle connection at 10 000; ratios of one stream up and of connections/s"
printf '%-17s %6s %6s %6s %5s %5s %7s %6s %10s | %-11s %-11s %s\n' path up down up-8 p50 p99 \
  conn/s cpu rss "up/ceiling" "up/haproxy" "conn/s/haproxy"
for path in "${paths[@]}"; do
  name=${path%%:*}
  # shellcheck disable=SC2086
  printf '%-17s %6s %6s %6s %5s %5s %7s %6s %10s | %-11s %-11s %s\n' "$name" \
    "$(median 1 ${result[$name/up]})" "$(median 1 ${result[$name/down]})" \
    "$(median 1 ${result[$name/up-8]})" "$(median 0 ${result[$name/p50]})" \
    "$(median 0 ${result[$name/p99]})" "$(median 0 ${result[$name/cps]})" \
    "$(median 2 ${result[$name/cpu-middle]:-})" "${result[$name/rss-10000]:--}" \
    "$([[ $name == proxy-* ]] && ratio "${result[$name/up]}" "${result[${name/proxy/ceiling}/up]:-}" || echo -)" \
    "$(ratio "${result[$name/up]}" "${result[haproxy/up]:-}")" \
    "$(ratio "${result[$name/cps]}" "${result[haproxy/cps]:-}")"
done
