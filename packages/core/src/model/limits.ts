/**
 * The image's table limits (compile/IMAGE.md), as numbers both the loader and the compilers
 * check against, and the error a compiler throws when a cluster outgrows one anyway. The
 * loader checks what it can count from the objects alone (port classes) before anything is
 * built, so that a valid object too big for the image is a load error naming it, not a
 * failure in the middle of compiling.
 */

/** The limits, each the largest count the image's field widths can hold. */
export const LIMITS = {
  /** Port classes, class 0 included: `portMap` holds u16 class numbers. */
  portClasses: 0xffff,
  /** Distinct port sets, set 0 included: matrix cells hold u16 set ids. */
  portSets: 0x10000,
  /** Distinct tier decisions: tier matrix cells hold u16 decision ids. */
  tierDecisions: 0x10000,
  /** Destination-name classes: FlowBatch.nameClass holds u16 class numbers. */
  nameClasses: 0x10000,
  /** Columns of one namespace's matrix group: a group map holds u16 local columns. */
  groupColumns: 0x10000,
  /** Namespaces with isolated pods, per direction (matrix groups): an entry holds u16 group numbers. */
  matrixGroups: 0x10000,
  /** Peer classes of a matrix (its global columns): an entry holds u16 columns. */
  peerColumns: 0x10000,
  /** Tier matrix rows and column classes, per direction: an entry holds u16 tier fields. */
  tierClasses: 0x10000,
  /** Node numbers (1 up; 0 is "no node"): an entry holds u16 node numbers. */
  nodes: 0xffff,
  /** Address entries: a trie slot holds an entry id in 31 bits. */
  entries: 0x7fffffff,
  /** Bytes of one image: the header's `byteLength` and section offsets are u32. */
  imageBytes: 0xffffffff,
} as const;

/** The name of one of the image's LIMITS (CapacityError.limit). */
export type LimitName = keyof typeof LIMITS;

/** What each limit counts, for messages. */
export const LIMIT_NOUN: Readonly<Record<LimitName, string>> = {
  portClasses: 'port classes',
  portSets: 'distinct port sets',
  tierDecisions: 'distinct tier decisions',
  nameClasses: 'destination-name classes',
  groupColumns: 'matrix columns in one namespace',
  matrixGroups: 'namespaces with isolated pods in one direction',
  peerColumns: 'peer classes in one direction',
  tierClasses: 'tier rows or column classes in one direction',
  nodes: 'nodes',
  entries: 'address entries',
  imageBytes: 'image bytes',
};

/**
 * A cluster needs more of a table than the image format can hold. Thrown by the compilers;
 * the CLI and LiveDataplane report it as a `capacity-exceeded` error, never a verdict.
 */
export class CapacityError extends RangeError {
  readonly code = 'capacity-exceeded';
  constructor(
    readonly table: LimitName,
    readonly needed?: number,
  ) {
    super(`the image holds at most ${LIMITS[table]} ${LIMIT_NOUN[table]}${needed === undefined ? '' : `, this cluster needs ${needed}`}`);
    this.name = 'CapacityError';
  }
}
