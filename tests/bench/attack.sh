#!/usr/bin/env bash
# Under attack, still serving (issue 12), in figures: one golem-proxyd with two tenants' VPNs
# over TAP, the victim path measured without an attack and during one, in the same run.
#
#   client 127.0.0.1 ──► gateway :12001/:12002 ─► VPN victim ─TAP─► victim node: iperf3, echo
#   attacker 127.0.0.3 ─► gateway :12101 ──────► VPN hostile ─TAP─► hostile node: echo :7001
#                                                      ▲ raw frames from the hostile node
#   (the clients, the attacker and golem-proxyd share one namespace, "the middle")
#
# Four phases per run, each BENCH_SECONDS long per test, calm first. In every phase but calm
# attack_flood (tests/bench/attack_flood.cpp, the attacks of tests/integration/attack_test.cpp)
# runs: the source 127.0.0.3 holds its whole per-source cap (--max-connections-per-source
# ATTACK_CAP) on the hostile gateway, and
#   calm     (no attack_flood at all)
#   connect  opens new connections at ATTACK_CONNECT_RATE a second (each refused: the cap);
#   frames   the hostile node sends ATTACK_FRAME_RATE frames a second on its TAP link: 1-byte
#            TCP segments on each held connection, each out of order (a gap before it), and
#            malformed frames (runts, noise, lying lengths, bad options);
#   attack   both at once.
# In each phase, on the victim's path: round trips of 64 bytes (p50, p99; tcp_load rr),
# connections per second (tcp_load cps), one stream up and one down (iperf3); of the daemon:
# the peak RSS over the phase (VmHWM, reset at its start through clear_refs) and its CPU
# (user + system, percent of one core over the phase). In the attack phases also what the
# attacker did and what the daemon counted (/status). Nothing is asserted.
# The per-source connection rate limit is off (--connection-rate-per-source 0): the victim's
# client is one source, and its connections per second would measure the limit.
#   tests/bench/attack.sh     as root; BENCH_RUNS (3), BENCH_SECONDS (5), ATTACK_CAP (64),
#                             ATTACK_FRAME_RATE (100000), ATTACK_CONNECT_RATE (2000),
#                             ATTACK_WARMUP (2 s of attack before the phase's tests);
#                             PROXYD_FLAGS: more golem-proxyd flags (--tcp-ooseq-max-pbufs 64)
set -euo pipefail
cd "$(dirname "$0")/../.."

[[ $(id -u) -eq 0 ]] || { echo "attack.sh needs root (namespaces, TAP)" >&2; exit 1; }
runs=${BENCH_RUNS:-3}
seconds=${BENCH_SECONDS:-5}
cap=${ATTACK_CAP:-64}
frame_rate=${ATTACK_FRAME_RATE:-100000}
connect_rate=${ATTACK_CONNECT_RATE:-2000}
warmup=${ATTACK_WARMUP:-2}
tests/install-deps.sh iperf3 curl >&2
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release --target golem-proxyd tcp_load attack_flood >/dev/null
tcp_load=build/release/tests/tcp_load
attack_flood=build/release/tests/attack_flood

