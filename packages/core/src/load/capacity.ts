/**
 * Table limits the loaded objects would outgrow, found before anything is compiled: a
 * valid object that the image cannot hold is a load error naming it and the limit
 * (`capacity-exceeded`), never an internal error in the middle of compiling a verdict.
 *
 * Counted here: port classes. Every distinct port, range start and one-past-range-end of
 * TCP, UDP and SCTP in a policy rule, and every number a named port that some rule uses
 * resolves to, starts a class (compile/ports.ts); the image's portMap holds u16 class
 * numbers. The other limits (model/limits.ts) depend on how selectors combine and are
 * checked by the compilers, which throw CapacityError.
 */
import { LIMITS } from '../model/limits.js';
import type { NetworkPolicy, Pod, PolicyProtocol } from '../model/types.js';
import type { Issue } from './issues.js';
import type { RawObject } from './read.js';

const SLOT: Readonly<Record<PolicyProtocol, number>> = { TCP: 0, UDP: 1, SCTP: 2 };
/** Class 0 (other protocols) and one class per protocol before any cut. */
const BASE_CLASSES = 4;

/** The port-class count as cuts are added (the same count compile/ports.ts arrives at). */
export class PortClassCounter {
  private readonly cut = new Uint8Array(3 << 16);
  /**
   * From nothing, or from a compiler's classes (`count` of them, `isCut` telling where
   * one already starts): a live batch counts only the cuts it adds.
   */
  constructor(
    public count = BASE_CLASSES,
    private readonly isCut: (protocol: PolicyProtocol, port: number) => boolean = () => false,
  ) {}
  /** A class starts at `port` of `protocol` (ports 0 and 65536 start none). */
  add(protocol: PolicyProtocol, port: number): void {
    if (port <= 0 || port > 65535) return;
    const at = (SLOT[protocol] << 16) | port;
    if (this.cut[at] !== 0 || this.isCut(protocol, port)) return;
    this.cut[at] = 1;
    this.count++;
  }
  /** The cuts of a policy's numeric ports and ranges, in the directions it affects. */
  addPolicy(policy: NetworkPolicy): void {
    for (const d of ['ingress', 'egress'] as const) {
      if (!policy.affects[d]) continue;
      for (const rule of policy[d]) {
        for (const p of rule.ports) {
          if (typeof p.port !== 'number') continue;
          this.add(p.protocol, p.port);
          this.add(p.protocol, (p.endPort ?? p.port) + 1);
        }
      }
    }
  }
  /** The cuts of a pod's named container ports (`used`: only names a rule uses, as `name/PROTOCOL`). */
  addPod(pod: Pod, used?: ReadonlySet<string>): void {
    for (const cp of pod.ports) {
      if (!cp.name || (used && !used.has(`${cp.name}/${cp.protocol}`))) continue;
      this.add(cp.protocol, cp.port);
      this.add(cp.protocol, cp.port + 1);
    }
  }
}

/** Numeric ports of the policies' rules and container ports of the pods: a bound on the cuts they make (half of it). */
export function portCount(policies: readonly NetworkPolicy[], pods: readonly Pod[]): number {
  let n = 0;
  for (const p of policies) for (const d of ['ingress', 'egress'] as const) for (const r of p[d]) n += r.ports.length;
  for (const pod of pods) n += pod.ports.length;
  return n;
}

/** The message of a port-class overflow (the issue names the object): how many, the limit. */
export function portClassMessage(count: number): string {
  return `brings the port classes to ${count} (with the objects before it); the image holds at most ${LIMITS.portClasses}: every distinct port and range boundary of TCP, UDP and SCTP in a rule, and every port a used named port resolves to, is a class`;
}

/**
 * A `capacity-exceeded` error for the first object (policies, then pods) that takes the
 * port classes over the limit, located through `seen` (`Kind ns/name` → its raw object).
 */
export function capacityIssues(policies: readonly NetworkPolicy[], pods: readonly Pod[], seen: ReadonlyMap<string, RawObject>): Issue[] {
  // Each port adds at most two cuts: most inputs cannot reach the limit, and need no count.
  if (BASE_CLASSES + 2 * portCount(policies, pods) <= LIMITS.portClasses) return [];
  const used = new Set<string>();
  for (const p of policies)
    for (const d of ['ingress', 'egress'] as const)
      for (const r of p[d]) for (const port of r.ports) if (typeof port.port === 'string') used.add(`${port.port}/${port.protocol}`);
  const counter = new PortClassCounter();
  const over = (object: string): Issue[] => {
    if (counter.count <= LIMITS.portClasses) return [];
    const raw = seen.get(object);
    const line = raw?.locate(['spec']);
    return [
      {
        code: 'capacity-exceeded',
        severity: 'error',
        ...(raw && { file: raw.file, document: raw.document }),
        ...(line !== undefined && { line }),
        object,
        path: 'spec',
        message: portClassMessage(counter.count),
      },
    ];
  };
  for (const p of policies) {
    counter.addPolicy(p);
    const issues = over(`NetworkPolicy ${p.namespace}/${p.name}`);
    if (issues.length > 0) return issues;
  }
  if (used.size === 0) return [];
  for (const pod of pods) {
    counter.addPod(pod, used);
    const issues = over(`Pod ${pod.namespace}/${pod.name}`);
    if (issues.length > 0) return issues;
  }
  return [];
}
