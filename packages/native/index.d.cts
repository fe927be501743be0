// The addon's surface. Use it through @netpol/core (CompiledDataplane, ImageDataplane,
// VerdictPool pick it up by themselves; nativeStatus() says whether it is active and why not).

/** The native kernel over a compiled netpol image. */
declare const binding: {
  /** The addon's interface version. */
  readonly version: string;
  /** The file the addon was loaded from (build/Release/ or prebuilds/). */
  readonly path: string;
  /** Validates an image and returns a handle; `copy` keeps a private copy. Throws on an invalid image. */
  loadImage(image: Uint8Array, copy?: boolean): object;
  /** Frees a handle's private copy now; the handle then refuses verdicts. */
  releaseImage(handle: object): void;
  /** Writes one verdict byte per flow into `out`. Throws TypeError/RangeError on wrong arguments. */
  verdictBatch(handle: object, ...args: unknown[]): void;
};
export = binding;
