// Pinned cases: inputs that broke something during development (the loader bugs the
// validation suite found, subtle collisions), replayed through every engine comparison.
// Each runs the compiled dataplane against the reference on all address pairs × ports.
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, ReferenceEvaluator, type EvaluationOptions, type Flow } from '@netpol/core';
import { interestingAddresses } from '../../packages/core/src/fuzz/arbitraries.js';
import { compareEngines } from '../../packages/core/src/fuzz/differential.js';
import { cluster, flow, issuesOf } from '../helpers.js';

const ns = (name: string, labels = '') => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}, labels: {${labels}}}\n---\n`;
const pod = (name: string, ip: string, extra = '') =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: a, labels: {app: ${name}}}\nspec: {nodeName: n1${extra}}\nstatus: {phase: Running, podIPs: [{ip: "${ip}"}]}\n---\n`;

const CASES: Record<string, { yaml: string; options?: EvaluationOptions }> = {
  // Loader bug: ::ffff:10.0.0.0/64 was read as IPv4 0.0.0.0/0 (Go masks first: it is IPv6).
  'IPv4-mapped CIDR below /96 stays IPv6': {
    yaml: `${ns('a')}${pod('db', '10.0.0.1')}${pod('c', 'fd00::5')}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{ipBlock: {cidr: "::ffff:10.0.0.0/64"}}]}]\n`,
  },
  // A named port whose name exists on two containers with different protocols and numbers.
  'named port reused with other protocols (egress, resolved on the destination)': {
    yaml: `${ns('a')}${pod('src', '10.0.0.2')}apiVersion: v1\nkind: Pod\nmetadata: {name: dst, namespace: a, labels: {app: dst}}\nspec:\n  nodeName: n1\n  containers:\n  - {name: one, image: x, ports: [{name: web, containerPort: 80, protocol: TCP}]}\n  - {name: two, image: x, ports: [{name: web, containerPort: 8080, protocol: UDP}]}\n  initContainers:\n  - {name: init, image: x, ports: [{name: web, containerPort: 9000, protocol: TCP}]}\nstatus: {phase: Running, podIP: 10.0.0.3}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec:\n  podSelector: {matchLabels: {app: src}}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: web}, {port: web, protocol: UDP}]}]\n`,
  },
  // A pod IP that is also a node IP: local-node ingress and self must both hold.
  'a pod IP equal to a node IP': {
    yaml: `${ns('a')}apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 10.0.0.4}]}\n---\n${pod('x', '10.0.0.4')}${pod('w', '10.0.0.5')}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: a}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n`,
    options: { allowEgressToLocalNode: true },
  },
  // hostNetwork pod inside an ipBlock, in Cilium mode (ipBlock never matches node IPs).
  'hostNetwork IP inside an ipBlock, ipBlockMatchesPods off': {
    yaml: `${ns('a')}${pod('h', '10.0.0.9', ', hostNetwork: true')}${pod('db', '10.0.0.1')}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.1/32]}}], ports: [{port: 1, endPort: 65535}]}]\n`,
    options: { ipBlockMatchesPods: false },
  },
  // Two pods claim one IP; the Succeeded one must not count.
  'shared IP with a finished pod': {
    yaml: `${ns('a')}${pod('live', '10.0.0.6')}apiVersion: v1\nkind: Pod\nmetadata: {name: done, namespace: a, labels: {app: db}}\nspec: {nodeName: n1}\nstatus: {phase: Succeeded, podIP: 10.0.0.6}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec: {podSelector: {matchLabels: {app: db}}}\n`,
  },
};

const L4: [number, number | undefined][] = [
  [6, 1],
  [6, 80],
  [6, 8080],
  [6, 9000],
  [6, 65535],
  [17, 8080],
  [17, 53],
  [132, 80],
  [1, undefined],
  [58, undefined],
];

describe('pinned regressions: compiled = reference', () => {
  test.each(Object.entries(CASES))('%s', (_name, { yaml, options }) => {
    const c = cluster(yaml);
    const flows: Flow[] = [];
    for (const family of [4, 6] as const) {
      const addrs = interestingAddresses(c, family);
      for (const src of addrs)
        for (const dst of addrs) for (const [protocol, port] of L4) flows.push({ src, dst, protocol, ...(port !== undefined && { port }) });
    }
    expect(flows.length).toBeGreaterThan(50);
    expect(compareEngines(c, flows, (cl, o) => new CompiledDataplane(cl, o), options ?? {})).toBeUndefined();
  });
});

test('the IPv4-mapped /64 ipBlock admits no IPv4 source (it once admitted all of them)', () => {
  const c = cluster(CASES['IPv4-mapped CIDR below /96 stays IPv6']!.yaml);
  const dp = new CompiledDataplane(c);
  expect(dp.verdict(flow('203.0.113.1', '10.0.0.1', 'TCP', 1))).toEqual({ allowed: false, egress: 'not-applicable', ingress: 'denied' });
  expect(c.policies[0]!.ingress[0]!.peers[0]).toMatchObject({ kind: 'ipBlock', ipBlock: { cidr: { family: 6, prefix: 64 } } });
});

// Found by the bench: two nodes listed one IP; the reference took it as both nodes', the
// compiled engine as one node's. Now an address belongs to the first node that lists it.
test('two nodes sharing an address: the first listed owns it, in every engine', () => {
  const yaml = `apiVersion: v1\nkind: Node\nmetadata: {name: n0}\nstatus: {addresses: [{type: InternalIP, address: 172.18.0.1}]}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 172.18.0.1}, {type: InternalIP, address: 172.18.0.2}]}\n---\n${pod('p0', '10.0.0.1').replace('nodeName: n1', 'nodeName: n0')}${pod('p1', '10.0.0.2')}apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: a}\nspec: {podSelector: {}}\n`;
  const c = cluster(yaml);
  for (const engine of [new CompiledDataplane(c), new ReferenceEvaluator(c)]) {
    expect(engine.verdict(flow('172.18.0.1', '10.0.0.1', 'TCP', 80)).allowed).toBe(true); // n0's own address
    expect(engine.verdict(flow('172.18.0.1', '10.0.0.2', 'TCP', 80)).allowed).toBe(false); // n0's, not n1's
    expect(engine.verdict(flow('172.18.0.2', '10.0.0.2', 'TCP', 80)).allowed).toBe(true); // n1's own
  }
  expect(issuesOf(yaml).map((i) => i.code)).toContain('shared-node-ip');
});
