/**
 * The messages between VerdictPool (calling thread) and its workers. Every request carries a
 * `seq` and gets exactly one Reply with it; flows never travel in messages, only offsets
 * into a shared arena. A run is answered once the batch has no unclaimed flow left.
 */

/** Where each array of a batch lives in an arena, in bytes from the arena's start. */
export interface ArenaLayout {
  /** An Int32 counter: the next unclaimed flow of the batch (workers Atomics.add a grain). */
  readonly claim: number;
  /** u32 words per address: 1 (IPv4 only) or 4 (the batch has `family`). */
  readonly words: 1 | 4;
  readonly src: number;
  readonly dst: number;
  readonly port: number;
  readonly protocol: number;
  readonly out: number;
  /** Absent when the batch has no such array (the kernel then takes its IPv4 fast path). */
  readonly family?: number;
  readonly flags?: number;
  /** u16 per flow: the destination name's class (FlowBatch.nameClass); absent: 0 for all. */
  readonly nameClass?: number;
}

export type Request =
  /** `mutable`: the image may change in place (native reads it with checks, no private copy). */
  | { readonly type: 'add'; readonly seq: number; readonly id: number; readonly image: SharedArrayBuffer; readonly mutable: boolean }
  | { readonly type: 'remove'; readonly seq: number; readonly id: number }
  | {
      readonly type: 'run';
      readonly seq: number;
      readonly image: number;
      readonly arena: number;
      /** Sent only when this worker has not seen this arena (or since it grew). */
      readonly buffer?: SharedArrayBuffer;
      /**
       * The caller's own shared buffer holding the flows and the output (zero copy): the
       * layout's array offsets are then into it; the claim counter stays in the arena.
       */
      readonly flows?: SharedArrayBuffer;
      readonly layout: ArenaLayout;
      /** Flows in the batch. */
      readonly count: number;
      /** Flows per claim: each worker takes contiguous grains until none is left. */
      readonly grain: number;
    };

export type Reply = { readonly seq: number; readonly ok: true } | { readonly seq: number; readonly ok: false; readonly message: string };

/** A worker's first message, once it can take requests: the reply to the implicit request 0. */
export const READY_SEQ = 0;
export interface Ready {
  readonly seq: typeof READY_SEQ;
  readonly ok: true;
  /** The native addon is loaded in this worker (images it refuses fall back to JS). */
  readonly native: boolean;
}

/** What the pool passes to each worker at start. */
export interface WorkerConfig {
  readonly native: 'auto' | 'off';
}
