// The VM file of `flashdisco run --vms FILE.json`: the VMs to run at once, on the flat board or (with
// --nodes) on the FLASH machine.
//
//   { "timeSlice": 10000,                     optional: cycles of a vCPU's time slice where
//                                             vCPUs share a CPU (--time-slice wins)
//     "vms": [                                one object per VM, in the order they are numbered
//       { "name": "web",                      optional (default vmN): letters, digits, . _ -
//         "bios": "virt-sbi.elf",             the run options' keys, as `flashdisco run` has
//         "kernel": "virt-kernel.elf",        them: bios, kernel (required), initrd, append,
//         "append": "console=ttyS0",          disk, diskWrite, mem (MiB, default 128),
//         "disk": "web.img",                  maxInsns
//         "vcpus": 2,                         optional (default 1)
//         "nodes": [4, 5],                    with --nodes: the node of each vCPU (default: the
//                                             next nodes no other VM names, in file order)
//         "placement": "first-touch",         first-touch (default), round-robin or node:N
//         "numa": "disco",                    with --nodes: the NUMA policy of its pages
//                                             (default: --numa-policy's; docs/numa.md)
//         "console": "web.out",               "stdio" (one VM at most) or a file to write
//         "input": "web.in" } ] }             optional: console lines, fed as piped input is
//
// A bare list is taken as the "vms" list. Paths are relative to the file's folder. Everything
// the file says is checked here, before anything runs; every problem is one UserError naming
// the file, the VM and the fix.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parsePlacement, type Placement } from '../monitor/placement.js';
import { NUMA_POLICIES, isNumaPolicy, numaPlacement, type NumaPolicy } from '../monitor/node-monitor.js';
import { UserError } from './errors.js';
import { DEFAULT_MEM_MIB, MAX_HARTS, MAX_MEM_MIB } from './virt-board.js';

/**
 * At most this many VMs, and this many vCPUs in all (each costs what a hart costs), on the flat
 * board, where one thread runs them all; the FLASH machine takes a VM and four vCPUs a node as
 * well (vcpuLimits).
 */
export const MAX_VMS = MAX_HARTS;
export const MAX_VCPUS = MAX_HARTS;

/** The most VMs and vCPUs a run takes: on `machineNodes` FLASH nodes, or the flat board. */
export function vcpuLimits(machineNodes: number | undefined): { vms: number; vcpus: number } {
  return machineNodes === undefined ? { vms: MAX_VMS, vcpus: MAX_VCPUS } : { vms: Math.max(MAX_VMS, machineNodes), vcpus: Math.max(MAX_VCPUS, 4 * machineNodes) };
}
/** The flat board's nodes, for placement policies. */
const FLAT_BOARD_NODES = 1;

export interface VmEntry {
  name: string;
  kernel: string;
  bios?: string;
  initrd?: string;
  append?: string;
  disk?: string;
  diskWrite: boolean;
  memMiB: number;
  maxInsns?: number;
  vcpus: number;
  /** With --nodes: the node of each vCPU, or null to take the next free ones. */
  nodes: number[] | null;
  /** Whether the file gave `mem` (the FLASH machine's default is a share of its memory). */
  memGiven: boolean;
  placement: Placement;
  /** With --nodes: its NUMA policy, or undefined for the run's. */
  numa?: NumaPolicy;
  /** 'stdio', or the absolute path of the file the console is written to. */
  console: string;
  /** The absolute path of the console input file, or null. */
  input: string | null;
}

export interface VmsFile {
  path: string;
  /** Cycles of a vCPU's time slice (the file's timeSlice), if it gives one. */
  timeSlice?: number;
  vms: VmEntry[];
}

