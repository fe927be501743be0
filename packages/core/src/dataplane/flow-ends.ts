/**
 * The image entries of a connection's two ends (model/flow.ts `FlowEnd`): an address through
 * the image's own lookups (the IPv4-mapped option applied, as for a Flow), a pod without an
 * address through the entry compile() appended for it. What verdictBetween and
 * ImageConnections share; nothing here is on the per-flow hot path.
 */
import type { Provenance } from '../compile/compile.js';
import { HEADER, IMAGE_FLAGS } from '../compile/layout.js';
import { addressWords, formatIP, unmapIPv4, type IPAddress } from '../ip/address.js';
import type { Kernel } from '../kernels/js-kernel.js';
import { isTerminal } from '../model/cluster-index.js';
import type { FlowEnd } from '../model/flow.js';
import { assertOneFamily } from '../model/mixed-families.js';

/** What resolving an end without an address reads of compile()'s provenance. */
export type EndProvenance = Pick<Provenance, 'podEntries' | 'defaultEntry'>;

/** The address as the image reads it: IPv4-mapped IPv6 as IPv4 when the image's flag says so. */
export function imageAddress(kernel: Kernel, a: IPAddress): IPAddress {
  return kernel.views.header[HEADER.flags]! & IMAGE_FLAGS.ipv4MappedAsIPv4 ? unmapIPv4(a) : a;
}

/** The entry the image's tries (and IPv6 host table) give an address. */
export function addressEntry(kernel: Kernel, a: IPAddress): number {
  const ip = imageAddress(kernel, a);
  if (ip.family === 4) return kernel.entry4(Number(ip.value));
  return kernel.entry6(Uint32Array.from(addressWords(ip.value, 6)), 0);
}

/**
 * The entry of one end. An address: its entry. A pod without an address: the entry compile()
 * appended for it; a hostNetwork or finished pod takes no part (the entry of nothing). Throws
 * RangeError for any other pod (one with an IP, or one of another cluster): pass its address.
 */
export function endEntry(kernel: Kernel, prov: EndProvenance, end: FlowEnd): number {
  if (end.address) return addressEntry(kernel, end.address);
  const pod = end.pod;
  if (!pod) throw new TypeError('a connection end needs an address or a pod');
  if (pod.hostNetwork || isTerminal(pod)) return prov.defaultEntry;
  const e = prov.podEntries.get(pod);
  if (e === undefined)
    throw new RangeError(
      `${pod.namespace}/${pod.name} has no entry of its own in this image (only pods without an address do${pod.ips.length > 0 ? `: pass its address ${formatIP(pod.ips[0]!)}` : ''})`,
    );
  return e;
}

/** Both ends' entries; throws MixedFamiliesError for two addresses of different families, as for a Flow. */
export function endEntries(kernel: Kernel, prov: EndProvenance, src: FlowEnd, dst: FlowEnd): [number, number] {
  if (src.address && dst.address) assertOneFamily(imageAddress(kernel, src.address), imageAddress(kernel, dst.address));
  return [endEntry(kernel, prov, src), endEntry(kernel, prov, dst)];
}
