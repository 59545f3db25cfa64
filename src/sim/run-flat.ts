// Runs one ELF on one hart over flat memory: the single-hart machine, no caches, no FLASH.
//
//   FlatMemory (RAM at 0x8000_0000, --mem MiB)  <-  ELF PT_LOAD segments (checked against RAM)
//        |  + HTIF on tohost/fromhost when the image defines them (console bytes -> sink)
//   Hart 0, pc = ELF entry, a0 = 0 (hart id), a1 = 0 (no device tree yet)
//
// The hart runs in slices (SLICE_INSNS instructions) so the runner can stop it at --max-insns
// and flush the console between slices. A run ends when a device halts the machine (HTIF exit),
// when the instruction limit is reached, or when the guest can make no more progress (an HTIF
// request we do not support, wfi with no timer armed to wake it, a trap handler it cannot fetch).

import { performance } from 'node:perf_hooks';
import { Hart, Stop } from '../vcpu/hart.js';
import { FlatMemory } from '../vcpu/flat-memory.js';
import { Htif, type ConsoleSink, type HtifStats } from '../devices/htif.js';
import { readElf } from './elf.js';
import { loadElf } from './loader.js';
import { UserError, GuestFault, EXIT_MAX_INSNS, EXIT_GUEST_FAULT, hex } from './errors.js';
import { silentLogger, type Logger } from './log.js';

export const RAM_BASE = 0x8000_0000;
export const DEFAULT_MEM_MIB = 128;
/** RAM must end below 4 GiB + base so addresses stay well inside a double; 2 GiB is plenty. */
export const MAX_MEM_MIB = 2048;
/** Instructions per hart.run() call: long enough to amortise the call, short enough to stop promptly. */
export const SLICE_INSNS = 1_000_000;

export interface FlatRunConfig {
  /** Path of the ELF to run. */
  kernel: string;
  memMiB?: number;
  /** Stop after this many instructions (undefined: no limit). */
  maxInsns?: number;
  sliceInsns?: number;
  console: ConsoleSink;
  log?: Logger;
  /** Called between slices (the CLI flushes stdout here). */
  onSlice?: () => void;
}

export type StopReason = 'exit' | 'max-insns' | 'fault';

export type HartStats = ReturnType<Hart['stats']>;

export interface FlatRunResult {
  reason: StopReason;
  /** Guest exit status for 'exit'; EXIT_MAX_INSNS or EXIT_GUEST_FAULT otherwise. */
  exitCode: number;
  /** One sentence for 'max-insns' and 'fault'. */
  message: string | null;
  instret: number;
  cycle: number;
  pc: number;
  stats: HartStats;
  htif: HtifStats | null;
  /** Host seconds spent in hart.run() (not loading): host-dependent, never part of results. */
  runSeconds: number;
}

export interface FlatMachine {
  mem: FlatMemory;
  hart: Hart;
  htif: Htif | null;
  entry: number;
}

function checkConfig(cfg: FlatRunConfig): { memMiB: number; maxInsns: number; slice: number } {
  const memMiB = cfg.memMiB ?? DEFAULT_MEM_MIB;
  if (!Number.isInteger(memMiB) || memMiB < 1 || memMiB > MAX_MEM_MIB) {
    throw new UserError(`--mem ${memMiB}: RAM size must be a whole number of MiB from 1 to ${MAX_MEM_MIB}`);
  }
  const maxInsns = cfg.maxInsns ?? Infinity;
  if (maxInsns !== Infinity && (!Number.isSafeInteger(maxInsns) || maxInsns < 1)) {
    throw new UserError(`--max-insns ${maxInsns}: the instruction limit must be a positive whole number`);
  }
  const slice = cfg.sliceInsns ?? SLICE_INSNS;
  if (!Number.isSafeInteger(slice) || slice < 1) throw new Error(`bad slice size ${slice}`);
  return { memMiB, maxInsns, slice };
}

const CAUSE_MISALIGNED_FETCH = 0;
const CAUSE_FETCH_ACCESS = 1;
const CAUSE_FETCH_PAGE_FAULT = 12;

/**
 * A fetch fault at the very address mtvec points to would trap to itself forever without
 * retiring an instruction, so neither the slice budget nor --max-insns would ever stop it (a
 * bare-metal guest that never set mtvec, then jumped somewhere wrong). Stop it here instead.
 */
function stopFetchTrapLoop(h: Hart, cause: number, _tval: bigint, pc: number): boolean {
  if (cause !== CAUSE_FETCH_ACCESS && cause !== CAUSE_FETCH_PAGE_FAULT && cause !== CAUSE_MISALIGNED_FETCH) return false;
  const vector = h.csr.mtvecHi * 0x1_0000_0000 + ((h.csr.mtvecLo & ~3) >>> 0);
  if (vector !== pc) return false;
  throw new GuestFault(
    `hart 0 cannot fetch its trap handler: a fetch fault at ${hex(pc)} traps to mtvec = ${hex(vector)}, the same address; does the guest set mtvec?`,
  );
}

