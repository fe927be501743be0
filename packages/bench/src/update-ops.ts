/**
 * The changes the update benchmark applies, one object each, as a controller would send
 * them: pods come and go as replicas of existing deployments (same labels, new name and
 * address: the common case) or of new ones (a label set no pod has), pods are relabelled,
 * namespaces relabelled, policies added (the generator's next ones) and removed. Each
 * planned change names the addresses it concerns, for the correctness check.
 */
import { selectorMatches, type Change, type IPAddress, type Labels, type NetworkPolicy, type Pod } from '@netpol/core';
import { Random } from '@netpol/core/internal';
import type { ClusterModel } from './update-model.js';
import { namespaceDoc, podDoc, policyDoc } from './update-objects.js';

export const OP_KINDS = [
  'pod-add',
  'pod-add-new-labels',
  'pod-remove',
  'pod-relabel',
  'pod-relabel-new-labels',
  'namespace-labels',
  'policy-add',
  'policy-remove',
] as const;
export type OpKind = (typeof OP_KINDS)[number];

export const OP_LABELS: Readonly<Record<OpKind, string>> = {
  'pod-add': 'pod add (replica of a deployment)',
  'pod-add-new-labels': 'pod add (new label set)',
  'pod-remove': 'pod remove',
  'pod-relabel': "pod relabel (another deployment's labels)",
  'pod-relabel-new-labels': 'pod relabel (new label set)',
  'namespace-labels': 'namespace label change',
  'policy-add': 'policy add',
  'policy-remove': 'policy remove',
};

export interface Planned {
  readonly kind: OpKind;
  readonly change: Change;
  /** Pod addresses whose verdicts the change may alter (a removed pod's too), for the check. */
  readonly subjects: readonly IPAddress[];
  /** What it is, for a mismatch report. */
  readonly what: string;
}

/** An array with O(1) random pick and removal by key. */
class Pool {
  private readonly keys: string[] = [];
  private readonly at = new Map<string, number>();
  add(k: string): void {
    if (this.at.has(k)) return;
    this.at.set(k, this.keys.length);
    this.keys.push(k);
  }
  remove(k: string): void {
    const i = this.at.get(k);
    if (i === undefined) return;
    const last = this.keys.pop()!;
    if (last !== k) {
      this.keys[i] = last;
      this.at.set(last, i);
    }
    this.at.delete(k);
  }
  pick(r: Random): string {
    if (this.keys.length === 0) throw new Error('nothing left to pick');
    return this.keys[r.int(0, this.keys.length - 1)]!;
  }
  get size(): number {
    return this.keys.length;
  }
}

/**
 * Pod addresses: inside the /24s the cluster's pods already use (one per node in the
 * generator), with the node that owns the /24; the lowest free host first, a removed pod's
 * address free again (as IPAM does).
 */
class Addresses {
  private readonly subnets: { base: number; node: string; used: Set<number> }[] = [];
  constructor(pods: Iterable<Pod>) {
    const byBase = new Map<number, { base: number; node: string; used: Set<number> }>();
    for (const p of pods) {
      const ip = p.ips.find((a) => a.family === 4);
      if (!ip || p.hostNetwork || p.nodeName === undefined) continue;
      const v = Number(ip.value);
      const base = (v & ~0xff) >>> 0;
      let s = byBase.get(base);
      if (!s) byBase.set(base, (s = { base, node: p.nodeName, used: new Set() }));
      s.used.add(v & 0xff);
    }
    this.subnets = [...byBase.values()];
    if (this.subnets.length === 0) throw new Error('the cluster has no IPv4 pods to take address ranges from');
  }
  allocate(r: Random): { ip: IPAddress; node: string } {
    const start = r.int(0, this.subnets.length - 1);
    for (let k = 0; k < this.subnets.length; k++) {
      const s = this.subnets[(start + k) % this.subnets.length]!;
      for (let h = 2; h < 255; h++) {
        if (s.used.has(h)) continue;
        s.used.add(h);
        return { ip: { family: 4, value: BigInt((s.base | h) >>> 0) }, node: s.node };
      }
    }
    throw new Error('no free pod address left in the cluster ranges');
  }
  release(ip: IPAddress): void {
    if (ip.family !== 4) return;
    const v = Number(ip.value);
    this.subnets.find((s) => s.base === (v & ~0xff) >>> 0)?.used.delete(v & 0xff);
  }
}

