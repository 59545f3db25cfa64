// The FLASH machine configuration: every parameter with its type, default and meaning, in one
// table (gem5's Param.X(default, "desc"); zsim's strict config). A JSON file given with
// --config overrides any of them; an unknown key, a wrong type or a value out of range is refused
// before anything runs. The effective configuration is copied into the statistics.
//
// Calibration (../shared/reference/disco-paper.md): the paper gives 300 ns for a local miss and
// 900 ns for a remote one, without contention. We choose a 400 MHz CPU (2.5 ns a cycle), so:
//   local miss  = magic (requester's handler at home) + memory + magic (reply)    = 8 + 104 + 8 = 120 cycles = 300 ns
//   remote miss = magic + net(request) + magic + memory + net(reply) + magic
//               = 8 + (60 + 16 + 8) + 8 + 104 + (60 + 16 + 72) + 8               = 360 cycles = 900 ns
// for nodes one hop apart, where net(m) = niCycles + hops * hopCycles + bytes(m) / linkBytesPerCycle,
// a request is a 16-byte header and a data reply a header plus a 128-byte line. The minimum
// latency between two nodes is net(request at one hop) = 84 cycles, and the engine's lookahead
// that plus MAGIC's occupancy, 92 (node.ts).
//
// The monitor's costs are rows of this table too (monitor-costs.ts, argued there from the Disco
// paper); the flat board, which has no FLASH parameters, takes only those (monitorCostConfig).

import { UserError } from '../sim/errors.js';
import { MONITOR_COST_PARAMS, type MonitorCostConfig } from './monitor-costs.js';

export type { MonitorCostConfig };

export interface MachineConfig extends MonitorCostConfig {
  nodes: number;
  cpuMHz: number;
  lineBytes: number;
  l1iKiB: number;
  l1dKiB: number;
  l1Ways: number;
  l2KiB: number;
  l2Ways: number;
  l2HitCycles: number;
  memPerNodeMiB: number;
  memoryCycles: number;
  magicCycles: number;
  cacheToCacheCycles: number;
  niCycles: number;
  hopCycles: number;
  linkBytesPerCycle: number;
  headerBytes: number;
  nackRetryCycles: number;
  meshWidth: number;
  dirPointers: number;
  missThreshold: number;
  missResetCycles: number;
  numaMigrateShare: number;
  numaFreezeCycles: number;
  numaMovesPerReset: number;
  numaScanCycles: number;
  numaScanPages: number;
  mulExtraCycles: number;
  divExtraCycles: number;
  timebaseHz: number;
  deviceCycles: number;
  uma: number;
}

export interface Param {
  type: 'int' | 'number';
  default: number;
  min: number;
  max?: number;
  pow2?: boolean;
  doc: string;
}

