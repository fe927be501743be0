/**
 * What makes two pods one identity: the same namespace, labels and named-port profile. Both
 * compilers group pods with these, so compile() and the live compiler agree on who is alike.
 *
 * Which named ports count: compile() knows every rule up front and passes the `name/protocol`
 * keys some rule uses (`used`), so a pod's unused names do not split its identity; the live
 * compiler passes none, since a rule added later may name any port.
 */
import type { ResolvedOptions } from '../model/options.js';
import type { ContainerPort, Pod, PolicyProtocol } from '../model/types.js';

/** Named ports of an identity: `name/protocol` → container port numbers. */
export type NamedPorts = ReadonlyMap<string, readonly number[]>;

export const namedKey = (name: string, protocol: PolicyProtocol): string => `${name}/${protocol}`;

/** A named port that can resolve: init containers' only when the options say so (Calico). */
function counts(cp: ContainerPort, options: ResolvedOptions, used: ReadonlySet<string> | undefined): cp is ContainerPort & { name: string } {
  return !!cp.name && (!cp.init || options.initContainerPorts) && (!used || used.has(namedKey(cp.name, cp.protocol)));
}

/**
 * A cheap raw signature of a pod's identity, computed before any profile is built. Labels as
 * given: kubectl prints maps sorted, so replicas stringify alike; a different order only
 * makes a duplicate identity, never a wrong one.
 */
export function identityKey(pod: Pod, options: ResolvedOptions, used?: ReadonlySet<string>): string {
  let key = pod.namespace + '\u0000' + JSON.stringify(pod.labels);
  if (used?.size === 0) return key;
  key += '\u0001';
  for (const cp of pod.ports) if (counts(cp, options, used)) key += `${cp.name}/${cp.protocol}/${cp.port},`;
  return key;
}

const NO_PORTS: { ports: NamedPorts; key: string } = { ports: new Map(), key: '' };

/** A pod's named ports and their canonical text (the profile key: equal text, equal ports). */
export function namedPortProfile(pod: Pod, options: ResolvedOptions, used?: ReadonlySet<string>): { ports: NamedPorts; key: string } {
  if (used?.size === 0) return NO_PORTS;
  const ports = new Map<string, number[]>();
  for (const cp of pod.ports) {
    if (!counts(cp, options, used)) continue;
    const k = namedKey(cp.name, cp.protocol);
    const list = ports.get(k) ?? [];
    if (!list.includes(cp.port)) list.push(cp.port);
    ports.set(k, list);
  }
  if (ports.size === 0) return NO_PORTS;
  const key = [...ports.entries()]
    .map(([k, v]) => `${k}=${v.sort((a, b) => a - b).join('+')}`)
    .sort()
    .join(',');
  return { ports, key };
}

/** The label pairs of an identity, as keys of a per-namespace index (selectors look up their rarest pair). */
export const labelPairKey = (namespace: string, key: string, value: string | undefined): string => `${namespace}\u0000${key}\u0000${value}`;
