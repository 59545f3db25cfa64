#!/usr/bin/env node
// Builds the guest images in guest/build/ from the C and assembly in guest/.
//
// Every folder guest/NAME/ other than lib/ and build/ is one program: all of its *.c and *.S
// files, linked with a runtime flavour from guest/lib/:
//   htif   bare metal at 0x80000000, console and exit through HTIF  -> guest/build/NAME.elf
//   linux  static Linux user-mode ELF at 0x10000, raw ecalls         -> guest/build/NAME.linux.elf
//   bare   no runtime of ours: the program brings its own entry, console and exit and names
//          its linker script ("ldscript"); printf, string and test are still linked
//                                                                    -> guest/build/NAME.elf
//   picolibc  picolibc's C library (Debian package picolibc-riscv64-unknown-elf) and its
//          semihosting start file and system layer instead of our runtime, at 0x80000000:
//          console, files, clock, command line and exit are semihosting calls
//                                                                    -> guest/build/NAME.elf
// An optional guest/NAME/build.json says more:
//   { "flavours": ["htif", "linux"],   default ["htif"]
//     "uses": ["priv"],                 extra runtime folders guest/lib/<x>/ (htif and bare)
//     "ldscript": "link.ld",            linker script in the program's folder (replaces the
//                                       flavour's; required for bare)
//     "after": ["other-program"],       programs whose images this one .incbin's
//     "isa": "rv64gc",                  default "rv64imac" (see ISAS): rv64gc compiles the
//                                       program and its runtime for hardware floating point
//     "cflags": ["-DFOO=1"] }
//
// The images are committed and CI rebuilds them and compares, so the output must depend on
// nothing but the sources and the compiler: relative paths, sorted inputs, no debug info,
// no build id, no .comment. `--check` builds into a temporary folder and fails if any image
// differs from the committed one. Names on the command line limit the build to those programs.
//
// Needs clang (with the RISC-V target) and ld.lld; $CLANG and $LD_LLD override the names. The
// picolibc flavour also needs picolibc-riscv64-unknown-elf, and links with GNU ld from the
// binutils-riscv64-unknown-elf it depends on ($RISCV_LD, $RISCV_GCC): picolibc's objects are
// built for linker relaxation and carry R_RISCV_ALIGN relocations, which ld.lld 14 refuses.
// libgcc (the __riscv_save_N/__riscv_restore_N prologue helpers picolibc calls) comes from the
// same cross gcc, found by -print-libgcc-file-name.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);

const CLANG = process.env.CLANG || 'clang';
const LD = process.env.LD_LLD || 'ld.lld';
const RISCV_LD = process.env.RISCV_LD || 'riscv64-unknown-elf-ld';
const RISCV_GCC = process.env.RISCV_GCC || 'riscv64-unknown-elf-gcc';
const PICOLIBC = '/usr/lib/picolibc/riscv64-unknown-elf';
const GUEST = 'guest';
const LIB = 'guest/lib';
const BUILD = 'guest/build';

// The instruction set and ABI a program is built for (build.json "isa"). ld.lld refuses to link
// lp64 objects with lp64d ones, so the runtime is compiled again, with the program's flags, for
// every image. rv64gc programs get -fno-math-errno so that __builtin_sqrt is one fsqrt.d (there
// is no libm to call), and -msmall-data-limit=0 because clang 14 puts floating-point constant
// pools in the writable .sdata, which link.ld places on the page of the HTIF mailbox, where
// every load takes the hart's slow path. The htif crt0 turns the FPU on (mstatus.FS) when
// __riscv_flen says the image uses it; a bare program must do that in its own entry.
const ISAS = {
  rv64imac: ['-march=rv64imac', '-mabi=lp64'],
  rv64gc: ['-march=rv64gc', '-mabi=lp64d', '-fno-math-errno', '-msmall-data-limit=0'],
};
// picolibc's library folder (its multilib) and gcc's -march/-mabi for each isa.
const PICOLIBC_MULTILIB = {
  rv64imac: { dir: 'rv64imac/lp64', gcc: ['-march=rv64imac', '-mabi=lp64'] },
  rv64gc: { dir: 'rv64imafdc/lp64d', gcc: ['-march=rv64imafdc', '-mabi=lp64d'] },
};

const COMMON_CFLAGS = [
  '--target=riscv64-unknown-elf',
  '-mcmodel=medany',
  '-mno-relax',
  '-ffreestanding',
  '-fno-builtin',
  '-nostdlib',
  '-O2',
  '-fno-pic',
  '-fno-asynchronous-unwind-tables',
  '-fno-unwind-tables',
  '-fno-ident',
  '-ffunction-sections',
  '-fdata-sections',
  `-ffile-prefix-map=${ROOT}/=`,
  '-Wall',
  '-Wno-unused-function',
  `-I${LIB}`,
];