const TOP_KEYS = ['vms', 'timeSlice'];
const VM_KEYS = ['name', 'kernel', 'bios', 'initrd', 'append', 'disk', 'diskWrite', 'mem', 'maxInsns', 'vcpus', 'nodes', 'placement', 'numa', 'console', 'input'];

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `machineNodes`: the FLASH machine's nodes with --nodes; absent, the flat board. */
export function readVmsFile(path: string, machineNodes?: number): VmsFile {
  const where = `--vms '${path}'`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${where} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path`);
  }
  let top: unknown;
  try {
    top = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${where} is not valid JSON (${(e as Error).message}); give {"vms": [{"kernel": ...}, ...]}`);
  }
  if (Array.isArray(top)) top = { vms: top };
  if (!isObject(top)) throw new UserError(`${where} must hold an object {"vms": [...]} or a list of VMs`);
  if ('quantum' in top) {
    throw new UserError(`${where}: the key 'quantum' is now 'timeSlice' (the cycles of a vCPU's time slice); rename it in the file`);
  }
  for (const k of Object.keys(top)) {
    if (!TOP_KEYS.includes(k)) throw new UserError(`${where}: unknown key '${k}' at the top level; the keys are ${TOP_KEYS.join(', ')}`);
  }
  const list = top.vms;
  if (!Array.isArray(list) || list.length === 0) throw new UserError(`${where} names no VMs; give "vms": a list of at least one VM`);
  const limits = vcpuLimits(machineNodes);
  if (list.length > limits.vms) throw new UserError(`${where} names ${list.length} VMs; at most ${limits.vms} run at once${machineNodes === undefined ? '' : ` on ${machineNodes} nodes`}`);
  const timeSlice = top.timeSlice === undefined ? undefined : positiveInteger(top.timeSlice, `${where}: timeSlice`, 'cycles per time slice');
  const dir = dirname(resolve(path));
  const vms = list.map((v, i) => vmEntry(v, i, dir, where, machineNodes));
  checkTogether(vms, where, limits.vcpus);
  return { path, timeSlice, vms };
}

