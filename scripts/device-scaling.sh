#!/usr/bin/env bash
# The parallel-speedup measurement for a many-core machine (see device-carry.sh): first what the
# host's cores give (cpu-scaling.mjs) and what the engine's coordination alone allows (the sync
# suite), then the FLASH benchmark in the quantum timing mode (docs/quantum.md) and in the exact
# mode at 1, 2, 4, 8 and 16 worker threads for 16, 64 and 256 nodes,
# each checking that the simulated results are identical across thread counts; repeats on the
# same workers, so that the fastest run is one whose code V8 has already compiled. The runs with
# --spin-us compare a fixed spin with the default adaptive one. Results go to $OUT: one log and
# a few JSON files (the device tool brings back at most 8 files).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/flashdisco-scaling}
mkdir -p "$OUT"
NODE=/tmp/flashdisco-node
[ -x "$NODE" ] || { xz -d -c .carry/node.xz > "$NODE"; chmod +x "$NODE"; }
[ -e node_modules ] || ln -s .carry/prod/node_modules node_modules
# What the host is (any of these may be missing there: none may stop the script).
{ nproc; "$NODE" --version; grep -m1 'model name' /proc/cpuinfo || true
  lscpu 2>/dev/null | grep -E 'Thread|Core|Socket|NUMA node\(|MHz' || true
  cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpuset.cpus.effective 2>/dev/null || true
  cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || true
  uptime || true; } > "$OUT/machine.txt"
# run NAME ARGS...: one bench run, its text appended to the log; NAME.json unless NAME is -.
run() {
  local name=$1; shift
  echo "== $name: $*" >> "$OUT/log.txt"
  local json=()
  [ "$name" = - ] || json=(--json "$OUT/$name.json")
  "$NODE" dist/bench/run.js "$@" "${json[@]}" >> "$OUT/log.txt" 2>&1 || echo "$name failed" >> "$OUT/log.txt"
  tail -n 25 "$OUT/log.txt"
}
echo "== cpu-scaling" >> "$OUT/log.txt"
"$NODE" scripts/cpu-scaling.mjs >> "$OUT/log.txt" 2>&1
echo "== atomics-notify-cost" >> "$OUT/log.txt"
"$NODE" scripts/atomics-notify-cost.mjs 16 >> "$OUT/log.txt" 2>&1
run sync --suite sync --compare-threads 1,2,4,8,16
# The quantum mode first: it is what scales, and the device's time is short.
run quantum-64 --nodes 64 --timing quantum --compare-threads 1,2,4,8,16 --no-console
run quantum-256 --nodes 256 --size 65536 --timing quantum --compare-threads 1,2,4,8,16 --no-console
run - --nodes 256 --size 65536 --timing quantum --quantum 4000 --compare-threads 1,16 --no-console
run - --suite sync --compare-threads 1,2,4,8,16 --spin-us 1000
# The same work per lookahead, uneven from window to window as a node's is, with workers kept
# in step more tightly (K = 1: windows of the whole lookahead) and more loosely (K = 4).
run - --suite sync --compare-threads 1,2,4,8,16 --jitter 0.5 --work-us 3,10
run - --suite sync --compare-threads 1,2,4,8,16 --jitter 0.5 --window-slack 1 --work-us 6,20
run - --suite sync --compare-threads 1,2,4,8,16 --jitter 0.5 --window-slack 4 --work-us 1.5,5
run radix-64 --nodes 64 --compare-threads 1,2,4,8,16 --repeat 2 --no-console
# What the division of radix's work allows there, coordination aside (bench/balance.ts).
run - --nodes 64 --balance 2,4,8,16 --no-console
run - --nodes 64 --compare-threads 8,16 --repeat 2 --spin-us 1000 --no-console
# One window a pass over a worker's nodes, against the default spans of several.
run - --nodes 64 --compare-threads 2,8,16 --repeat 2 --no-spans --no-console
# Windows of the whole lookahead (K = 1) and of a quarter of it (K = 4): the same results.
run - --nodes 64 --compare-threads 8,16 --repeat 2 --window-slack 1 --no-console
run - --nodes 64 --compare-threads 8,16 --repeat 2 --window-slack 4 --no-console
# V8 compiles on a pool of 4 threads for the whole process by default: 16 isolates share it.
NODE_OPTIONS=--v8-pool-size=12 run - --nodes 64 --compare-threads 16 --repeat 2 --no-console
run radix-256 --nodes 256 --size 65536 --compare-threads 1,2,4,8,16 --repeat 2 --no-console
run - --nodes 256 --size 65536 --balance 2,4,8,16 --no-console
run radix-16 --nodes 16 --compare-threads 1,2,4,8,16 --repeat 2 --no-console
run stencil-64 --nodes 64 --workload stencil --compare-threads 1,2,4,8,16 --repeat 2 --no-console
