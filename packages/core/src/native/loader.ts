/**
 * The optional native kernel (@netpol/native), loaded once, inside try/catch: everything
 * works without it. NETPOL_NATIVE=0 turns it off. nativeStatus() says whether it is active
 * and, if not, why and what to do.
 */
import { createRequire } from 'node:module';
import { describeLoadFailure } from './inactive.js';

/** What @netpol/native exports (see packages/native/index.cjs). */
export interface NativeBinding {
  readonly version: string;
  /** The file the addon was loaded from (its build/Release/ or its prebuilds/). */
  readonly path: string;
  /**
   * Checks the image (magic, version, every offset, length and index) and keeps a
   * reference. Takes a Uint8Array view, which works for ArrayBuffer and SharedArrayBuffer.
   */
  /**
   * Validates an image. `copy`: keep a private copy (the kernel then reads without per-read
   * checks); otherwise keep a reference to these bytes, which may change later (a live
   * image patched in place), and check every index at use.
   */
  loadImage(image: Uint8Array, copy?: boolean): object;
  /**
   * Frees a handle's private copy now instead of when its finalizer runs (Node runs N-API
   * finalizers only once the event loop turns); the handle then refuses verdicts.
   */
  releaseImage(handle: object): void;
  /**
   * Verdict bytes for `count` flows. Without `family`, one u32 per address (IPv4); with it,
   * four words per address. `nameClass`: the destination name's class per flow (absent: 0;
   * a class the image does not have makes that flow 0x80). Throws TypeError/RangeError on
   * wrong types or short arrays.
   */
  verdictBatch(
    handle: object,
    src: Uint32Array,
    dst: Uint32Array,
    protocol: Uint8Array,
    port: Uint16Array,
    out: Uint8Array,
    count: number,
    family?: Uint8Array | null,
    flags?: Uint8Array | null,
    nameClass?: Uint16Array | null,
  ): void;
}

/** Whether the native kernel (`@netpol/native`) is in use, and why (not). */
export interface NativeStatus {
  readonly active: boolean;
  /** Why not, with what to do about it; or where it was loaded from. */
  readonly reason: string;
  readonly version?: string;
}

let binding: NativeBinding | undefined;
let status: NativeStatus | undefined;

function load(): void {
  if (status) return;
  const env = process.env['NETPOL_NATIVE'];
  if (env === '0' || env === 'false' || env === 'off') {
    status = { active: false, reason: `disabled by NETPOL_NATIVE=${env} (unset it to use @netpol/native)` };
    return;
  }
  const require = createRequire(import.meta.url);
  try {
    binding = require('@netpol/native') as NativeBinding;
    status = { active: true, reason: `loaded @netpol/native from ${binding.path}`, version: binding.version };
  } catch (e) {
    status = { active: false, reason: describeLoadFailure(e, require) };
  }
}

/**
 * Whether the native kernel is loaded: `active`, and in `reason` where it was loaded from or
 * exactly why not (disabled by `NETPOL_NATIVE=0`, not installed, no binary for this platform, a
 * load error) with the command that fixes it. Loads the addon on the first call; never throws.
 * Without it every engine answers the same on the JS kernel.
 *
 * @example
 * const { active, reason } = nativeStatus();
 * if (!active) console.warn(`netpol: native kernel off: ${reason}`);
 */
export function nativeStatus(): NativeStatus {
  load();
  return status!;
}

export function nativeBinding(): NativeBinding | undefined {
  load();
  return binding;
}