/** Builds memory, loads the image, attaches HTIF and creates hart 0 at the entry point. */
export function buildFlatMachine(cfg: FlatRunConfig): FlatMachine {
  const log = cfg.log ?? silentLogger();
  const { memMiB } = checkConfig(cfg);
  const image = readElf(cfg.kernel);
  const mem = new FlatMemory({ base: RAM_BASE, size: memMiB * 1024 * 1024 });
  const loaded = loadElf(image, mem.ram);
  log.info({ kernel: cfg.kernel, entry: hex(loaded.entry), bytes: loaded.loadedBytes, memMiB }, 'loaded');

  let htif: Htif | null = null;
  const tohost = loaded.symbolPaddr('tohost');
  if (tohost !== undefined) {
    const fromhost = loaded.symbolPaddr('fromhost');
    const ramEnd = RAM_BASE + mem.ram.size;
    if (tohost < RAM_BASE || tohost + 8 > ramEnd || tohost % 8 !== 0) {
      throw new UserError(`'${cfg.kernel}': symbol tohost at ${hex(tohost)} is not an aligned 64-bit word inside RAM; check the linker script`);
    }
    htif = new Htif(tohost, fromhost, cfg.console, (msg) => log.warn(msg));
    htif.attach(mem);
    log.info({ tohost: hex(tohost), fromhost: fromhost === undefined ? null : hex(fromhost) }, 'htif attached');
  } else {
    log.info(`'${cfg.kernel}' defines no tohost symbol: no HTIF console, and the guest cannot exit through HTIF`);
  }

  const hart = new Hart({ port: mem, hartId: 0, resetPc: loaded.entry });
  hart.setX(10, 0n); // a0 = hart id
  hart.setX(11, 0n); // a1 = device tree address: none yet
  hart.machineTrapHook = stopFetchTrapLoop;
  return { mem, hart, htif, entry: loaded.entry };
}

/** Runs a built machine to its end; see the header for the ways a run ends. */
export function runFlatMachine(m: FlatMachine, cfg: FlatRunConfig): FlatRunResult {
  const { maxInsns, slice } = checkConfig(cfg);
  const { hart, htif } = m;
  let reason: StopReason | null = null;
  let exitCode = 0;
  let message: string | null = null;
  const t0 = performance.now();
  while (reason === null) {
    const left = maxInsns - hart.instret;
    if (left <= 0) {
      reason = 'max-insns';
      exitCode = EXIT_MAX_INSNS;
      message = `the guest did not finish within --max-insns ${maxInsns} instructions (stopped at pc ${hex(hart.pc)}); raise the limit or check the guest for a hang`;
      break;
    }
    let why: Stop;
    try {
      why = hart.run(Math.min(slice, left));
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      reason = 'fault';
      exitCode = EXIT_GUEST_FAULT;
      message = e.message;
      break;
    }
    cfg.onSlice?.();
    switch (why) {
      case Stop.Halt:
        if (htif?.fault) {
          reason = 'fault';
          exitCode = EXIT_GUEST_FAULT;
          message = htif.fault;
        } else {
          reason = 'exit';
          exitCode = htif?.exitCode ?? 0;
        }
        break;
      case Stop.Wfi: {
        // Only the hart's own Sstc timer can wake it here (there is no CLINT or PLIC yet).
        const wake = hart.nextTimerCycle();
        if (wake !== Infinity) {
          hart.idleUntilCycle(wake);
          break;
        }
        reason = 'fault';
        exitCode = EXIT_GUEST_FAULT;
        message = `hart 0 waits for an interrupt (wfi at pc ${hex(hart.pc)}) and nothing in the flat machine can raise one`;
        break;
      }
      case Stop.Stall:
        throw new Error(`hart 0 stalled at pc ${hex(hart.pc)} on flat memory, which never stalls`);
      case Stop.Budget:
        break;
      default:
        throw new Error(`hart.run returned unknown stop reason ${String(why)}`);
    }
  }
  const runSeconds = (performance.now() - t0) / 1000;
  return {
    reason,
    exitCode,
    message,
    instret: hart.instret,
    cycle: hart.cycle,
    pc: hart.pc,
    stats: hart.stats(),
    htif: htif ? htif.stats() : null,
    runSeconds,
  };
}

/** Builds and runs: the whole of `flashdisco run` without the CLI. */
export function runFlat(cfg: FlatRunConfig): FlatRunResult {
  return runFlatMachine(buildFlatMachine(cfg), cfg);
}
