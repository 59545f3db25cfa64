// The end-to-end kernel session, shared by the tests (test/virt-helpers.ts) and the monitor
// benchmark (monitor-overhead.ts): the SBI firmware (virt-sbi) starts the S-mode kernel
// (virt-kernel) on two harts, which boots from an FDFS disk holding init and the shell
// (virt-user) and two text files; the shell is typed the lines of SHELL_INPUT, one whenever the
// machine waits for input, and init powers off once the shell and its two CPU-bound background
// jobs (sieve, collatz) are done.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const MOTD = 'Welcome to virt-kernel on flashdisco.\nThis file came from a virtio disk.\n';

/** numbers.txt on the kernel's disk. */
export const NUMBERS = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('');

/** The shell session: files, echo, an unknown command, a job, exit. */
export const SHELL_INPUT = ['ls\n', 'cat motd.txt numbers.txt\n', 'echo two  words\n', 'nonsense\n', 'run collatz\n', 'exit\n'];

/** The files of the kernel's disk, in order; `build` is guest/build. */
export function kernelDiskFiles(build: string): [string, Uint8Array][] {
  const enc = new TextEncoder();
  return [
    ['virt-user', readFileSync(join(build, 'virt-user.linux.elf'))],
    ['motd.txt', enc.encode(MOTD)],
    ['numbers.txt', enc.encode(NUMBERS)],
  ];
}

/** The disk image, made by the guest folder's own tool (guest/virt-kernel/mkfdfs.mjs) under `root`. */
export async function kernelDiskImage(root: string): Promise<Uint8Array> {
  const tool = await import(pathToFileURL(join(root, 'guest', 'virt-kernel', 'mkfdfs.mjs')).href) as { fdfsImage(files: [string, Uint8Array][]): Uint8Array };
  return tool.fdfsImage(kernelDiskFiles(join(root, 'guest', 'build')));
}
