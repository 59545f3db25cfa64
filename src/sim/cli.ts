#!/usr/bin/env node
// flashdisco command line.
//
//   flashdisco run --kernel FILE.elf [--mem MiB] [--max-insns N] [--stats FILE.json]
//                  [--log-level LEVEL] [--log-format text|json]
//
// stdout carries the guest console and nothing else; logs (pino, JSON lines) and errors go to
// stderr. Exit status: the guest's own exit status when it exits through HTIF; 2 for bad input
// (one line `flashdisco: <message>`, no stack); 3 when --max-insns stops the guest; 4 when the
// guest stops in a way it cannot recover from. A stack trace means a simulator bug.
//
// Options are declared in tables (RUN_OPTIONS) so later machine options (--bios, --initrd,
// --append, --disk, --harts, --nodes) are one row each plus their use in runCommand().

import { writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BufferedConsole } from '../devices/htif.js';
import { UserError, EXIT_USAGE } from './errors.js';
import { createLogger, DEFAULT_LOG_LEVEL, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log.js';
import { DEFAULT_MEM_MIB, runFlat, type FlatRunResult } from './run-flat.js';

const GLOBAL_OPTIONS = {
  'log-level': {
    type: 'string',
    choices: LOG_LEVELS,
    default: DEFAULT_LOG_LEVEL,
    describe: 'how much the simulator logs to stderr',
  },
  'log-format': {
    type: 'string',
    choices: LOG_FORMATS,
    default: 'text',
    describe: 'log records as readable lines or as pino JSON lines',
  },
} as const;

const RUN_OPTIONS = {
  kernel: {
    type: 'string',
    demandOption: true,
    requiresArg: true,
    describe: 'RV64 ELF image to run (e.g. guest/build/kernel-sv39.elf)',
  },
  mem: { type: 'number', default: DEFAULT_MEM_MIB, requiresArg: true, describe: 'RAM size in MiB, at 0x80000000' },
  'max-insns': {
    type: 'number',
    requiresArg: true,
    describe: 'stop the guest after N instructions (exit status 3)',
  },
  stats: { type: 'string', requiresArg: true, describe: 'write run statistics as JSON to this file' },
} as const;

function fail(message: string, status = EXIT_USAGE): never {
  process.stderr.write(`flashdisco: ${message}\n`);
  process.exit(status);
}

function parseArgs(args: string[]) {
  return yargs(args)
    .scriptName('flashdisco')
    .usage('$0 <command> [options]')
    .options(GLOBAL_OPTIONS)
    .command('run', 'run an ELF kernel on one hart over flat memory', (y) => y.options(RUN_OPTIONS))
    .demandCommand(1, 'name a command: run')
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      fail(`${msg} (see flashdisco --help)`);
    })
    .parseSync();
}

/** Writes an empty file now, so an unwritable --stats path is refused before the run. */
function checkWritable(path: string): void {
  try {
    writeFileSync(path, '');
  } catch (e) {
    throw new UserError(`--stats '${path}' cannot be written (${(e as NodeJS.ErrnoException).code}); choose a writable path`);
  }
}

function statsRecord(kernel: string, memMiB: number, maxInsns: number | undefined, r: FlatRunResult) {
  return {
    kernel,
    config: { memMiB, maxInsns: maxInsns ?? null },
    exit: { reason: r.reason, code: r.exitCode, message: r.message },
    instructions: r.instret,
    cycles: r.cycle,
    hart: r.stats,
    htif: r.htif,
    // Host measurements: they vary from run to run and host to host, unlike everything above.
    host: { runSeconds: r.runSeconds, mips: r.runSeconds > 0 ? r.instret / r.runSeconds / 1e6 : null },
  };
}

/** Maps a guest exit status to a process exit status (0..255; a larger one becomes 1). */
function processStatus(code: number, warn: (msg: string) => void): number {
  if (Number.isInteger(code) && code >= 0 && code <= 255) return code;
  warn(`guest exit status ${code} does not fit a process exit status; exiting with 1`);
  return 1;
}

function runCommand(argv: ReturnType<typeof parseArgs>): number {
  const log = createLogger(argv['log-level'] as LogLevel, argv['log-format'] as LogFormat);
  const kernel = argv.kernel as string;
  const memMiB = argv.mem as number;
  const maxInsns = argv['max-insns'] as number | undefined;
  const statsPath = argv.stats as string | undefined;
  if (statsPath !== undefined) checkWritable(statsPath);

  const sink = new BufferedConsole((bytes) => process.stdout.write(bytes));
  const result = runFlat({ kernel, memMiB, maxInsns, console: sink, log, onSlice: () => sink.flush() });
  sink.flush();
  log.info(
    { reason: result.reason, exitCode: result.exitCode, instret: result.instret, cycle: result.cycle, runSeconds: result.runSeconds },
    'run finished',
  );
  if (statsPath !== undefined) {
    writeFileSync(statsPath, JSON.stringify(statsRecord(kernel, memMiB, maxInsns, result), null, 2) + '\n');
  }
  if (result.reason !== 'exit') {
    process.stderr.write(`flashdisco: ${result.message}\n`);
    return result.exitCode;
  }
  return processStatus(result.exitCode, (msg) => process.stderr.write(`flashdisco: ${msg}\n`));
}

function main(): void {
  // A closed stdout (`flashdisco run ... | head`) ends the run quietly, as other tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    const argv = parseArgs(hideBin(process.argv));
    switch (argv._[0]) {
      case 'run':
        process.exitCode = runCommand(argv);
        return;
      default:
        fail(`unknown command '${String(argv._[0])}' (see flashdisco --help)`);
    }
  } catch (e) {
    if (e instanceof UserError) fail(e.message);
    throw e;
  }
}

main();
