// The addon's surface (index.cjs). Use it through @netpol/core: CompiledDataplane,
// ImageDataplane and VerdictPool pick it up by themselves, and nativeStatus() says whether it
// is active and why not.

/** The addon's interface version. */
export declare const version: string;
/** The file the addon was loaded from (build/Release/ or prebuilds/). */
export declare const path: string;
/** Validates an image and returns a handle; `copy` keeps a private copy. Throws on an invalid image. */
export declare function loadImage(image: Uint8Array, copy?: boolean): object;
/** Frees a handle's private copy now; the handle then refuses verdicts. */
export declare function releaseImage(handle: object): void;
/** Writes one verdict byte per flow into `out` (see NativeBinding in @netpol/core). Throws TypeError/RangeError on wrong arguments. */
export declare function verdictBatch(handle: object, ...args: unknown[]): void;
