// `npm run bench`: the benchmark entry.
//
// Today it runs the hart speed benchmark (bench/hart-speed.ts). `--nodes N` is accepted now for
// the FLASH-machine benchmarks a later issue adds; N > 1 is refused until they exist.
//
//   npm run bench [-- --repeat 3] [--json FILE] [--kernel ELF] [--linux-kernel ELF] [--qemu CMD]
//
// Exit status: 0 when the run finished and (where QEMU ran) the checksums matched; 1 when the
// checksums differ; 2 for bad input.

import { writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError, EXIT_USAGE } from '../src/sim/errors.js';
import { formatHartSpeed, runHartSpeed } from './hart-speed.js';

/** The repository root: the nearest folder above this file that holds package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

function fail(message: string): never {
  process.stderr.write(`flashdisco bench: ${message}\n`);
  process.exit(EXIT_USAGE);
}

function main(): void {
  const root = repoRoot();
  const argv = yargs(hideBin(process.argv))
    .scriptName('npm run bench --')
    .options({
      nodes: { type: 'number', default: 1, requiresArg: true, describe: 'FLASH nodes (multi-node is not built yet)' },
      repeat: { type: 'number', default: 3, requiresArg: true, describe: 'runs per side; the best wall time counts' },
      json: { type: 'string', requiresArg: true, describe: 'write the results as JSON to this file' },
      kernel: { type: 'string', default: join(root, 'guest/build/bench-int.elf'), requiresArg: true, describe: 'bare-metal benchmark guest' },
      'linux-kernel': { type: 'string', default: join(root, 'guest/build/bench-int.linux.elf'), requiresArg: true, describe: 'the same benchmark for qemu-riscv64' },
      qemu: { type: 'string', default: 'qemu-riscv64', requiresArg: true, describe: 'QEMU user-mode binary' },
      'max-insns': { type: 'number', requiresArg: true, describe: 'instruction limit for the hart run' },
    })
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      fail(`${msg} (see npm run bench -- --help)`);
    })
    .parseSync();

  if (!Number.isInteger(argv.nodes) || argv.nodes < 1) fail(`--nodes ${argv.nodes}: give a whole number of nodes, 1 or more`);
  if (argv.nodes > 1) {
    fail(`--nodes ${argv.nodes}: multi-node FLASH machines are not built yet; run without --nodes for the hart speed benchmark`);
  }
  if (!Number.isInteger(argv.repeat) || argv.repeat < 1) fail(`--repeat ${argv.repeat}: give a whole number of runs, 1 or more`);

  const rel = (p: string) => relative(process.cwd(), resolve(p)) || p;
  try {
    const result = runHartSpeed({
      kernel: rel(argv.kernel),
      linuxKernel: rel(argv['linux-kernel']),
      repeat: argv.repeat,
      qemu: argv.qemu,
      maxInsns: argv['max-insns'],
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(formatHartSpeed(result) + '\n');
    if (argv.json !== undefined) writeFileSync(argv.json, JSON.stringify(result, null, 2) + '\n');
    if (result.checksumsMatch === false) process.exitCode = 1;
  } catch (e) {
    if (e instanceof UserError) fail(e.message);
    throw e;
  }
}

main();