const FLAVOURS = {
  htif: {
    suffix: '.elf',
    define: '-DFLAVOUR_HTIF=1',
    runtime: [`${LIB}/crt0.S`, `${LIB}/htif.c`],
    ldscript: `${LIB}/link.ld`,
  },
  bare: {
    suffix: '.elf',
    define: '-DFLAVOUR_BARE=1',
    runtime: [],
    ldscript: null,
  },
  linux: {
    suffix: '.linux.elf',
    define: '-DFLAVOUR_LINUX=1',
    runtime: [`${LIB}/linux/crt0.S`, `${LIB}/linux/sys.c`],
    ldscript: `${LIB}/linux/link.ld`,
  },
  picolibc: {
    suffix: '.elf',
    define: '-DFLAVOUR_PICOLIBC=1',
    runtime: [],
    ldscript: `${LIB}/picolibc/link.ld`,
  },
};
const SHARED_RUNTIME = [`${LIB}/printf.c`, `${LIB}/string.c`, `${LIB}/test.c`];

function die(msg) {
  console.error(`build-guests: ${msg}`);
  process.exit(1);
}

const TOOL_VARS = { [CLANG]: 'CLANG', [LD]: 'LD_LLD', [RISCV_LD]: 'RISCV_LD', [RISCV_GCC]: 'RISCV_GCC' };

function requireTool(cmd, what) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error && r.error.code === 'ENOENT')
    die(`${cmd} not found: ${what} is needed to build guest images (set ${TOOL_VARS[cmd]} to override)`);
  if (r.status !== 0) die(`${cmd} --version failed: ${r.stderr || r.error}`);
  return r.stdout.split('\n')[0];
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) die(`${cmd}: ${r.error.message}`);
  if (r.stderr) process.stderr.write(r.stderr);
  if (r.status !== 0) die(`failed: ${cmd} ${args.join(' ')}`);
}

function sourcesIn(dir) {
  if (!fs.existsSync(dir)) die(`missing folder ${dir}`);
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(c|S)$/.test(f))
    .sort()
    .map((f) => `${dir}/${f}`);
}

function readPrograms() {
  const names = fs
    .readdirSync(GUEST, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'lib' && d.name !== 'build')
    .map((d) => d.name)
    .sort();
  const progs = new Map();
  for (const name of names) {
    const cfgPath = `${GUEST}/${name}/build.json`;
    let cfg = {};
    if (fs.existsSync(cfgPath)) {
      try {
        cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
      } catch (e) {
        die(`${cfgPath}: ${e.message}`);
      }
    }
    const known = new Set(['flavours', 'uses', 'after', 'cflags', 'description', 'ldscript', 'isa']);
    for (const k of Object.keys(cfg)) if (!known.has(k)) die(`${cfgPath}: unknown key "${k}"`);
    const flavours = cfg.flavours ?? ['htif'];
    for (const f of flavours) if (!FLAVOURS[f]) die(`${cfgPath}: unknown flavour "${f}"`);
    const isa = cfg.isa ?? 'rv64imac';
    if (!Object.hasOwn(ISAS, isa)) die(`${cfgPath}: unknown isa "${isa}" (known: ${Object.keys(ISAS).join(', ')})`);
    progs.set(name, {
      name,
      flavours,
      uses: cfg.uses ?? [],
      after: cfg.after ?? [],
      cflags: cfg.cflags ?? [],
      isa,
      ldscript: cfg.ldscript ? `${GUEST}/${name}/${cfg.ldscript}` : null,
      sources: sourcesIn(`${GUEST}/${name}`),
    });
  }
  return progs;
}

// Programs in an order where every program comes after the ones it embeds.
function buildOrder(progs, wanted) {
  const order = [];
  const state = new Map();
  const visit = (name, from) => {
    const p = progs.get(name);
    if (!p) die(`unknown program "${name}"${from ? ` (needed by ${from})` : ''}`);
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'active') die(`build.json "after" cycle through ${name}`);
    state.set(name, 'active');
    for (const dep of p.after) visit(dep, name);
    state.set(name, 'done');
    order.push(p);
  };
  for (const name of wanted) visit(name);
  return order;
}

function buildImage(prog, flavourName, outDir, tmp) {
  if (flavourName === 'picolibc') return buildPicolibcImage(prog, outDir, tmp);
  const fl = FLAVOURS[flavourName];
  const sources = [...fl.runtime, ...SHARED_RUNTIME];
  const native = flavourName !== 'linux';
  if (native) for (const u of prog.uses) sources.push(...sourcesIn(`${LIB}/${u}`));
  sources.push(...prog.sources);
  const uses = native ? prog.uses.map((u) => `-I${LIB}/${u}`) : [];
  const ldscript = (native ? prog.ldscript : null) ?? fl.ldscript;
  if (!ldscript) die(`${GUEST}/${prog.name}/build.json: the ${flavourName} flavour needs an "ldscript"`);
  const cflags = [...COMMON_CFLAGS, ...ISAS[prog.isa], fl.define, ...uses, `-I${outDir}`, ...prog.cflags];
  const objs = compile(prog, flavourName, sources, cflags, tmp);
  const out = `${outDir}/${prog.name}${fl.suffix}`;
  run(LD, ['-T', ldscript, '--build-id=none', '--gc-sections', '--discard-locals', '-static', '-nostdlib', '-o', out, ...objs]);
  return out;
}

