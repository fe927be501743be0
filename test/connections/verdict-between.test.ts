// verdictBetween: a pod without an address (a workload's template pod, a pod not yet given an
// IP) is a subject and a selector peer like any pod; ipBlock, `networks` and `nodes` peers never
// match it; the local-node exemptions never apply to it; it may always reach itself. The
// reference and the compiled dataplane answer alike, and two addresses are judged as a Flow.
import { describe, expect, test } from 'vitest';
import {
  CompiledDataplane,
  MixedFamiliesError,
  ReferenceEvaluator,
  parseCIDR,
  type Cluster,
  type ClusterPolicy,
  type EvaluationOptions,
  type FlowEnd,
  type Verdict,
} from '@netpol/core';
import { templatePods } from '../../packages/core/src/model/endpoints.js';
import { ip } from '../helpers.js';
import { cluster, ns, pod, policy, sel, tcp, workload } from './builders.js';

const TCP = 6;

function cidr(text: string) {
  const c = parseCIDR(text);
  if (!c.ok) throw new Error(text);
  return c.cidr;
}

const base = cluster({
  namespaces: [ns('prod', { env: 'prod' }), ns('dev', { env: 'dev' })],
  nodes: [{ name: 'n1', ips: [ip('10.1.0.1')] }],
  workloads: [
    workload('Deployment', 'prod', 'web', { app: 'web' }, { ports: [tcp(8080, 'http')] }),
    workload('StatefulSet', 'prod', 'db', { app: 'db' }, { ports: [tcp(5432, 'pg')] }),
    workload('Deployment', 'dev', 'tool', { app: 'tool' }),
  ],
  pods: [
    pod('prod', 'client', { app: 'client' }, ['10.0.0.5'], { nodeName: 'n1' }),
    pod('prod', 'starting', { app: 'starting' }, [], { nodeName: 'n1', phase: 'Pending' }),
  ],
});

const end = (c: Cluster, name: string): FlowEnd => {
  const t = templatePods(c).find((p) => p.name === name) ?? c.pods.find((p) => p.name === name);
  if (!t) throw new Error(name);
  return t.ips.length > 0 ? { address: t.ips[0]! } : { pod: t };
};

/** Both engines' verdict; they must agree. */
function both(c: Cluster, src: FlowEnd, dst: FlowEnd, port: number, options: EvaluationOptions = {}): Verdict {
  const want = new ReferenceEvaluator(c, options).verdictBetween(src, dst, TCP, port);
  expect(new CompiledDataplane(c, options).verdictBetween(src, dst, TCP, port)).toEqual(want);
  return want;
}

