// Shared helpers of the virt board tests (test/virt-*.test.ts): disk images the tests make, a
// raw binary cut from an ELF, an in-process run of the board with console input handed over
// whenever the guest wants it, and a driver that types at the CLI's prompts.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureConsole } from '../src/devices/htif.js';
import { RunSession, feedInput, type FlatRunResult } from '../src/sim/run-flat.js';
import type { VirtBoardConfig } from '../src/sim/virt-board.js';
import { parseElf } from '../src/sim/elf.js';
import { MOTD, NUMBERS, SHELL_INPUT, kernelDiskFiles } from '../bench/kernel-session.js';
// @ts-expect-error: a plain ES module without types (the guest folder's disk tool)
import { fdfsImage as mkfdfs } from '../guest/virt-kernel/mkfdfs.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUILD = join(ROOT, 'guest', 'build');
export const image = (name: string): string => join(BUILD, name);

const SECTOR = 512;

/** The disk virt-blk expects: "FLASHDISCO-TESTDISK" + sector count, then byte i of sector s = (s * 7 + i) & 255. */
export function testDisk(sectors: number): Uint8Array {
  const b = new Uint8Array(sectors * SECTOR);
  b.set(new TextEncoder().encode('FLASHDISCO-TESTDISK'), 0);
  new DataView(b.buffer).setUint32(32, sectors, true);
  for (let s = 1; s < sectors; s++) for (let i = 0; i < SECTOR; i++) b[s * SECTOR + i] = (s * 7 + i) & 255;
  return b;
}

/** What virt-blk writes into sectors 10..13: byte i of sector s = (s * 13 + i + 1) & 255. */
export function blkWritten(s: number, i: number): number {
  return (s * 13 + i + 1) & 255;
}

/** An FDFS image (guest/virt-kernel/fs.c), made by guest/virt-kernel/mkfdfs.mjs. */
export function fdfsImage(files: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  return mkfdfs(files);
}

export { MOTD, NUMBERS, SHELL_INPUT };

/** The disk the end-to-end kernel boots from: init and the shell (virt-user), motd.txt and a bigger file. */
export function kernelDisk(): Uint8Array {
  return fdfsImage(kernelDiskFiles(BUILD));
}

/** The PT_LOAD bytes of an ELF laid out from its lowest address: what objcopy -O binary makes. */
export function rawBinary(elfPath: string): { bytes: Uint8Array; base: number } {
  const elf = parseElf(readFileSync(elfPath), elfPath);
  const segs = elf.segments.filter((s) => s.filesz > 0);
  const base = Math.min(...segs.map((s) => s.paddr));
  const end = Math.max(...segs.map((s) => s.paddr + s.filesz));
  const bytes = new Uint8Array(end - base);
  for (const s of segs) bytes.set(s.data, s.paddr - base);
  return { bytes, base };
}

// ---- tiny raw programs (loaded at 0x80000000) ----

export const words = (ws: number[]): Uint8Array => {
  const b = new Uint8Array(ws.length * 4);
  ws.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
  return b;
};
const LUI = (rd: number, imm20: number) => ((imm20 << 12) | (rd << 7) | 0x37) >>> 0;
const ADDI = (rd: number, rs1: number, imm: number) => (((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13) >>> 0;
const SW = (rs2: number, rs1: number) => ((rs2 << 20) | (rs1 << 15) | (2 << 12) | 0x23) >>> 0;
/** Stores (code << 16) | 0x3333 to the finisher: exit with `code`. */
export const finisherFail = (code: number) => words([LUI(5, 0x100), LUI(6, (code << 4) | 3), ADDI(6, 6, 0x333), SW(6, 5), 0x6f]);
/** Stores 0x5555 to the finisher: pass, status 0. */
export const finisherPass = () => words([LUI(5, 0x100), LUI(6, 5), ADDI(6, 6, 0x555), SW(6, 5), 0x6f]);
/** Stores 0x7777 to the finisher: reset. */
export const finisherReset = () => words([LUI(5, 0x100), LUI(6, 7), ADDI(6, 6, 0x777), SW(6, 5), 0x6f]);

export interface BoardRun {
  result: FlatRunResult;
  /** Console output with carriage returns removed. */
  text: string;
  session: RunSession;
}

/**
 * Runs a board to its end in process. `input` is held and handed to the UART a line at a time
 * where the guest wants one, as the CLI does with a file on stdin (held-input.ts); once it is
 * used up, a machine that waits for input ends as a fault.
 */
export function runBoard(cfg: Omit<VirtBoardConfig, 'console'>, input: string[] = []): BoardRun {
  const sink = new CaptureConsole();
  const session = new RunSession({ ...cfg, console: sink });
  const held = feedInput(session, input);
  for (;;) {
    const state = session.run(1000);
    if (state === 'done') break;
    if (state === 'idle' && !held.takeHanded()) session.stuck(held.holding);
  }
  return { result: session.result(), text: sink.text().replace(/\r/g, ''), session };
}

/** One step of a console driver: wait for `wait` in what the guest printed since the last step, then write `send`. */
export interface DriveStep {
  wait: RegExp;
  send: string;
  /** Host milliseconds between seeing `wait` and writing (a person reading the prompt). */
  delayMs?: number;
}

export interface DriveResult {
  status: number | null;
  /** stdout with carriage returns removed. */
  stdout: string;
  stderr: string;
  /** Steps whose text never came (the run ended or timed out first). */
  unmet: string[];
}

/**
 * Runs `node <args>` with a pipe on stdin that a driver writes only after it has seen what it
 * waits for on stdout, as expect or a person at a prompt does; kills the run after `timeoutMs`.
 */
export function driveCli(args: string[], steps: DriveStep[], timeoutMs: number): Promise<DriveResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '', from = 0;
    const left = [...steps];
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString('latin1').replace(/\r/g, '');
      for (let m; left.length > 0 && (m = left[0]!.wait.exec(out.slice(from))) !== null;) {
        const step = left.shift()!;
        from += m.index + m[0].length;
        setTimeout(() => p.stdin.write(step.send), step.delayMs ?? 0);
      }
    });
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.stdin.on('error', () => {}); // the run may end before a step's line is written
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: out, stderr: err, unmet: left.map((s) => String(s.wait)) });
    });
  });
}
