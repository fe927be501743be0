/**
 * A dataplane over an image: the JS kernel, and the native kernel for large batches when the
 * addon is loaded. Knows nothing of the cluster the image came from (see CompiledDataplane
 * for explain); live generations (update/) are ImageDataplanes over their own buffers.
 */
import { COMPILE_OPTIONS, type CompileOptions } from '../compile/compile.js';
import { HEADER, IMAGE_FLAGS } from '../compile/layout.js';
import { unmapIPv4 } from '../ip/address.js';
import type { Flow, Verdict } from '../model/flow.js';
import { hasPorts } from '../model/protocol.js';
import { Kernel, type FlowBatch } from '../kernels/js-kernel.js';
import { decodeVerdict } from '../compile/verdict.js';
import { nativeBinding, nativeStatus } from '../native/loader.js';
import { checkOptions, type OptionSpec } from '../model/check-options.js';
import { assertOneFamily } from '../model/mixed-families.js';

/** The kernel's port argument: the destination port for TCP/UDP/SCTP, the ICMP type otherwise. */
export const portArgument = (flow: Pick<Flow, 'protocol' | 'port' | 'icmpType'>): number =>
  hasPorts(flow.protocol) ? (flow.port ?? -1) : (flow.icmpType ?? -1);

/**
 * Below this many flows a batch stays in JS: one N-API call costs more than a few verdicts
 * (measured: see the README's benchmark section).
 */
export const NATIVE_MIN_BATCH = 64;

export interface DataplaneOptions extends CompileOptions {
  /**
   * 'auto' (default): the native kernel for batches of NATIVE_MIN_BATCH flows or more when
   * it is loaded; 'off': always JS; 'require': native for every batch, and the constructor
   * throws (with nativeStatus().reason) when the addon is unavailable. In every mode an
   * image that either kernel's validation refuses makes the constructor throw.
   */
  readonly native?: 'auto' | 'off' | 'require';
}

const NATIVE_MODES = ['auto', 'off', 'require'];
/** DataplaneOptions' keys and types, checked by CompiledDataplane (model/check-options.ts). */
export const DATAPLANE_OPTIONS: OptionSpec<DataplaneOptions> = { ...COMPILE_OPTIONS, native: NATIVE_MODES };
/** ImageDataplane's own options: the image is compiled already. */
export type ImageOptions = Pick<DataplaneOptions, 'native'> & { readonly mutable?: boolean };
const IMAGE_OPTIONS: OptionSpec<ImageOptions> = { native: NATIVE_MODES, mutable: 'boolean' };

/**
 * Verdicts from a compiled image (compile(), CompiledDataplane.image, or one received from
 * elsewhere) on the JS kernel, with batches on the native kernel when it is loaded. The image is
 * validated before the first verdict: a corrupt one throws ImageError. No explain: that needs the
 * compile-time provenance (CompiledDataplane).
 */
export class ImageDataplane {
  readonly image: ArrayBuffer | SharedArrayBuffer;
  /** The native kernel serves this dataplane's batches (large ones, unless 'require'). */
  readonly nativeActive: boolean;
  protected readonly words = new Uint32Array(8);
  private readonly mutable: boolean;
  private jsKernel: Kernel | undefined;

  /**
   * The JS kernel over the image: single verdicts, small batches, explain. Built, and the image
   * validated by it, in the constructor without the addon, else on first use (a JS validation
   * that refuses what the addon accepted then throws ImageError here: fail closed either way).
   */
  get kernel(): Kernel {
    return this.jsKernel ?? this.buildKernel();
  }

  private buildKernel(): Kernel {
    this.jsKernel = new Kernel(this.image, { mutable: this.mutable }); // validates the image: a corrupt one throws ImageError
    return this.jsKernel;
  }
  protected readonly nativeHandle: object | undefined;
  private readonly nativeMin: number;

  /**
   * `mutable`: the image will be changed in place after this (a live generation's copy): the
   * native kernel then reads these bytes with a bounds check on every index instead of
   * taking a private copy (the default, about 15% faster at 10k pods).
   */
  constructor(image: ArrayBuffer | SharedArrayBuffer, options: ImageOptions = {}) {
    checkOptions('ImageDataplane options', options, IMAGE_OPTIONS);
    this.image = image;
    this.mutable = options.mutable === true;
    const mode = options.native ?? 'auto';
    const binding = mode === 'off' ? undefined : nativeBinding();
    if (mode === 'require' && !binding) throw new Error(`the native kernel was required but ${nativeStatus().reason}`);
    // Both validators check the same invariants (IMAGE.md, "Invariants"). With the addon, its
    // validation (about 5× faster than the JS one) decides whether the image is served at all,
    // and the JS kernel, with its own validation, is built on first use: a node agent or worker
    // that only runs native batches starts without paying for it. Should the addon refuse
    // (an addon built for another image version, or the two validators disagreeing), nothing
    // serves the image: the JS kernel must not answer for bytes one kernel calls corrupt.
    let handle: object | undefined;
    try {
      handle = binding?.loadImage(new Uint8Array(image), options.mutable !== true);
    } catch (e) {
      this.buildKernel(); // a corrupt image: the JS validator's ImageError names the broken invariant, as without the addon
      throw new RangeError(`the native kernel refused the image: ${(e as Error).message}`, { cause: e });
    }
    if (!handle) this.buildKernel(); // no addon: validate now, so that a corrupt image throws ImageError here
    this.nativeHandle = handle;
    this.nativeActive = this.nativeHandle !== undefined;
    this.nativeMin = mode === 'require' ? 0 : NATIVE_MIN_BATCH;
  }

