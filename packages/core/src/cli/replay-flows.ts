/**
 * `netpol replay`'s table of flows judged by policy, bounded: a capture of spoofed SYNs has
 * as many flows as packets (600k denied SYNs kept 1.35 GB of flow records), so the table
 * holds at most `capacity` flows. When it is full, the half with the fewest packets is folded
 * into counts (flows and packets, allowed and denied); the busiest flows stay listed. A
 * folded flow that comes back starts again at zero and is counted as a flow again.
 */

/** What the table needs of a flow record. */
export interface CountedFlow {
  readonly allowed: boolean;
  packets: number;
}

export interface FoldedCounts {
  flows: number;
  packets: number;
}

export class FlowTable<T extends CountedFlow> {
  private readonly map = new Map<string, T>();
  /** Flows folded out of the table so far (by verdict), with the packets they had. */
  readonly folded = { allowed: { flows: 0, packets: 0 } as FoldedCounts, denied: { flows: 0, packets: 0 } as FoldedCounts };

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError('the flow table holds at least 2 flows');
  }

  /** Flows in the table now (at most `capacity`). */
  get size(): number {
    return this.map.size;
  }

  get(key: string): T | undefined {
    return this.map.get(key);
  }

  /** Adds a flow not in the table (check with `get` first), folding half the table when full. */
  add(key: string, flow: T): void {
    if (this.map.size >= this.capacity) this.fold();
    this.map.set(key, flow);
  }

  private fold(): void {
    // Stable: among equal counts the earlier flows stay.
    const ranked = [...this.map].sort((a, b) => b[1].packets - a[1].packets);
    for (const [key, f] of ranked.slice(this.capacity >> 1)) {
      const c = this.folded[f.allowed ? 'allowed' : 'denied'];
      c.flows++;
      c.packets += f.packets;
      this.map.delete(key);
    }
  }

  /** The `n` denied flows with most packets (ties: first seen), and what the others add up to, folded ones included. */
  topDenied(n: number): { listed: T[]; rest: FoldedCounts } {
    const denied = [...this.map.values()].filter((f) => !f.allowed).sort((a, b) => b.packets - a.packets);
    const rest = { ...this.folded.denied };
    for (const f of denied.slice(n)) {
      rest.flows++;
      rest.packets += f.packets;
    }
    return { listed: denied.slice(0, n), rest };
  }
}
