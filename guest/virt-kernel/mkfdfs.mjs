#!/usr/bin/env node
// Makes an FDFS disk image, the format virt-kernel reads (fs.c):
//
//   sector 0     superblock: "FDFS0001", u32 nfiles, u32 dir_start (1), u32 dir_sectors
//   1..          64-byte directory entries: name (48 bytes, NUL-padded), u32 first sector,
//                u32 0, u64 size in bytes
//   then         each file in whole consecutive sectors
//
//   node guest/virt-kernel/mkfdfs.mjs OUT.img [NAME=]FILE...
//
// virt-kernel runs `virt-user` from the disk as init, which shows `motd.txt`:
//   node guest/virt-kernel/mkfdfs.mjs root.img virt-user=guest/build/virt-user.linux.elf motd.txt=README.md
// (not part of the guest build: the build script compiles only *.c and *.S)

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const SECTOR = 512;
const NAME_BYTES = 48;

/** The image for [name, bytes] pairs, in that order. */
export function fdfsImage(files) {
  const enc = new TextEncoder();
  const dirSectors = Math.max(1, Math.ceil((files.length * 64) / SECTOR));
  let next = 1 + dirSectors;
  const placed = files.map(([name, data]) => {
    const n = enc.encode(name);
    if (n.length === 0 || n.length >= NAME_BYTES) throw new Error(`file name '${name}' must be 1 to ${NAME_BYTES - 1} bytes`);
    const sector = next;
    next += Math.max(1, Math.ceil(data.length / SECTOR));
    return { n, data, sector };
  });
  const img = new Uint8Array(next * SECTOR);
  const dv = new DataView(img.buffer);
  img.set(enc.encode('FDFS0001'), 0);
  dv.setUint32(8, files.length, true);
  dv.setUint32(12, 1, true);
  dv.setUint32(16, dirSectors, true);
  placed.forEach((f, i) => {
    const o = SECTOR + 64 * i;
    img.set(f.n, o);
    dv.setUint32(o + 48, f.sector, true);
    dv.setBigUint64(o + 56, BigInt(f.data.length), true);
    img.set(f.data, f.sector * SECTOR);
  });
  return img;
}

function main(args) {
  if (args.length < 2) {
    console.error('usage: mkfdfs.mjs OUT.img [NAME=]FILE...');
    process.exit(2);
  }
  const [out, ...specs] = args;
  const files = specs.map((spec) => {
    const eq = spec.indexOf('=');
    const [name, path] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [basename(spec), spec];
    return [name, readFileSync(path)];
  });
  writeFileSync(out, fdfsImage(files));
  console.log(`${out}: ${files.length} files, ${files.map(([n, d]) => `${n} (${d.length} bytes)`).join(', ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