const FLASH_PARAMS: { readonly [K in Exclude<keyof MachineConfig, keyof MonitorCostConfig>]: Param } = {
  nodes: { type: 'int', default: 16, min: 1, max: 1024, doc: 'FLASH nodes (each: one CPU, caches, MAGIC, directory, memory slice)' },
  cpuMHz: { type: 'number', default: 400, min: 1, doc: 'CPU clock; one cycle per instruction plus stalls' },
  lineBytes: { type: 'int', default: 128, min: 16, max: 4096, pow2: true, doc: 'cache line and coherence unit (FLASH: 128)' },
  l1iKiB: { type: 'int', default: 32, min: 1, pow2: true, doc: 'L1 instruction cache size' },
  l1dKiB: { type: 'int', default: 32, min: 1, pow2: true, doc: 'L1 data cache size' },
  l1Ways: { type: 'int', default: 2, min: 1, max: 64, pow2: true, doc: 'L1 associativity' },
  l2KiB: { type: 'int', default: 1024, min: 1, pow2: true, doc: 'unified L2 size (inclusive of both L1s)' },
  l2Ways: { type: 'int', default: 4, min: 1, max: 64, pow2: true, doc: 'L2 associativity' },
  l2HitCycles: { type: 'int', default: 10, min: 0, doc: 'extra cycles of an L1 miss that hits in L2' },
  memPerNodeMiB: { type: 'int', default: 16, min: 1, doc: 'home memory per node (when not given: 16, or less so that all nodes fit in 2048 MiB)' },
  memoryCycles: { type: 'int', default: 104, min: 0, doc: 'DRAM access at the home node' },
  magicCycles: { type: 'int', default: 8, min: 0, doc: 'MAGIC occupancy of one protocol handler' },
  cacheToCacheCycles: { type: 'int', default: 40, min: 0, doc: 'owner L2 read for a forwarded (three-hop) request' },
  niCycles: { type: 'int', default: 60, min: 0, doc: 'network interface latency, in plus out, per message' },
  hopCycles: { type: 'int', default: 16, min: 0, doc: 'router and link latency per mesh hop' },
  linkBytesPerCycle: { type: 'number', default: 2, min: 0.001, doc: 'link bandwidth (serialization = bytes / this)' },
  headerBytes: { type: 'int', default: 16, min: 1, doc: 'size of a message without data' },
  nackRetryCycles: { type: 'int', default: 32, min: 1, doc: 'back-off before a NACKed request is retried' },
  meshWidth: { type: 'int', default: 0, min: 0, doc: 'mesh columns; 0 derives the squarest mesh for the node count' },
  dirPointers: { type: 'int', default: 8, min: 1, max: 64, doc: 'sharer pointers per directory entry beyond 64 nodes (then broadcast)' },
  missThreshold: { type: 'int', default: 128, min: 1, doc: 'per-page per-node miss count that raises a hot-page event' },
  missResetCycles: { type: 'int', default: 4_000_000, min: 0, doc: 'period at which the home MAGIC clears its miss counters (0: never)' },
  numaMigrateShare: { type: 'number', default: 0.75, min: 0.5, max: 1, doc: 'NUMA policy: the share of a hot page\'s misses that one node must have for the page to migrate to it (docs/numa.md)' },
  numaFreezeCycles: { type: 'int', default: 8_000_000, min: 0, doc: 'NUMA policy: a page that moved stays where it is for this long' },
  numaMovesPerReset: { type: 'int', default: 64, min: 0, doc: 'NUMA policy: pages each node\'s monitor moves at most per missResetCycles (0: none)' },
  numaScanCycles: { type: 'int', default: 4_000_000, min: 1000, doc: 'auto-numa: the period of each node\'s scan for hinting faults' },
  numaScanPages: { type: 'int', default: 256, min: 1, doc: 'auto-numa: the pages each node\'s scan unmaps, in turn, to see who touches them next' },
  mulExtraCycles: { type: 'int', default: 2, min: 0, doc: 'extra cycles of a multiply' },
  divExtraCycles: { type: 'int', default: 32, min: 0, doc: 'extra cycles of a divide or remainder' },
  timebaseHz: { type: 'number', default: 10_000_000, min: 1, doc: 'frequency of mtime and the time CSR' },
  deviceCycles: { type: 'int', default: 20, min: 0, doc: 'device register access at the I/O node' },
  uma: { type: 'int', default: 0, min: 0, max: 1, doc: '1: a free network (niCycles and hopCycles 0, links of 1024 bytes a cycle), so a remote miss costs the local one plus one MAGIC handler: Disco\'s UMA bound (docs/numa.md)' },
};

export const PARAMS: { readonly [K in keyof MachineConfig]: Param } = { ...FLASH_PARAMS, ...MONITOR_COST_PARAMS };

const MONITOR_COST_KEYS = Object.keys(MONITOR_COST_PARAMS) as (keyof MonitorCostConfig)[];

export function defaultConfig(): MachineConfig {
  const c: Record<string, number> = {};
  for (const [k, p] of Object.entries(PARAMS)) c[k] = p.default;
  return c as unknown as MachineConfig;
}

/**
 * The memory per node when the user did not choose it: 16 MiB, halved until the machine fits the
 * 2048 MiB limit of one shared buffer (256 nodes get 8 MiB, 1024 nodes 2 MiB).
 */
export function defaultMemPerNode(nodes: number): number {
  let mib = PARAMS.memPerNodeMiB.default;
  while (mib > 1 && nodes * mib > MAX_MACHINE_MIB) mib /= 2;
  return mib;
}

const MAX_MACHINE_MIB = 2048;

/**
 * The network of a UMA machine. The exact engine's lookahead is MAGIC's occupancy plus the least
 * network latency (node.ts), so the network can cost almost nothing but not less than a cycle a
 * message: a remote miss then costs 130 cycles against a local one's 120 (the requester's MAGIC
 * handles the request and the reply), where the default network makes it 360.
 */
const UMA_VALUES = { niCycles: 0, hopCycles: 0, linkBytesPerCycle: 1024 } as const;
const UMA_NETWORK = Object.keys(UMA_VALUES);

