/**
 * A pool-owned SharedArrayBuffer that one batch at a time is copied into (once) and whose
 * output area the workers write. Layout is per batch (IPv4-only batches take a quarter of
 * the address space of four-word ones); the buffer only grows, to the next power of two.
 */
import type { FlowBatch } from '../kernels/js-kernel.js';
import type { ArenaLayout } from './protocol.js';

const MIN_BYTES = 1 << 16;

export class Arena {
  private buffer = new SharedArrayBuffer(MIN_BYTES);
  /** Workers holding the current buffer (a grown buffer has to be sent again). */
  private readonly sent = new Set<number>();

  constructor(readonly id: number) {}

  /** Copies the first `batch.count` flows in, growing first if needed. */
  load(batch: FlowBatch): ArenaLayout {
    const n = batch.count;
    const words = batch.family ? 4 : 1;
    // u32 arrays first, then u16, then bytes: every offset is aligned for its element size.
    let at = 0;
    const take = (bytes: number): number => ((at += bytes), at - bytes);
    const layout: ArenaLayout = {
      claim: take(8),
      words,
      src: take(n * words * 4),
      dst: take(n * words * 4),
      port: take(n * 2),
      ...(batch.nameClass && { nameClass: take(n * 2) }),
      protocol: take(n),
      out: take(n),
      ...(batch.family && { family: take(n) }),
      ...(batch.flags && { flags: take(n) }),
    };
    if (at > this.buffer.byteLength) {
      this.buffer = new SharedArrayBuffer(2 ** Math.ceil(Math.log2(at)));
      this.sent.clear();
    }
    const b = this.buffer;
    // No worker touches the arena between batches (the pool waits for every reply first).
    Atomics.store(new Int32Array(b, layout.claim, 1), 0, 0);
    const nw = n * words;
    new Uint32Array(b, layout.src, nw).set(batch.src.length === nw ? batch.src : batch.src.subarray(0, nw));
    new Uint32Array(b, layout.dst, nw).set(batch.dst.length === nw ? batch.dst : batch.dst.subarray(0, nw));
    new Uint16Array(b, layout.port, n).set(batch.port.subarray(0, n));
    new Uint8Array(b, layout.protocol, n).set(batch.protocol.subarray(0, n));
    if (batch.family) new Uint8Array(b, layout.family!, n).set(batch.family.subarray(0, n));
    if (batch.flags) new Uint8Array(b, layout.flags!, n).set(batch.flags.subarray(0, n));
    if (batch.nameClass) new Uint16Array(b, layout.nameClass!, n).set(batch.nameClass.subarray(0, n));
    return layout;
  }

  /**
   * For a batch whose arrays, and `out`, all view one SharedArrayBuffer (see
   * VerdictPool.sharedBatch): only the claim counter is set here; workers read and write the
   * caller's buffer in place. Undefined when the batch is not laid out that way.
   */
  direct(batch: FlowBatch, out: Uint8Array): { flows: SharedArrayBuffer; layout: ArenaLayout } | undefined {
    const flows = out.buffer;
    if (!(flows instanceof SharedArrayBuffer)) return undefined;
    const arrays = [batch.src, batch.dst, batch.port, batch.protocol, batch.family, batch.flags, batch.nameClass];
    if (arrays.some((a) => a !== undefined && a.buffer !== flows)) return undefined;
    Atomics.store(new Int32Array(this.buffer, 0, 1), 0, 0);
    const layout: ArenaLayout = {
      claim: 0,
      words: batch.family ? 4 : 1,
      src: batch.src.byteOffset,
      dst: batch.dst.byteOffset,
      port: batch.port.byteOffset,
      protocol: batch.protocol.byteOffset,
      out: out.byteOffset,
      ...(batch.family && { family: batch.family.byteOffset }),
      ...(batch.flags && { flags: batch.flags.byteOffset }),
      ...(batch.nameClass && { nameClass: batch.nameClass.byteOffset }),
    };
    return { flows, layout };
  }

  /** The buffer if worker `i` does not hold it yet (it is then counted as holding it). */
  bufferFor(i: number): SharedArrayBuffer | undefined {
    if (this.sent.has(i)) return undefined;
    this.sent.add(i);
    return this.buffer;
  }

  /** The verdict bytes the workers wrote, into out[0..n). */
  copyOut(layout: ArenaLayout, n: number, out: Uint8Array): void {
    out.set(new Uint8Array(this.buffer, layout.out, n));
  }
}
