/**
 * A flow record's `"port": "http"`: the number (and protocol) the name stands for on the
 * destination pod's containers (init and sidecar containers included: whatever container
 * listens there receives the flow). One answer or an error, never a guess: a name the
 * destination lacks, one that means ports of several protocols without `protocol`, or
 * several numbers (two containers, or pods of one endpoint that disagree) is refused.
 */
import { truncate } from '../load/issues.js';
import type { PolicyProtocol, Pod } from '../model/types.js';

/** The port a name resolved to. */
export interface ResolvedPort {
  readonly port: number;
  readonly protocol: PolicyProtocol;
}

/**
 * `name` on `pods` (the destination's: one pod, or an endpoint's pods), for `protocol` when
 * the record gives one; `dst` names the destination in messages.
 */
export function resolveNamedPort(name: string, pods: readonly Pod[], dst: string, protocol: PolicyProtocol | undefined): ResolvedPort | string {
  const label = JSON.stringify(truncate(name));
  const all = pods.flatMap((pod) => pod.ports.filter((p) => p.name === name).map((p) => ({ pod, port: p.port, protocol: p.protocol })));
  if (all.length === 0) {
    const names = [...new Set(pods.flatMap((p) => p.ports.filter((c) => c.name !== undefined).map((c) => `${c.name} (${c.port}/${c.protocol})`)))];
    return `"port": no container port named ${label} on the destination ${truncate(dst)} (its named ports: ${truncate(names.join(', ') || 'none')})`;
  }
  const found = protocol === undefined ? all : all.filter((p) => p.protocol === protocol);
  if (found.length === 0)
    return `"port": ${label} on ${truncate(dst)} is ${[...new Set(all.map((p) => `${p.port}/${p.protocol}`))].join(', ')}, not ${protocol}`;
  const protocols = [...new Set(found.map((p) => p.protocol))];
  if (protocols.length > 1)
    return `"port": ${label} on ${truncate(dst)} is ${[...new Set(found.map((p) => `${p.port}/${p.protocol}`))].join(' and ')}: give "protocol"`;
  const numbers = [...new Set(found.map((p) => p.port))];
  if (numbers.length > 1) {
    const where = [...new Set(found.map((p) => `${p.port} on ${p.pod.namespace}/${p.pod.name}`))].slice(0, 5).join(', ');
    return `"port": ${label} is several ports on ${truncate(dst)} (${truncate(where)}): give the number`;
  }
  return { port: numbers[0]!, protocol: protocols[0]! };
}
