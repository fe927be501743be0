// The image with cluster-scoped tiers (compile/tiers.ts, the tier matrices of IMAGE.md): the
// compiled dataplane's verdicts, single flow and both batch paths, equal the reference
// evaluator's on fuzzed clusters with Admin/Baseline policies; hand-written cases for what is
// the image's own: the 1 × 1 tier part without cluster-scoped policies, networks prefixes
// nested with ipBlocks (every address its own entry), IPv6 host addresses, named ports that
// split identities, name classes and their bounds in batches.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, decodeVerdict, readImage, ReferenceEvaluator, type Cluster, type ClusterPolicy, type Flow, type NetworkPolicy } from '@netpol/core';
import { evaluationOptionsArbitrary, FLOW_NAMES, scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { encodeBatch, flow, runs } from '../helpers.js';
import {
  cnp,
  domainsPeer,
  inNamespaces,
  namedPort,
  namespace,
  namespacesPeer,
  networksPeer,
  nodeOf,
  nodesPeer,
  podOf,
  rule,
  tcp,
} from '../semantics/tier-fixtures.js';

const verdicts = (engine: { verdict(f: Flow): unknown }, flows: readonly Flow[]) => flows.map((f) => engine.verdict(f));

/** Compiled (single flow) = reference, flow by flow; returns the compiled dataplane. */
function agree(cluster: Cluster, flows: readonly Flow[]): CompiledDataplane {
  const compiled = new CompiledDataplane(cluster, { native: 'off' });
  expect(verdicts(compiled, flows)).toEqual(verdicts(new ReferenceEvaluator(cluster), flows));
  return compiled;
}

const short = (c: CompiledDataplane, f: Flow): string => {
  const r = c.verdict(f);
  return `${r.allowed ? 'ALLOW' : 'DENY'} ${r.egress}/${r.ingress}`;
};

const world = (clusterPolicies: ClusterPolicy[], policies: NetworkPolicy[] = []): Cluster => ({
  namespaces: [namespace('prod', { env: 'prod' }), namespace('dev', { env: 'dev' })],
  nodes: [nodeOf('n1', '192.168.0.1,fd00:ff::1', { role: 'worker' })],
  pods: [
    podOf('prod', 'web', '10.1.0.1,fd00::1', { labels: { app: 'web' }, node: 'n1', ports: [['http', 8080]] }),
    podOf('prod', 'web2', '10.1.0.2,fd00::2', { labels: { app: 'web' }, node: 'n1', ports: [['http', 9090]] }),
    podOf('dev', 'client', '10.2.0.1,fd00::3', { labels: { app: 'client' }, node: 'n1' }),
  ],
  policies,
  clusterPolicies,
});

describe('compiled tiers = reference (fuzzed)', () => {
  test('verdicts of the single-flow path and both batch paths, every option', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ maxClusterPolicies: 4, maxFlows: 30 }), evaluationOptionsArbitrary, ({ cluster, flows }, options) => {
        const reference = new ReferenceEvaluator(cluster, options);
        const compiled = new CompiledDataplane(cluster, { ...options, native: 'off' });
        const ok = flows.filter((f) => f.src.family === f.dst.family || options.ipv4MappedAsIPv4);
        let expected;
        try {
          expected = verdicts(reference, ok);
        } catch {
          return; // mixed families: both refuse (checked elsewhere)
        }
        expect(verdicts(compiled, ok)).toEqual(expected);
        // The general batch loop: names by class.
        const batch = { ...encodeBatch(ok), nameClass: Uint16Array.from(ok, (f) => compiled.nameClassOf(f)) };
        const out = new Uint8Array(ok.length);
        compiled.verdictBatchJS(batch, out);
        expect(Array.from(out, (b) => decodeVerdict(b))).toEqual(expected);
        // The IPv4 hot loop (no family, flags or names): flows it can carry.
        const plain = ok.filter(
          (f) =>
            f.src.family === 4 &&
            f.dst.family === 4 &&
            !f.established &&
            f.dstName === undefined &&
            (f.port !== undefined || f.icmpType !== undefined || f.protocol === 1),
        );
        const b4 = encodeBatch(plain);
        const out4 = new Uint8Array(plain.length);
        compiled.verdictBatchJS(
          { count: plain.length, src: b4.src.filter((_, i) => i % 4 === 0), dst: b4.dst.filter((_, i) => i % 4 === 0), protocol: b4.protocol, port: b4.port },
          out4,
        );
        expect(Array.from(out4)).toEqual(plain.map((f) => compiled.verdictCode(f)));
      }),
      { numRuns: runs(300) },
    );
  });
});