interface Deployment {
  readonly namespace: string;
  readonly labels: Labels;
  readonly template: Pod;
}

const ENVS = ['prod', 'staging', 'dev'];
const podKey = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;
const hex8 = (n: number): string => (Math.imul(n + 1, 2654435761) >>> 0).toString(16).padStart(8, '0');
const v4 = (p: Pod): IPAddress[] => p.ips.filter((ip) => ip.family === 4);

export class UpdatePlanner {
  private readonly r: Random;
  private readonly addresses: Addresses;
  private readonly deployments: Deployment[] = [];
  private readonly byNamespace = new Map<string, Deployment[]>();
  /** Workload pods (not the DNS or monitoring ones: they stay, as in a real cluster). */
  private readonly workload = new Pool();
  private readonly policyPool = new Pool();
  private readonly teamNamespaces: string[];
  private next = 0;
  private extra = 0;

  /** `extraPolicies`: what policy-add adds, in order (the generator's policies past the cluster's). */
  constructor(
    private readonly model: ClusterModel,
    private readonly extraPolicies: readonly NetworkPolicy[],
    seed: number,
  ) {
    this.r = new Random(seed);
    this.addresses = new Addresses(model.pods.values());
    const seen = new Set<string>();
    for (const p of model.pods.values()) {
      if (p.labels['pod-template-hash'] === undefined) continue;
      this.workload.add(podKey(p));
      const id = `${p.namespace}/${p.labels['app']}`;
      if (!seen.has(id)) {
        seen.add(id);
        this.addDeployment({ namespace: p.namespace, labels: p.labels, template: p });
      }
    }
    if (this.deployments.length === 0) throw new Error('the cluster has no deployments (pods with a pod-template-hash label)');
    for (const k of model.policies.keys()) this.policyPool.add(k);
    this.teamNamespaces = [...model.namespaces.keys()].filter((n) => n.startsWith('team-'));
  }

  private addDeployment(d: Deployment): void {
    this.deployments.push(d);
    const list = this.byNamespace.get(d.namespace) ?? [];
    list.push(d);
    this.byNamespace.set(d.namespace, list);
  }

  /** A label set no pod has: a new deployment of an existing tier. */
  private freshLabels(tier: string | undefined): Record<string, string> {
    const n = this.next++;
    return { app: `fresh-${n}`, ...(tier !== undefined && { tier }), version: `v${n % 3}`, 'pod-template-hash': hex8(n) };
  }

  plan(kind: OpKind): Planned {
    switch (kind) {
      case 'pod-add':
      case 'pod-add-new-labels':
        return this.podAdd(kind);
      case 'pod-remove':
        return this.podRemove();
      case 'pod-relabel':
      case 'pod-relabel-new-labels':
        return this.podRelabel(kind);
      case 'namespace-labels':
        return this.namespaceLabels();
      case 'policy-add':
        return this.policyAdd();
      case 'policy-remove':
        return this.policyRemove();
    }
  }

  private podAdd(kind: 'pod-add' | 'pod-add-new-labels'): Planned {
    const d = this.r.pick(this.deployments);
    const labels = kind === 'pod-add' ? d.labels : this.freshLabels(d.labels['tier']);
    const { ip, node } = this.addresses.allocate(this.r);
    const pod: Pod = { ...d.template, name: `${labels['app']}-${labels['pod-template-hash']}-u${this.next++}`, labels, ips: [ip], nodeName: node };
    if (kind === 'pod-add-new-labels') this.addDeployment({ namespace: pod.namespace, labels, template: pod });
    this.workload.add(podKey(pod));
    return { kind, change: { op: 'apply', object: podDoc(pod) }, subjects: [ip], what: `pod ${podKey(pod)} (${labels['app']})` };
  }

