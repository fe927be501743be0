/**
 * How addresses and policy ports are written in explanations. Shared by every engine's explain
 * and the CLI, so it lives in the model layer (the compiled engine must not import its oracle).
 */
import { formatIP, type IPAddress } from '../ip/address.js';
import type { Pod, PolicyPort } from './types.js';

/** `namespace/name (address)` for a pod, the bare address otherwise. */
export function describeAddress(ip: IPAddress, pod: Pod | undefined): string {
  return pod ? `${pod.namespace}/${pod.name} (${formatIP(ip)})` : formatIP(ip);
}

/** A policy port as written in a rule: `TCP 80`, `TCP 8000-8080`, `UDP any`, `TCP http`. */
export function describePort(p: PolicyPort): string {
  if (p.port === undefined) return `${p.protocol} any`;
  if (p.endPort !== undefined) return `${p.protocol} ${p.port}-${p.endPort}`;
  return `${p.protocol} ${p.port}`;
}