function compile(prog, flavourName, sources, cflags, tmp) {
  return sources.map((src, i) => {
    const obj = path.join(tmp, `${prog.name}.${flavourName}.${i}.${path.basename(src)}.o`);
    run(CLANG, [...cflags, '-c', src, '-o', obj]);
    return obj;
  });
}

// The program against picolibc: its headers instead of guest/lib's, crt0-semihost.o first, then
// the program, then picolibc's semihosting layer, C library and libgcc (one group: each needs
// the others). Debug information in picolibc's objects is dropped.
function buildPicolibcImage(prog, outDir, tmp) {
  const fl = FLAVOURS.picolibc;
  if (prog.uses.length > 0) die(`${GUEST}/${prog.name}/build.json: "uses" names our runtime's folders, which the picolibc flavour does not link`);
  const ml = PICOLIBC_MULTILIB[prog.isa];
  const lib = `${PICOLIBC}/lib/${ml.dir}`;
  const cflags = [
    ...COMMON_CFLAGS.filter((f) => !['-ffreestanding', '-fno-builtin', '-nostdlib', `-I${LIB}`].includes(f)),
    ...ISAS[prog.isa], fl.define, '-nostdinc', '-isystem', `${PICOLIBC}/include`, '-isystem', clangIncludes(),
    ...prog.cflags,
  ];
  const objs = compile(prog, 'picolibc', prog.sources, cflags, tmp);
  const libgcc = capture(RISCV_GCC, [...ml.gcc, '-print-libgcc-file-name']);
  const out = `${outDir}/${prog.name}${fl.suffix}`;
  run(RISCV_LD, [
    '-T', prog.ldscript ?? fl.ldscript, '--build-id=none', '--gc-sections', '--discard-locals', '--strip-debug',
    '--no-warn-rwx-segments', '-static', '-nostdlib', '-o', out,
    `${lib}/crt0-semihost.o`, ...objs, '--start-group', `${lib}/libsemihost.a`, `${lib}/libc.a`, libgcc, '--end-group',
  ]);
  return out;
}

/** clang's own headers (stdarg.h, stddef.h, ...), which -nostdinc leaves out. */
function clangIncludes() {
  return path.join(capture(CLANG, ['-print-resource-dir']), 'include');
}

function capture(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) die(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) die(`failed: ${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const names = args.filter((a) => !a.startsWith('--'));
  requireTool(CLANG, 'clang (version 14 or later, with the RISC-V target)');
  requireTool(LD, 'ld.lld (LLVM linker)');

  const progs = readPrograms();
  const order = buildOrder(progs, names.length ? names : [...progs.keys()]);
  if (order.some((p) => p.flavours.includes('picolibc'))) {
    if (!fs.existsSync(`${PICOLIBC}/lib`)) die(`${PICOLIBC} not found: the picolibc flavour needs the Debian package picolibc-riscv64-unknown-elf`);
    requireTool(RISCV_LD, 'GNU ld for RISC-V (binutils-riscv64-unknown-elf, a dependency of picolibc-riscv64-unknown-elf)');
    requireTool(RISCV_GCC, 'gcc-riscv64-unknown-elf (for libgcc; a dependency of picolibc-riscv64-unknown-elf)');
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'build-guests-'));
  const outDir = check ? path.relative(ROOT, fs.mkdtempSync(path.join(os.tmpdir(), 'guests-check-'))) : BUILD;
  fs.mkdirSync(outDir, { recursive: true });
  let mismatches = 0;
  try {
    for (const prog of order) {
      for (const flavour of prog.flavours) {
        const out = buildImage(prog, flavour, outDir, tmp);
        const size = fs.statSync(out).size;
        const hash = sha256(out);
        let note = '';
        if (check) {
          const committed = `${BUILD}/${path.basename(out)}`;
          const same = fs.existsSync(committed) && sha256(committed) === hash;
          note = same ? '  same as committed' : '  DIFFERS from committed';
          if (!same) mismatches++;
        }
        console.log(`${BUILD}/${path.basename(out)}  ${size} bytes  sha256:${hash.slice(0, 16)}${note}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (check) fs.rmSync(outDir, { recursive: true, force: true });
  }
  if (mismatches) die(`${mismatches} image(s) differ from guest/build; run npm run guests and commit`);
}

main();
