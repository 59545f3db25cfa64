#!/usr/bin/env bash
# The parallel-speedup measurement for a many-core machine (see device-carry.sh): the FLASH
# benchmark at 1, 2, 4, 8 and 16 worker threads, for 16, 64 and 256 nodes, each checking that the
# simulated results are identical across thread counts; repeats on the same workers, so that
# the fastest run is one whose code V8 has already compiled. Results (JSON and text) go to $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/flashdisco-scaling}
mkdir -p "$OUT"
NODE=/tmp/flashdisco-node
[ -x "$NODE" ] || { xz -d -c .carry/node.xz > "$NODE"; chmod +x "$NODE"; }
[ -e node_modules ] || ln -s .carry/prod/node_modules node_modules
{ nproc; "$NODE" --version; grep -m1 'model name' /proc/cpuinfo; lscpu 2>/dev/null | grep -E 'Thread|Core|Socket|NUMA node\(|MHz'
  cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpuset.cpus.effective 2>/dev/null; cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null
  uptime; } > "$OUT/machine.txt"
# First what the host's cores really give (a shared or throttled host shows it here).
"$NODE" scripts/cpu-scaling.mjs >> "$OUT/log.txt" 2>&1
run() {
  local name=$1; shift
  # One log for all: the device tool brings back at most 8 files.
  echo "== $name: $*" >> "$OUT/log.txt"
  "$NODE" dist/bench/run.js "$@" --json "$OUT/$name.json" >> "$OUT/log.txt" 2>&1 || echo "$name failed" >> "$OUT/log.txt"
  tail -n 25 "$OUT/log.txt"
}
run radix-64 --nodes 64 --compare-threads 1,2,4,8,16 --repeat 2
run radix-256 --nodes 256 --size 65536 --compare-threads 1,2,4,8,16 --repeat 2
run radix-16 --nodes 16 --compare-threads 1,2,4,8,16 --repeat 2
run stencil-64 --nodes 64 --workload stencil --compare-threads 1,2,4,8,16 --repeat 2