  /** The kernel's entries for both ends (explain reads their provenance); throws RangeError for mixed families, like the reference. */
  entries(flow: Flow): [number, number] {
    const k = this.kernel;
    let { src, dst } = flow;
    // The IPv4-mapped option is applied here too so that the family check sees it.
    if (k.views.header[HEADER.flags]! & IMAGE_FLAGS.ipv4MappedAsIPv4) {
      src = unmapIPv4(src);
      dst = unmapIPv4(dst);
    }
    assertOneFamily(src, dst);
    if (src.family === 4) return [k.entry4(Number(src.value)), k.entry4(Number(dst.value))];
    this.toWords(src.value, 0);
    this.toWords(dst.value, 4);
    return [k.entry6(this.words, 0), k.entry6(this.words, 4)];
  }

  protected toWords(v: bigint, at: number): void {
    for (let i = 0; i < 4; i++) this.words[at + i] = Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn);
  }

  /**
   * The image's name class of `flow.dstName` (FlowBatch.nameClass). A bare image carries no
   * names: every flow is class 0, "no name", which no domainNames peer matches (they only
   * accept, so this can only deny more). CompiledDataplane and live generations map names
   * through their provenance.
   */
  nameClassOf(_flow: Flow): number {
    return 0;
  }

  /** The verdict byte (see layout.ts): no allocation. */
  verdictCode(flow: Flow): number {
    const [s, d] = this.entries(flow);
    return this.kernel.decide(s, d, flow.protocol, portArgument(flow), flow.established === true, this.nameClassOf(flow));
  }

  /** The flow's verdict (shared frozen objects: no allocation). Throws MixedFamiliesError for ends of different families. */
  verdict(flow: Flow): Verdict {
    return decodeVerdict(this.verdictCode(flow));
  }

  /** Verdict bytes for a batch of flows in typed arrays: native for large batches when loaded. */
  verdictBatch(batch: FlowBatch, out: Uint8Array): void {
    if (this.nativeHandle && batch.count >= this.nativeMin) this.verdictBatchNative(batch, out);
    else this.kernel.verdictBatch(batch, out);
  }

  private readonly one = {
    count: 1,
    src: new Uint32Array(4),
    dst: new Uint32Array(4),
    family: new Uint8Array(1),
    protocol: new Uint8Array(1),
    port: new Uint16Array(1),
    flags: new Uint8Array(1),
    nameClass: new Uint16Array(1),
  };
  private readonly oneOut = new Uint8Array(1);

  /**
   * One flow through the native kernel (a batch of one: slow, one N-API call per flow).
   * For checking the native kernel flow by flow (`netpol fuzz --engine native`).
   */
  verdictNative(flow: Flow): Verdict {
    let { src, dst } = flow;
    if (this.kernel.views.header[HEADER.flags]! & IMAGE_FLAGS.ipv4MappedAsIPv4) {
      src = unmapIPv4(src);
      dst = unmapIPv4(dst);
    }
    assertOneFamily(src, dst);
    const b = this.one;
    b.family[0] = src.family;
    if (src.family === 4) {
      b.src[0] = Number(src.value);
      b.dst[0] = Number(dst.value);
    } else {
      this.toWords(src.value, 0);
      b.src.set(this.words.subarray(0, 4));
      this.toWords(dst.value, 0);
      b.dst.set(this.words.subarray(0, 4));
    }
    b.protocol[0] = flow.protocol;
    const port = portArgument(flow);
    // The batch port field cannot say "no port": such L4 flows are answered in JS.
    if (port < 0 && hasPorts(flow.protocol)) return this.verdict(flow);
    b.port[0] = port < 0 ? 0 : port;
    b.flags[0] = flow.established ? 1 : 0;
    b.nameClass[0] = this.nameClassOf(flow);
    this.verdictBatchNative(b, this.oneOut);
    return decodeVerdict(this.oneOut[0]!);
  }

  /** The JS kernel, whatever the batch size. */
  verdictBatchJS(batch: FlowBatch, out: Uint8Array): void {
    this.kernel.verdictBatch(batch, out);
  }

  /** The native kernel, whatever the batch size; throws when it is not loaded. */
  verdictBatchNative(batch: FlowBatch, out: Uint8Array): void {
    const binding = nativeBinding();
    if (!this.nativeHandle || !binding) throw new Error(`the native kernel is not active: ${nativeStatus().reason}`);
    binding.verdictBatch(
      this.nativeHandle,
      batch.src,
      batch.dst,
      batch.protocol,
      batch.port,
      out,
      batch.count,
      batch.family ?? null,
      batch.flags ?? null,
      batch.nameClass ?? null,
    );
  }
}
