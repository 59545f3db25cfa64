// Declarative layouts of shared memory.
//
// Every byte that more than one worker can see is declared here, as a table of fields with a
// type and a count, at offsets computed once (v86's global_pointers.rs does the same by hand).
// A region is one SharedArrayBuffer; `views(buffer)` builds the named typed-array views that the
// rest of the code uses, so no other module computes a shared offset. Fields that a worker
// writes while others read (clocks, flags) are declared `ownLine` and get a 64-byte line of
// their own so that no two writers share a cache line of the host.

export type FieldType = 'i32' | 'u32' | 'f64' | 'u8' | 'u16' | 'i64';

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** Number of elements (default 1). */
  count?: number;
  /** Give every element its own 64-byte host cache line (for per-writer hot words). */
  ownLine?: boolean;
  /** One sentence: who writes it and who reads it. */
  doc: string;
}

export interface PlacedField {
  readonly name: string;
  readonly type: FieldType;
  readonly count: number;
  readonly offset: number;
  readonly bytes: number;
  /** Element stride in units of the element size (16 for ownLine i32, else 1). */
  readonly stride: number;
  readonly doc: string;
}

const SIZE: Record<FieldType, number> = { i32: 4, u32: 4, f64: 8, u8: 1, u16: 2, i64: 8 };
export const HOST_LINE = 64;

type ViewOf<T extends FieldType> = T extends 'i32' ? Int32Array : T extends 'u32' ? Uint32Array : T extends 'f64' ? Float64Array
  : T extends 'u8' ? Uint8Array : T extends 'u16' ? Uint16Array : BigInt64Array;

export class Layout<F extends readonly FieldSpec[]> {
  readonly fields: readonly PlacedField[];
  readonly byteLength: number;

  constructor(readonly name: string, specs: F) {
    let off = 0;
    const placed: PlacedField[] = [];
    for (const s of specs) {
      const size = SIZE[s.type];
      const count = s.count ?? 1;
      const align = s.ownLine ? HOST_LINE : Math.max(size, 8);
      off = Math.ceil(off / align) * align;
      const stride = s.ownLine ? HOST_LINE / size : 1;
      const bytes = s.ownLine ? count * HOST_LINE : count * size;
      placed.push({ name: s.name, type: s.type, count, offset: off, bytes, stride, doc: s.doc });
      off += bytes;
    }
    this.fields = placed;
    this.byteLength = Math.ceil(off / HOST_LINE) * HOST_LINE;
  }

  allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(this.byteLength);
  }

  /** Typed views of every field over `buffer`, by field name. */
  views(buffer: SharedArrayBuffer): { [K in F[number] as K['name']]: ViewOf<K['type']> } {
    if (buffer.byteLength < this.byteLength) {
      throw new Error(`${this.name}: buffer of ${buffer.byteLength} bytes is smaller than the layout's ${this.byteLength}`);
    }
    const v: Record<string, unknown> = {};
    for (const f of this.fields) {
      const n = f.stride * (f.count - 1) + 1;
      switch (f.type) {
        case 'i32': v[f.name] = new Int32Array(buffer, f.offset, n); break;
        case 'u32': v[f.name] = new Uint32Array(buffer, f.offset, n); break;
        case 'f64': v[f.name] = new Float64Array(buffer, f.offset, n); break;
        case 'u8': v[f.name] = new Uint8Array(buffer, f.offset, n); break;
        case 'u16': v[f.name] = new Uint16Array(buffer, f.offset, n); break;
        case 'i64': v[f.name] = new BigInt64Array(buffer, f.offset, n); break;
      }
    }
    return v as { [K in F[number] as K['name']]: ViewOf<K['type']> };
  }

  /** A human-readable table of the layout (for --layout reports and docs). */
  report(): string {
    const rows = this.fields.map((f) =>
      `  0x${f.offset.toString(16).padStart(8, '0')}  ${String(f.bytes).padStart(10)}  ${f.type}[${f.count}]${f.stride > 1 ? ' (own line each)' : ''}  ${f.name}: ${f.doc}`);
    return `${this.name} (${this.byteLength} bytes)\n${rows.join('\n')}`;
  }
}