/** Admin and Baseline policies over every pod with domainNames peers among networks and Pass rules: name classes × columns. */
const namePolicies = (order: number): ClusterPolicy[] => [
  cnp(`names-${order}`, 'Admin', 5, inNamespaces(), {
    egress: [
      rule('Accept', [domainsPeer('*.example.com')], [tcp(80)]),
      rule('Pass', [networksPeer('10.0.0.0/16', 'fd00::/112')], [tcp(53)]),
      rule('Accept', [domainsPeer('api.example.com', 'kubernetes.default.svc.cluster.local')]),
      rule('Deny', [networksPeer('10.0.0.0/8')], [tcp(8080, 9090)]),
    ],
  }),
  cnp('names-floor', 'Baseline', order, inNamespaces(), {
    egress: [rule('Accept', [domainsPeer('*.svc.cluster.local', 'example.org')], [tcp(443)]), rule('Deny', [networksPeer('0.0.0.0/0', '::/0')])],
  }),
];

describe('compiled tiers = reference with destination names (fuzzed clusters plus domainNames policies)', () => {
  test('single flow and batch, names drawn from patterns and their neighbours', () => {
    const names = fc.option(fc.constantFrom(...FLOW_NAMES, 'API.EXAMPLE.COM.', 'x.api.example.com', 'svc.cluster.local', 'a.svc.cluster.local'), {
      nil: undefined,
    });
    fc.assert(
      fc.property(
        scenarioArbitrary({ maxClusterPolicies: 2, maxFlows: 30 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(names, { minLength: 30, maxLength: 30 }),
        ({ cluster, flows }, order, dstNames) => {
          const withNames: Cluster = { ...cluster, clusterPolicies: [...(cluster.clusterPolicies ?? []), ...namePolicies(order)] };
          const named = flows.filter((f) => f.src.family === f.dst.family).map((f, i) => (dstNames[i] === undefined ? f : { ...f, dstName: dstNames[i] }));
          const compiled = agree(withNames, named);
          const batch = { ...encodeBatch(named), nameClass: Uint16Array.from(named, (f) => compiled.nameClassOf(f)) };
          const out = new Uint8Array(named.length);
          compiled.verdictBatchJS(batch, out);
          expect(Array.from(out)).toEqual(named.map((f) => compiled.verdictCode(f)));
        },
      ),
      { numRuns: runs(150) },
    );
  });
});

describe('the tier part of the image', () => {
  test('without cluster-scoped policies: 1 × 1 tier matrices, one tier decision, one name class, every tier field 0', () => {
    const c = new CompiledDataplane(
      world(
        [],
        [
          {
            namespace: 'prod',
            name: 'p',
            podSelector: { matchLabels: {}, matchExpressions: [] },
            affects: { ingress: true, egress: false },
            ingress: [],
            egress: [],
          },
        ],
      ),
      { native: 'off' },
    );
    expect(c.stats().tiers).toEqual({ egress: { rows: 1, cols: 1 }, ingress: { rows: 1, cols: 1 }, decisions: 1, nameClasses: 1 });
    const v = readImage(c.image);
    // The tier fields: u16 halves 12-15 of each entry (ENTRY_HALF).
    for (let q = 0; q < v.entryHalves.length; q += 16) expect(Array.from(v.entryHalves.subarray(q + 12, q + 16))).toEqual([0, 0, 0, 0]);
    expect(short(c, flow('10.2.0.1', '10.1.0.1', 'TCP', 80))).toBe('DENY not-isolated/denied');
  });

  test('networks prefixes nested with ipBlocks: each address is judged by its own region', () => {
    // Admin: prod → two /16s accepted, the rest of 10.0.0.0/8 denied; ipBlocks cut more regions: a /24 inside a /16, a /12 around the other.
    const admin = cnp('nets', 'Admin', 1, inNamespaces({ env: 'prod' }), {
      egress: [rule('Accept', [networksPeer('10.3.0.0/16', '10.0.0.0/16')]), rule('Deny', [networksPeer('10.0.0.0/8', 'fd00::/120')])],
    });
    const np: NetworkPolicy = {
      namespace: 'prod',
      name: 'ipblocks',
      podSelector: { matchLabels: { app: 'nothing' }, matchExpressions: [] },
      affects: { ingress: false, egress: true },
      ingress: [],
      egress: [
        {
          ports: [],
          peers: [
            { kind: 'ipBlock', ipBlock: { cidr: { family: 4, base: 0x0a030100n, prefix: 24 }, except: [] } },
            { kind: 'ipBlock', ipBlock: { cidr: { family: 4, base: 0x0a000000n, prefix: 12 }, except: [] } },
          ],
        },
      ],
    };
    const c = agree(world([admin], [np]), []);
    expect(short(c, flow('10.1.0.1', '10.3.1.7', 'TCP', 80))).toBe('ALLOW admin-allowed/not-applicable'); // in the ipBlock /24 inside the accepted /16
    expect(short(c, flow('10.1.0.1', '10.3.200.1', 'TCP', 80))).toBe('ALLOW admin-allowed/not-applicable');
    // 10.4.0.1 is in the ipBlock /12, a region whose base 10.0.0.0 lies in the accepted 10.0.0.0/16: the region is not.
    expect(short(c, flow('10.1.0.1', '10.4.0.1', 'TCP', 80))).toBe('DENY admin-denied/not-applicable');
    expect(short(c, flow('10.1.0.1', '10.0.1.1', 'TCP', 80))).toBe('ALLOW admin-allowed/not-applicable');
    expect(short(c, flow('10.1.0.1', '10.200.0.1', 'UDP', 53))).toBe('DENY admin-denied/not-applicable');
    expect(short(c, flow('10.1.0.1', '11.0.0.1', 'TCP', 80))).toBe('ALLOW not-isolated/not-applicable');
    expect(short(c, flow('10.1.0.1', '10.2.0.1', 'ICMP', 8))).toBe('DENY admin-denied/not-isolated'); // a pod inside a network, ICMP too
    // IPv6: pods live in the exact-match host table, networks still contain them.
    expect(short(c, flow('fd00::1', 'fd00::3', 'TCP', 80))).toBe('DENY admin-denied/not-isolated');
    expect(short(c, flow('fd00::1', 'fd00::1:0', 'TCP', 80))).toBe('ALLOW not-isolated/not-applicable');
    agree(
      world([admin], [np]),
      ['10.3.1.7', '10.3.200.1', '10.4.0.1', '10.200.0.1', '11.0.0.1', '10.2.0.1', '10.0.0.0', '10.255.255.255'].map((d) => flow('10.1.0.1', d, 'TCP', 80)),
    );
  });

  test('named ports of cluster rules resolve per pod: pods alike but for a port number get different columns', () => {
    const admin = cnp('named', 'Admin', 1, inNamespaces({ env: 'dev' }), {
      egress: [rule('Accept', [namespacesPeer({ env: 'prod' })], [namedPort('http')]), rule('Deny', [namespacesPeer()])],
    });
    const c = agree(world([admin]), []);
    expect(short(c, flow('10.2.0.1', '10.1.0.1', 'TCP', 8080))).toBe('ALLOW admin-allowed/not-isolated');
    expect(short(c, flow('10.2.0.1', '10.1.0.2', 'TCP', 8080))).toBe('DENY admin-denied/not-isolated');
    expect(short(c, flow('10.2.0.1', '10.1.0.2', 'TCP', 9090))).toBe('ALLOW admin-allowed/not-isolated');
    expect(short(c, flow('10.2.0.1', '10.1.0.1', 'UDP', 8080))).toBe('DENY admin-denied/not-isolated'); // the name is TCP only
    expect(short(c, flow('10.2.0.1', '10.1.0.1', 'ICMP', 8))).toBe('DENY admin-denied/not-isolated'); // no port: named ports never match
  });

  test('nodes peers through the node labels, on the node address only', () => {
    const admin = cnp('nodes', 'Admin', 1, inNamespaces(), { egress: [rule('Deny', [nodesPeer({ role: 'worker' })], [tcp(10250)])] });
    const c = agree(world([admin]), []);
    expect(short(c, flow('10.1.0.1', '192.168.0.1', 'TCP', 10250))).toBe('DENY admin-denied/not-applicable');
    expect(short(c, flow('fd00::1', 'fd00:ff::1', 'TCP', 10250))).toBe('DENY admin-denied/not-applicable');
    expect(short(c, flow('10.1.0.1', '192.168.0.1', 'TCP', 10251))).toBe('ALLOW not-isolated/not-applicable');
    expect(short(c, flow('10.1.0.1', '192.168.0.2', 'TCP', 10250))).toBe('ALLOW not-isolated/not-applicable');
  });

  test('name classes: one per way the domainNames peers see a name; dstName maps through them, batches check the bound', () => {
    const admin = cnp('names', 'Admin', 1, inNamespaces(), {
      egress: [
        rule('Accept', [domainsPeer('*.example.com')], [tcp(443)]),
        rule('Accept', [domainsPeer('api.example.com', 'example.org')], [tcp(8443)]),
        rule('Deny', [networksPeer('0.0.0.0/0')]),
      ],
    });
    const c = agree(
      world([admin]),
      ['a.example.com', 'api.example.com', 'API.Example.COM.', 'example.com', 'example.org', 'x.example.org', undefined].flatMap((name) =>
        [443, 8443].map((port) => flow('10.1.0.1', '8.8.8.8', 'TCP', port, name === undefined ? {} : { dstName: name })),
      ),
    );
    expect(c.nameClass('nothing.test')).toBe(0);
    expect(c.nameClass('example.com')).toBe(0); // *.example.com needs a label in front
    expect(c.nameClass('API.Example.COM.')).toBe(c.nameClass('api.example.com'));
    expect(c.nameClass('api.example.com')).not.toBe(c.nameClass('a.example.com'));
    expect(c.nameClass('example.org')).not.toBe(0);
    const classes = c.stats().tiers.nameClasses;
    expect(classes).toBe(4); // none, *.example.com, api.example.com (+ the wildcard), example.org
    expect(short(c, flow('10.1.0.1', '8.8.8.8', 'TCP', 443, { dstName: 'a.example.com' }))).toBe('ALLOW admin-allowed/not-applicable');
    expect(short(c, flow('10.1.0.1', '8.8.8.8', 'TCP', 443))).toBe('DENY admin-denied/not-applicable');
    // A batch: class by class, and a class the image does not have is a malformed flow.
    const f = flow('10.1.0.1', '8.8.8.8', 'TCP', 443);
    const b = { ...encodeBatch([f, f, f]), nameClass: Uint16Array.of(0, c.nameClass('a.example.com'), classes) };
    const out = new Uint8Array(3);
    c.verdictBatchJS(b, out);
    expect([decodeVerdict(out[0]!).egress, decodeVerdict(out[1]!).egress, out[2]]).toEqual(['admin-denied', 'admin-allowed', 0x80]);
  });
});