  private podRemove(): Planned {
    const k = this.workload.pick(this.r);
    const pod = this.model.pods.get(k)!;
    this.workload.remove(k);
    for (const ip of pod.ips) this.addresses.release(ip);
    return { kind: 'pod-remove', change: { op: 'delete', kind: 'Pod', name: pod.name, namespace: pod.namespace }, subjects: v4(pod), what: `pod ${k}` };
  }

  private podRelabel(kind: 'pod-relabel' | 'pod-relabel-new-labels'): Planned {
    const pod = this.model.pods.get(this.workload.pick(this.r))!;
    let labels: Labels;
    if (kind === 'pod-relabel') {
      // Another deployment's labels, of the same namespace when it has another one.
      const local = (this.byNamespace.get(pod.namespace) ?? []).filter((d) => d.labels['app'] !== pod.labels['app']);
      const others = local.length > 0 ? local : this.deployments.filter((d) => d.labels['app'] !== pod.labels['app']);
      labels = this.r.pick(others).labels;
    } else labels = this.freshLabels(pod.labels['tier']);
    return { kind, change: { op: 'apply', object: podDoc({ ...pod, labels }) }, subjects: v4(pod), what: `pod ${podKey(pod)} relabelled app=${labels['app']}` };
  }

  private namespaceLabels(): Planned {
    const name = this.r.pick(this.teamNamespaces);
    const ns = this.model.namespaces.get(name)!;
    // Moves the namespace to another team, or to another environment: what namespaceSelectors match on.
    const n = this.next++;
    const labels: Record<string, string> = { ...ns.labels };
    if (n % 2 === 0) labels['team'] = `t${(Number((ns.labels['team'] ?? 't0').slice(1)) + 1 + (n % 16)) % 17}`;
    else labels['env'] = ENVS[(ENVS.indexOf(ns.labels['env'] ?? 'dev') + 1) % ENVS.length]!;
    const pods = [...this.model.pods.values()].filter((p) => p.namespace === name);
    return {
      kind: 'namespace-labels',
      change: { op: 'apply', object: namespaceDoc({ name, labels }) },
      subjects: this.sample(pods, 4).flatMap(v4),
      what: `namespace ${name} team=${labels['team']} env=${labels['env']}`,
    };
  }

  private policyAdd(): Planned {
    const p = this.extraPolicies[this.extra++];
    if (!p) throw new Error(`policy-add: only ${this.extraPolicies.length} new policies were generated`);
    this.policyPool.add(podKey(p));
    return { kind: 'policy-add', change: { op: 'apply', object: policyDoc(p) }, subjects: this.selected(p), what: `policy ${podKey(p)}` };
  }

  private policyRemove(): Planned {
    const k = this.policyPool.pick(this.r);
    const p = this.model.policies.get(k)!;
    this.policyPool.remove(k);
    return {
      kind: 'policy-remove',
      change: { op: 'delete', kind: 'NetworkPolicy', name: p.name, namespace: p.namespace },
      subjects: this.selected(p),
      what: `policy ${k}`,
    };
  }

  /** A few pods the policy selects (or of its namespace when it selects none). */
  private selected(p: NetworkPolicy): IPAddress[] {
    const inNs = [...this.model.pods.values()].filter((x) => x.namespace === p.namespace);
    const sel = inNs.filter((x) => selectorMatches(p.podSelector, x.labels));
    return this.sample(sel.length > 0 ? sel : inNs, 4).flatMap(v4);
  }

  private sample<T>(xs: readonly T[], n: number): T[] {
    if (xs.length <= n) return [...xs];
    return Array.from({ length: n }, () => this.r.pick(xs));
  }

  /** Workload pods left (the stream removes only while there are some). */
  get workloadPods(): number {
    return this.workload.size;
  }
}