/** Apply overrides (from --config or flags); `source` names them in errors. */
export function applyConfig(base: MachineConfig, overrides: Record<string, unknown>, source: string): MachineConfig {
  const c: Record<string, number> = { ...base };
  if (overrides.memPerNodeMiB === undefined && typeof overrides.nodes === 'number') {
    c.memPerNodeMiB = defaultMemPerNode(overrides.nodes);
  }
  if (overrides.uma === 1) {
    const set = UMA_NETWORK.filter((k) => overrides[k] !== undefined);
    if (set.length > 0) throw new UserError(`${source}: 'uma' makes the network free and sets ${UMA_NETWORK.join(', ')}; drop ${set.join(', ')} or 'uma'`);
    Object.assign(c, UMA_VALUES);
  }
  for (const [k, v] of Object.entries(overrides)) {
    const p = (PARAMS as Record<string, Param>)[k];
    if (p === undefined) {
      throw new UserError(`${source}: unknown parameter '${k}'; known parameters: ${Object.keys(PARAMS).join(', ')}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${source}: '${k}' must be a number (got ${JSON.stringify(v)})`);
    c[k] = v;
  }
  return validateConfig(c as unknown as MachineConfig, source);
}

/**
 * The monitor's costs for the flat board (`run --monitor --config`, `run --vms --config`): the
 * defaults with `overrides` applied. Only monitor rows may be given; a FLASH parameter is
 * refused, since the flat board has none of what they describe. `option` is the run's (the
 * refusal names it; --vms has no FLASH machine to turn to).
 */
export function monitorCostConfig(overrides: Record<string, unknown>, source: string, option: '--monitor' | '--vms' = '--monitor'): MonitorCostConfig {
  for (const k of Object.keys(overrides)) {
    if (k in MONITOR_COST_PARAMS) continue;
    if (k in PARAMS) {
      const flash = option === '--monitor' ? ', or add --nodes N' : '';
      throw new UserError(`${source}: '${k}' is a parameter of the FLASH machine, which the flat board does not have; with ${option} give only the monitor's costs (${MONITOR_COST_KEYS.join(', ')})${flash}`);
    }
    throw new UserError(`${source}: unknown parameter '${k}'; the monitor's costs are ${MONITOR_COST_KEYS.join(', ')}`);
  }
  return pickMonitorCosts(applyConfig(defaultConfig(), overrides, source));
}

/** The monitor's rows of a machine configuration. */
export function pickMonitorCosts(c: MachineConfig): MonitorCostConfig {
  const out: Record<string, number> = {};
  for (const k of MONITOR_COST_KEYS) out[k] = c[k];
  return out as unknown as MonitorCostConfig;
}

export function validateConfig(c: MachineConfig, source: string): MachineConfig {
  for (const [k, p] of Object.entries(PARAMS) as [keyof MachineConfig, Param][]) {
    const v = c[k];
    if (p.type === 'int' && !Number.isInteger(v)) throw new UserError(`${source}: '${k}' must be an integer (got ${v})`);
    if (v < p.min) throw new UserError(`${source}: '${k}' must be at least ${p.min} (got ${v}); ${p.doc}`);
    if (p.max !== undefined && v > p.max) throw new UserError(`${source}: '${k}' must be at most ${p.max} (got ${v})`);
    if (p.pow2 && (v & (v - 1)) !== 0) throw new UserError(`${source}: '${k}' must be a power of two (got ${v})`);
  }
  const totalMiB = c.nodes * c.memPerNodeMiB;
  if (totalMiB > MAX_MACHINE_MIB) {
    throw new UserError(`${source}: ${c.nodes} nodes x ${c.memPerNodeMiB} MiB = ${totalMiB} MiB of machine memory; the limit is ${MAX_MACHINE_MIB} MiB: lower memPerNodeMiB`);
  }
  if (c.l2KiB < c.l1dKiB || c.l2KiB < c.l1iKiB) throw new UserError(`${source}: the L2 (${c.l2KiB} KiB) must be at least as large as each L1`);
  if (c.meshWidth > c.nodes) throw new UserError(`${source}: meshWidth ${c.meshWidth} exceeds the ${c.nodes} nodes`);
  return c;
}

/** One line per parameter, for --help-config. */
export function describeParams(): string {
  return Object.entries(PARAMS).map(([k, p]) => `  ${k.padEnd(24)} ${String(p.default).padStart(10)}  ${p.doc}`).join('\n');
}
