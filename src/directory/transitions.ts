// Protocol controllers as transition tables, in the manner of gem5's SLICC: named states, named
// events, and one row per (state set, event set) with the action to run. Rows compile into a
// dense array indexed by state * events + event. An unlisted pair is a protocol bug and stops the
// simulation with the state and event names (SLICC's "Invalid transition"). Every row counts how
// often it ran, so tests can report the declared transitions that nothing reached.

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface Row<C> {
  from: readonly number[];
  on: readonly number[];
  do: (ctx: C) => void;
  /** One sentence: what happens. */
  doc: string;
}

export class TransitionTable<C> {
  private readonly actions: ((ctx: C) => void)[];
  private readonly rowOf: Int16Array;
  readonly counts: Float64Array;

  constructor(
    readonly name: string,
    readonly stateNames: readonly string[],
    readonly eventNames: readonly string[],
    readonly rows: readonly Row<C>[],
    /** Where the controller is (node, line, sender), for the error of an invalid transition. */
    private readonly where: (ctx: C) => string,
  ) {
    const n = stateNames.length * eventNames.length;
    this.actions = new Array(n).fill(null);
    this.rowOf = new Int16Array(n).fill(-1);
    this.counts = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      for (const s of r.from) {
        for (const e of r.on) {
          const k = s * eventNames.length + e;
          if (this.rowOf[k] >= 0) throw new ProtocolError(`${name}: (${stateNames[s]}, ${eventNames[e]}) is listed twice`);
          this.rowOf[k] = i;
          this.actions[k] = r.do;
        }
      }
    });
  }

  fire(state: number, event: number, ctx: C): void {
    const k = state * this.eventNames.length + event;
    const row = this.rowOf[k];
    if (row < 0) {
      throw new ProtocolError(`${this.name}: invalid transition: event ${this.eventNames[event]} in state ${this.stateNames[state]} (${this.where(ctx)})`);
    }
    this.counts[row]++;
    this.actions[k](ctx);
  }

  /** Rows that never ran, by their doc line. */
  unreached(): string[] {
    return this.rows.filter((_, i) => this.counts[i] === 0).map((r) => r.doc);
  }
}