tag=lpa$$
middle=$tag-m
victim=$tag-v
hostile=$tag-h
work=$(mktemp -d /tmp/lp-attack-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "$middle" "$victim" "$hostile"; do ip netns del "$ns" 2>/dev/null || true; done
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
# Waits (at most 30 s) until FILE has a line starting with WORD.
wait_line() {
  for _ in $(seq 300); do
    grep -q "^$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}
# Counters of the daemon's /status (GROUP.NAME, say stack.frames_dropped), one a line.
status() {
  ip netns exec "$middle" curl -sf http://127.0.0.1:7466/status-api/v1/status |
    /usr/bin/python3 -c 'import json, sys
s = json.load(sys.stdin)
for path in sys.argv[1:]:
    group, name = path.split(".")
    print(s[group][name])' "$@"
}
# CPU time of process PID in clock ticks (user + system).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
now() { date +%s.%N; }

make_namespace "$middle"
# shellcheck disable=SC2086 # PROXYD_FLAGS: words
ip netns exec "$middle" build/release/daemon/golem-proxyd --transport tap --api 127.0.0.1:7466 \
  --vpn "victim,tap=${tag}v,address=10.236.0.1/24,mtu=1220" \
  --vpn "hostile,tap=${tag}h,address=10.237.0.1/24,mtu=1220" \
  --gateway "tcp:127.0.0.1:12001=victim,10.236.0.2:5201" \
  --gateway "tcp:127.0.0.1:12002=victim,10.236.0.2:7000" \
  --gateway "tcp:127.0.0.1:12101=hostile,10.237.0.2:7001" \
  --max-connections-per-source "$cap" --connection-rate-per-source 0 ${PROXYD_FLAGS:-} \
  >"$work/proxyd.log" 2>&1 &
proxyd=$!
pids+=($proxyd)
wait_line "$work/proxyd.log" ready
for side in "$victim:${tag}v:10.236.0.2" "$hostile:${tag}h:10.237.0.2"; do
  IFS=: read -r ns device address <<<"$side"
  make_namespace "$ns"
  ip -n "$middle" link set "$device" netns "$ns"
  ip -n "$ns" addr add "$address/24" dev "$device"
  ip -n "$ns" link set "$device" mtu 1220 up
done
ip netns exec "$victim" iperf3 --server --bind 10.236.0.2 --port 5201 >"$work/iperf.log" 2>&1 &
pids+=($!)
ip netns exec "$victim" "$tcp_load" serve 10.236.0.2 7000 >"$work/echo.log" 2>&1 &
pids+=($!)
ip netns exec "$hostile" "$tcp_load" serve 10.237.0.2 7001 >"$work/hostile.log" 2>&1 &
pids+=($!)
wait_listening "$victim" 10.236.0.2 5201
wait_listening "$victim" 10.236.0.2 7000
wait_listening "$hostile" 10.237.0.2 7001
wait_listening "$middle" 127.0.0.1 12002

# One iperf3 measurement through the victim's gateway: Gbit/s as received.
measure() {  # [iperf3 options...]
  ip netns exec "$middle" iperf3 --client 127.0.0.1 --port 12001 --time "$seconds" --json "$@" \
    2>/dev/null | /usr/bin/python3 -c 'import json,sys
print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}
# Waits (at most 30 s) until the daemon holds no connection: the phase before has ended.
wait_idle() {
  for _ in $(seq 300); do
    [[ $(status connections.cx_active) -eq 0 ]] && return 0
    sleep 0.1
  done
  echo "the daemon still holds $(status connections.cx_active) connections" >&2
}
# What the daemon counts of the attack: refusals of the capped source, out-of-order segments
# dropped over a connection's bound, malformed IPv4 and frames dropped before lwIP.
counted=(connections.downstream_cx_source_limit connections.downstream_cx_source_rate
  stack.tcp_ooseq_segments_dropped stack.ipv4_malformed_dropped stack.frames_dropped)

declare -A result
phases=(calm connect:0:$connect_rate frames:$frame_rate:0 attack:$frame_rate:$connect_rate)
attacks=(connect frames attack)
# The attack outlasts the phase's tests; it is stopped when they end.
flood_seconds=$((4 * seconds + 60 < 600 ? 4 * seconds + 60 : 600))
for run in $(seq "$runs"); do
  for spec in "${phases[@]}"; do
    IFS=: read -r phase frames_per_s connects_per_s <<<"$spec"
    wait_idle
    if [[ $phase != calm ]]; then
      mapfile -t before < <(status "${counted[@]}")
      ip netns exec "$middle" "$attack_flood" "$hostile" "${tag}h" 12101 7001 127.0.0.3 "$cap" \
        "$flood_seconds" "$frames_per_s" "$connects_per_s" >"$work/flood.log" 2>&1 &
      flood=$!
      pids+=($flood)
      wait_line "$work/flood.log" flooding
      sleep "$warmup"  # the out-of-order queues fill: the attack's steady state
      flood_ticks=$(cpu_ticks "$flood")
    fi
    echo 5 >"/proc/$proxyd/clear_refs"  # VmHWM starts again from VmRSS
    ticks=$(cpu_ticks "$proxyd")
    start=$(now)
    read -r p50 p99 < <(ip netns exec "$middle" "$tcp_load" rr 127.0.0.1 12002 5000 64 ||
      echo "0 0")
    cps=$(ip netns exec "$middle" "$tcp_load" cps 127.0.0.1 12002 "$seconds" || echo 0)
    up=$(measure || echo 0)
    down=$(measure --reverse || echo 0)
    elapsed=$(/usr/bin/python3 -c "print($(now) - $start)")
    cpu=$(/usr/bin/python3 -c "import os
print('%.0f' % (100 * ($(cpu_ticks "$proxyd") - $ticks) / os.sysconf('SC_CLK_TCK') / $elapsed))")
    hwm=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$proxyd/status")
    for key in p50 p99 cps up down cpu hwm; do result[$phase/$key]+="${!key} "; done
    echo "run $run/$runs $phase: round trip p50 $p50 us p99 $p99 us, $cps connections/s," \
      "up $up down $down Gbit/s, daemon CPU $cpu%, VmHWM $hwm MiB" >&2
    [[ $phase == calm ]] && continue
    flood_cpu=$(/usr/bin/python3 -c "import os
print('%.0f' % (100 * ($(cpu_ticks "$flood") - $flood_ticks) / os.sysconf('SC_CLK_TCK') / $elapsed))")
    kill -TERM "$flood"
    wait "$flood" || true
    # "flooded S s: F frames sent (R refused by the kernel), C connections (P refused by the
    # proxy)"
    read -r flooded frames connects refused < <(awk '/^flooded/ {
      print $2, $4, $12, $14 }' "$work/flood.log" | tr -d '(')
    result[$phase/frames]+="$(/usr/bin/python3 -c "print('%.0f' % ($frames / $flooded))") "
    result[$phase/connects]+="$(/usr/bin/python3 -c "print('%.0f' % ($connects / $flooded))") "
    result[$phase/refused-seen]+="$refused "
    result[$phase/flood-cpu]+="$flood_cpu "
    mapfile -t after < <(status "${counted[@]}")
    for i in "${!counted[@]}"; do
      result[$phase/${counted[$i]}]+="$((after[i] - before[i])) "
    done
    echo "run $run/$runs $phase: $(grep ^flooded "$work/flood.log"), attacker CPU" \
      "$flood_cpu%" >&2
  done
done

median() {  # digits values...
  /usr/bin/python3 -c 'import sys, statistics as s
d = int(sys.argv[1]); v = [float(x) for x in sys.argv[2:]]
print("%.*f" % (d, s.median(v)) if v else "-")' "$@"
}
summary() {  # digits values...: "median (min-max)"
  /usr/bin/python3 -c 'import sys, statistics as s
d = int(sys.argv[1]); v = sorted(float(x) for x in sys.argv[2:])
print("%.*f (%.*f-%.*f)" % (d, s.median(v), d, v[0], d, v[-1]) if v else "-")' "$@"
}
ratio() {  # "83%": the median of the first list over the median of the second
  /usr/bin/python3 -c 'import sys, statistics as s
a = [float(x) for x in sys.argv[1].split()]; b = [float(x) for x in sys.argv[2].split()]
print("%.0f%%" % (100 * s.median(a) / s.median(b)) if a and b and s.median(b) else "-")' "$1" "$2"
}
keys=(p50:0 p99:0 cps:0 up:2 down:2 cpu:0 hwm:1)

echo
echo "The victim's path, calm and under attack: medians of $runs runs (min-max); $(nproc) cores;"
echo "round trips of 64 bytes in microseconds, Gbit/s of one stream, the daemon's CPU in percent"
echo "of one core and its peak RSS (VmHWM) in MiB over each phase"
printf '%-8s' phase
for header in p50 p99 conn/s up down "cpu %" "VmHWM MiB"; do printf ' %-19s' "$header"; done
echo
for spec in "${phases[@]}"; do
  phase=${spec%%:*}
  printf '%-8s' "$phase"
  for key in "${keys[@]}"; do
    # shellcheck disable=SC2086
    printf ' %-19s' "$(summary "${key#*:}" ${result[$phase/${key%%:*}]})"
  done
  echo
done

echo
echo "The attacks, medians of $runs runs (min-max): what attack_flood did (frames and connection"
echo "attempts a second, refusals it saw, its CPU in percent of one core) and what the daemon"
echo "counted over the phase (/status)"
printf '%-16s' figure
for phase in "${attacks[@]}"; do printf ' %-26s' "$phase"; done
echo
for row in "frames/s:frames" "connects/s:connects" "refusals seen:refused-seen" \
  "attacker cpu %:flood-cpu" "refused (cap):connections.downstream_cx_source_limit" \
  "refused (rate):connections.downstream_cx_source_rate" \
  "ooseq dropped:stack.tcp_ooseq_segments_dropped" \
  "IPv4 malformed:stack.ipv4_malformed_dropped" "frames dropped:stack.frames_dropped"; do
  IFS=: read -r label key <<<"$row"
  printf '%-16s' "$label"
  # shellcheck disable=SC2086
  for phase in "${attacks[@]}"; do printf ' %-26s' "$(summary 0 ${result[$phase/$key]})"; done
  echo
done

# All of it in one table: medians only, the ratios to calm last.
echo
echo "Summary: medians; microseconds, connections/s, Gbit/s, CPU % of one core, MiB; then each"
echo "attack phase over calm"
format='%-15s %6s %6s %7s %6s %6s %5s %6s\n'
# shellcheck disable=SC2059
printf "$format" phase p50 p99 conn/s up down cpu hwm
for spec in "${phases[@]}"; do
  phase=${spec%%:*}
  row=()
  # shellcheck disable=SC2086
  for key in "${keys[@]}"; do row+=("$(median "${key#*:}" ${result[$phase/${key%%:*}]})"); done
  # shellcheck disable=SC2059
  printf "$format" "$phase" "${row[@]}"
done
for phase in "${attacks[@]}"; do
  row=()
  for key in "${keys[@]}"; do
    row+=("$(ratio "${result[$phase/${key%%:*}]}" "${result[calm/${key%%:*}]}")")
  done
  # shellcheck disable=SC2059
  printf "$format" "$phase/calm" "${row[@]}"
done