describe('a pod without an address', () => {
  test('is a subject and a selector peer: a named port resolves on the template pod', () => {
    const c: Cluster = {
      ...base,
      policies: [
        policy('prod', 'db-in', sel({ app: 'db' }), {
          ingress: [{ peers: [{ kind: 'selector', podSelector: sel({ app: 'web' }) }], ports: [{ protocol: 'TCP', port: 'pg' }] }],
        }),
      ],
    };
    expect(both(c, end(c, 'web'), end(c, 'db'), 5432)).toEqual({ allowed: true, egress: 'not-isolated', ingress: 'allowed' });
    expect(both(c, end(c, 'web'), end(c, 'db'), 5433).allowed).toBe(false);
    expect(both(c, end(c, 'tool'), end(c, 'db'), 5432)).toEqual({ allowed: false, egress: 'not-isolated', ingress: 'denied' });
    expect(both(c, end(c, 'client'), end(c, 'db'), 5432).allowed).toBe(false);
  });

  test('is never matched by an ipBlock (a pod with an IP inside it is)', () => {
    const c: Cluster = {
      ...base,
      policies: [
        policy('prod', 'db-in', sel({ app: 'db' }), {
          ingress: [{ peers: [{ kind: 'ipBlock', ipBlock: { cidr: cidr('0.0.0.0/0'), except: [] } }], ports: [] }],
        }),
      ],
    };
    expect(both(c, end(c, 'web'), end(c, 'db'), 5432).ingress).toBe('denied');
    expect(both(c, end(c, 'client'), end(c, 'db'), 5432).ingress).toBe('allowed');
    const why = new ReferenceEvaluator(c).explainBetween(end(c, 'web'), end(c, 'db'), TCP, 5432);
    expect(why.src).toBe('prod/web');
    expect(why.ingressDetail.rejected[0]!.peers).toEqual({ side: 'source', address: '', pod: 'prod/web', misses: [{ kind: 'no-address', cidr: '0.0.0.0/0' }] });
  });

  test('is never matched by a networks or a nodes peer', () => {
    const deny = (peers: ClusterPolicy['egress'][number]['peers']): ClusterPolicy => ({
      kind: 'ClusterNetworkPolicy',
      name: 'guard',
      tier: 'Admin',
      priority: 1,
      subject: { kind: 'namespaces', namespaceSelector: sel() },
      ingress: [],
      egress: [{ action: 'Deny', peers, ports: [] }],
    });
    const networks: Cluster = { ...base, clusterPolicies: [deny([{ kind: 'networks', networks: [cidr('0.0.0.0/0')] }])] };
    expect(both(networks, end(networks, 'web'), end(networks, 'db'), 5432).egress).toBe('not-isolated');
    expect(both(networks, end(networks, 'web'), end(networks, 'client'), 5432).egress).toBe('admin-denied');
    const nodes: Cluster = { ...base, clusterPolicies: [deny([{ kind: 'nodes', nodeSelector: sel() }])] };
    expect(both(nodes, end(nodes, 'web'), end(nodes, 'db'), 5432).egress).toBe('not-isolated');
    expect(both(nodes, end(nodes, 'web'), { address: ip('10.1.0.1') }, 5432).egress).toBe('admin-denied');
    // namespaces peers do match it
    const namespaces: Cluster = { ...base, clusterPolicies: [deny([{ kind: 'namespaces', namespaceSelector: sel({ env: 'prod' }) }])] };
    expect(both(namespaces, end(namespaces, 'tool'), end(namespaces, 'db'), 5432).egress).toBe('admin-denied');
  });

  test('is never exempt as its node’s traffic (a pod with an IP on the same node is)', () => {
    const c: Cluster = {
      ...base,
      policies: [policy('prod', 'isolate', sel(), { ingress: [], egress: [] })],
    };
    const node: FlowEnd = { address: ip('10.1.0.1') };
    const options = { allowEgressToLocalNode: true, allowIngressFromLocalNode: true };
    expect(both(c, node, end(c, 'client'), 80, options).ingress).toBe('allowed');
    expect(both(c, end(c, 'client'), node, 80, options).egress).toBe('allowed');
    expect(both(c, node, end(c, 'starting'), 80, options).ingress).toBe('denied');
    expect(both(c, end(c, 'starting'), node, 80, options).egress).toBe('denied');
  });

  test('may always reach itself, even isolated', () => {
    const c: Cluster = { ...base, policies: [policy('prod', 'isolate', sel(), { ingress: [], egress: [] })] };
    expect(both(c, end(c, 'web'), end(c, 'web'), 80)).toEqual({ allowed: true, egress: 'allowed', ingress: 'allowed' });
    expect(both(c, end(c, 'web'), end(c, 'db'), 80).allowed).toBe(false);
  });
});

describe('ends', () => {
  test('two addresses: verdictBetween is the verdict of the Flow', () => {
    const c: Cluster = { ...base, policies: [policy('prod', 'isolate', sel({ app: 'client' }), { ingress: [] })] };
    const ref = new ReferenceEvaluator(c);
    const flow = { src: ip('10.1.0.1'), dst: ip('10.0.0.5'), protocol: TCP, port: 80 };
    expect(ref.verdictBetween({ address: flow.src }, { address: flow.dst }, TCP, 80)).toEqual(ref.verdict(flow));
    expect(new CompiledDataplane(c).verdictBetween({ address: flow.src }, { address: flow.dst }, TCP, 80)).toEqual(ref.verdict(flow));
  });

  test('two addresses of different families are refused by both engines', () => {
    const a: FlowEnd = { address: ip('10.0.0.5') };
    const b: FlowEnd = { address: ip('fd00::1') };
    expect(() => new ReferenceEvaluator(base).verdictBetween(a, b, TCP, 80)).toThrow(MixedFamiliesError);
    expect(() => new CompiledDataplane(base).verdictBetween(a, b, TCP, 80)).toThrow(MixedFamiliesError);
  });

  test('a hostNetwork or finished pod without an address takes no part: not a pod, on both engines', () => {
    const agent = pod('prod', 'agent', {}, [], { hostNetwork: true });
    const done = pod('prod', 'done', {}, [], { phase: 'Succeeded' });
    const c: Cluster = { ...base, pods: [...base.pods, agent, done] };
    expect(both(c, { pod: agent }, end(c, 'db'), 80).egress).toBe('not-applicable');
    expect(both(c, end(c, 'db'), { pod: done }, 80).ingress).toBe('not-applicable');
  });

  test('the compiled dataplane refuses a pod with an IP given without its address (it has no entry without one)', () => {
    const client = base.pods[0]!;
    expect(() => new CompiledDataplane(base).verdictBetween({ pod: client }, end(base, 'db'), TCP, 80)).toThrow(/pass its address 10.0.0.5/);
    expect(new CompiledDataplane(base).entryOf({ pod: client, address: client.ips[0]! })).toBe(
      new CompiledDataplane(base).entryOf({ address: ip('10.0.0.5') }),
    );
  });
});