function positiveInteger(v: unknown, what: string, unit: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) {
    throw new UserError(`${what} is ${JSON.stringify(v)}; give a whole number of ${unit} from 1${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
  }
  return v;
}

function vmEntry(v: unknown, i: number, dir: string, where: string, machineNodes: number | undefined): VmEntry {
  if (!isObject(v)) throw new UserError(`${where}: vms[${i}] is not an object; give {"kernel": ..., "console": ...}`);
  const name = v.name === undefined ? `vm${i}` : v.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new UserError(`${where}: vms[${i}] has the name ${JSON.stringify(name)}; give 1 to 64 letters, digits, '.', '_' or '-'`);
  }
  const at = `${where}: VM '${name}'`;
  for (const k of Object.keys(v)) {
    if (!VM_KEYS.includes(k)) throw new UserError(`${at}: unknown key '${k}'; the keys are ${VM_KEYS.join(', ')}`);
  }
  const str = (k: string): string | undefined => {
    const x = v[k];
    if (x === undefined) return undefined;
    if (typeof x !== 'string' || x === '') throw new UserError(`${at}: ${k} is ${JSON.stringify(x)}; give a non-empty string`);
    return x;
  };
  const file = (k: string): string | undefined => {
    const x = str(k);
    return x === undefined ? undefined : resolve(dir, x);
  };
  const kernel = file('kernel');
  if (kernel === undefined) throw new UserError(`${at} has no kernel; give "kernel": the image to run`);
  if (v.diskWrite !== undefined && typeof v.diskWrite !== 'boolean') throw new UserError(`${at}: diskWrite is ${JSON.stringify(v.diskWrite)}; give true or false`);
  const diskWrite = v.diskWrite === true;
  const disk = file('disk');
  if (diskWrite && disk === undefined) throw new UserError(`${at}: diskWrite needs a disk`);
  const numa = str('numa');
  if (numa !== undefined && machineNodes === undefined) throw new UserError(`${at}: numa moves pages between the FLASH machine's nodes, and the flat board has one; add --nodes N, or drop numa`);
  if (numa !== undefined && !isNumaPolicy(numa)) throw new UserError(`${at}: numa is ${JSON.stringify(numa)}; give one of ${NUMA_POLICIES.join(', ')}`);
  const named = numa === undefined ? null : numaPlacement(numa);
  const placementText = str('placement') ?? named?.policy ?? 'first-touch';
  if (named !== null && placementText !== named.policy) throw new UserError(`${at}: numa ${numa} places pages ${numa} and placement says ${placementText}; give one of them`);
  const placement = parsePlacement(placementText, machineNodes ?? FLAT_BOARD_NODES);
  if (typeof placement === 'string') throw new UserError(`${at}: placement ${placement}`);
  const vcpus = v.vcpus === undefined ? 1 : positiveInteger(v.vcpus, `${at}: vcpus`, 'virtual CPUs', MAX_HARTS);
  const consoleText = str('console');
  if (consoleText === undefined) throw new UserError(`${at} has no console; give "console": "stdio" or a file to write it to`);
  return {
    name,
    kernel,
    bios: file('bios'),
    initrd: file('initrd'),
    append: str('append'),
    disk,
    diskWrite,
    memMiB: v.mem === undefined ? DEFAULT_MEM_MIB : positiveInteger(v.mem, `${at}: mem`, 'MiB', MAX_MEM_MIB),
    maxInsns: v.maxInsns === undefined ? undefined : positiveInteger(v.maxInsns, `${at}: maxInsns`, 'instructions'),
    vcpus,
    nodes: vcpuNodes(v.nodes, vcpus, at, machineNodes),
    memGiven: v.mem !== undefined,
    placement,
    numa: numa as NumaPolicy | undefined,
    console: consoleText === 'stdio' ? 'stdio' : resolve(dir, consoleText),
    input: file('input') ?? null,
  };
}

function vcpuNodes(x: unknown, vcpus: number, at: string, machineNodes: number | undefined): number[] | null {
  if (x === undefined) return null;
  if (machineNodes === undefined) throw new UserError(`${at}: nodes places vCPUs on the FLASH machine's nodes, and the flat board has one; add --nodes N, or drop nodes`);
  if (!Array.isArray(x) || x.length !== vcpus || x.some((n) => !Number.isSafeInteger(n) || n < 0 || n >= machineNodes)) {
    throw new UserError(`${at}: nodes is ${JSON.stringify(x)}; give one node from 0 to ${machineNodes - 1} for each of its ${vcpus} vCPUs`);
  }
  return x as number[];
}

/** What no VM can be told alone: unique names, one stdio console, files not shared. */
function checkTogether(vms: VmEntry[], where: string, maxVcpus: number): void {
  const seen = new Map<string, string>();
  const claim = (key: string, name: string, what: string) => {
    const other = seen.get(key);
    if (other !== undefined) throw new UserError(`${where}: VMs '${other}' and '${name}' ${what}`);
    seen.set(key, name);
  };
  for (const vm of vms) {
    claim(`name ${vm.name}`, vm.name, 'have the same name; give each its own');
    if (vm.console === 'stdio') claim('stdio', vm.name, 'both have the console "stdio"; one VM at most writes to stdout, give the other a file');
    else claim(`file ${vm.console}`, vm.name, `both write their console to '${vm.console}'; give each its own file`);
  }
  for (const vm of vms) {
    for (const [what, path] of [['disk', vm.disk], ['input', vm.input], ['kernel', vm.kernel], ['bios', vm.bios], ['initrd', vm.initrd]] as const) {
      if (path != null && seen.has(`file ${path}`)) throw new UserError(`${where}: VM '${vm.name}': its ${what} '${path}' is a console file, which the run overwrites; write the console elsewhere`);
    }
    if (!vm.diskWrite) continue;
    const other = vms.find((o) => o !== vm && o.disk === vm.disk);
    if (other !== undefined) throw new UserError(`${where}: VMs '${vm.name}' and '${other.name}' share the disk '${vm.disk}', which '${vm.name}' writes back; give each its own disk`);
  }
  const vcpus = vms.reduce((n, vm) => n + vm.vcpus, 0);
  if (vcpus > maxVcpus) throw new UserError(`${where}: the VMs have ${vcpus} vCPUs in all; at most ${maxVcpus} run at once`);
}
