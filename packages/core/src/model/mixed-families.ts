/**
 * The one flow no engine can judge: its two ends are of different address families (after
 * IPv4-mapped unmapping, when that option is on). A type of its own, so that callers that
 * expect it (a packet filter naming the policies of a denial) catch it and nothing else.
 */
import { formatIP, type IPAddress } from '../ip/address.js';

/** Thrown by verdict and explain for a flow whose ends are of different families. */
export class MixedFamiliesError extends RangeError {
  constructor(
    readonly src: IPAddress,
    readonly dst: IPAddress,
  ) {
    super(`flow mixes address families: ${formatIP(src)} -> ${formatIP(dst)}`);
    this.name = 'MixedFamiliesError';
  }
}

/** Throws MixedFamiliesError unless `src` and `dst` are of one family. */
export function assertOneFamily(src: IPAddress, dst: IPAddress): void {
  if (src.family !== dst.family) throw new MixedFamiliesError(src, dst);
}
