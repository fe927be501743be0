// The in-place IPv6 host table: after any sequence of inserts and removes, every present
// address is found (by the kernels' probe) with its entry and every absent one is not.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { HOST6_STRIDE, host6Hash } from '../../packages/core/src/compile/layout.js';
import { insertHost6, removeHost6 } from '../../packages/core/src/compile/live/hosts6.js';
import { runs } from '../helpers.js';

/** The kernels' probe (IMAGE.md, hosts6). */
function probe(t: Uint32Array, slots: number, w: readonly number[]): number | undefined {
  for (let i = host6Hash(w[0]!, w[1]!, w[2]!, w[3]!, slots - 1), n = 0; n < slots; i = (i + 1) & (slots - 1), n++) {
    const at = i * HOST6_STRIDE;
    if (t[at + 4] === 0) return undefined;
    if (t[at] === w[0] && t[at + 1] === w[1] && t[at + 2] === w[2] && t[at + 3] === w[3]) return t[at + 4]! - 1;
  }
  return undefined;
}

test('inserts and backward-shift removes keep every probe right', () => {
  // Few distinct addresses in a small table: long probe runs and wrap-around are common.
  const address = fc.integer({ min: 0, max: 11 }).map((k) => [0xfd000000, 0, k & 1, k]);
  const op = fc.tuple(fc.boolean(), address, fc.nat(1000));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const slots = 16;
      const store = {
        table: new Uint32Array(slots * HOST6_STRIDE),
        slots,
        touched: 0,
        touch() {
          this.touched++;
        },
      };
      const model = new Map<string, number>();
      for (const [add, w, entry] of ops) {
        if (add && !model.has(w.join()) && model.size >= slots / 2) continue; // the owner keeps it half full
        if (add) insertHost6(store, w, entry), model.set(w.join(), entry);
        else removeHost6(store, w), model.delete(w.join());
        for (let k = 0; k < 12; k++) {
          const a = [0xfd000000, 0, k & 1, k];
          expect(probe(store.table, slots, a)).toBe(model.get(a.join()));
        }
      }
    }),
    { numRuns: runs(500) },
  );
});
