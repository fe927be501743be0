// The lean path for NetworkPolicies and Nodes (load/fast-policy.ts and fastModel's Node, what
// LiveDataplane.apply tries first) against the full loader: whenever the lean path takes an
// object, loading takes it with no issue at all (no error, no warning) and gives the same model;
// LiveDataplane.apply reports exactly the issues loading reports. Objects: the fixtures and
// examples, the generators' policies and nodes, fuzzed valid policies (which the lean path must
// all take when loading reports nothing), and near-valid ones: every field the loader reads
// with every kind of value, random edits anywhere in a fuzzed policy.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { nodeDoc, policyDoc, syntheticCluster } from '@netpol/core/internal';
import { clusterArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { fastModel, plainJSON } from '../../packages/core/src/load/fast-path.js';
import { fastPolicy } from '../../packages/core/src/load/fast-policy.js';
import { toPlainJSON } from '../../packages/core/src/load/plain.js';
import { EMPTY_SELECTOR } from '../../packages/core/src/model/selector.js';
import type { NetworkPolicy } from '../../packages/core/src/model/types.js';
import { runs } from '../helpers.js';
import { clone, leanCheck, loaded, fixtureObjects, META_FIELDS, NAMES, NOT_JSON, OPTIONS, variant, type Path } from './lean-path.js';

/**
 * The lean path's promise (lean-path.ts), for the kinds of this file; and an absent podSelector
 * is the shared empty selector in both.
 */
const check = leanCheck(
  (value) => fastPolicy(value, OPTIONS) ?? fastModel(value, OPTIONS),
  (fast, full) => {
    if (fast.kind === 'NetworkPolicy' && (full as NetworkPolicy).podSelector === EMPTY_SELECTOR) expect(fast.model.podSelector).toBe(EMPTY_SELECTOR);
  },
);

const BASE = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'web', namespace: 'team-a', labels: { app: 'web' } },
  spec: {
    podSelector: { matchLabels: { app: 'web', 'example.com/tier': 'front' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        ports: [{ port: 80 }, { protocol: 'UDP', port: 'dns' }, { protocol: 'SCTP', port: 8000, endPort: 8100 }],
        from: [
          { podSelector: { matchLabels: { role: 'client' } }, namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } },
          { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
        ],
      },
    ],
    egress: [
      { to: [{ ipBlock: { cidr: 'fd00::/64', except: ['fd00::/96'] } }, { namespaceSelector: {} }, { ipBlock: { cidr: '192.168.0.0/16' } }] },
      { ports: [{ protocol: 'TCP' }] },
    ],
  },
};

const NODE = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1', zone: 'a' } },
  status: {
    addresses: [
      { type: 'InternalIP', address: '10.0.2.1' },
      { type: 'InternalIP', address: 'fd00::9' },
      { type: 'ExternalIP', address: '192.168.0.1' },
      { type: 'Hostname', address: 'node-1' },
    ],
  },
};

/** Every path in a JSON value (its root excluded), and under each object one new key. */
function pathsOf(v: unknown, base: Path = []): Path[] {
  if (Array.isArray(v)) return [[...base, v.length], ...v.flatMap((x, i) => [[...base, i], ...pathsOf(x, [...base, i])])];
  if (typeof v !== 'object' || v === null) return [];
  return [[...base, 'extra'], ...Object.entries(v).flatMap(([k, x]) => [[...base, k], ...pathsOf(x, [...base, k])])];
}

const RULE = ['spec', 'ingress', 0] as const;
const PEER = [...RULE, 'from', 0] as const;
const BLOCK = [...RULE, 'from', 1, 'ipBlock'] as const;
const EXPR = ['spec', 'podSelector', 'matchExpressions', 0] as const;
/** Fields the loader reads (and a few it does not know), for the policy and for the node. */
const FIELDS: readonly Path[] = [
  ...META_FIELDS,
  ['metadata', 'annotations'],
  ['status'],
  ['unknown'],
  ['spec'],
  ['spec', 'unknown'],
  ['spec', 'podSelector'],
  ['spec', 'podSelector', 'matchLabels'],
  ['spec', 'podSelector', 'matchLabels', 'app'],
  ['spec', 'podSelector', 'matchLabels', 'bad key!'],
  ['spec', 'podSelector', 'matchExpressions'],
  ['spec', 'podSelector', 'unknown'],
  EXPR,
  [...EXPR, 'key'],
  [...EXPR, 'operator'],
  [...EXPR, 'values'],
  [...EXPR, 'values', 0],
  [...EXPR, 'values', 2],
  [...EXPR, 'unknown'],
  ['spec', 'policyTypes'],
  ['spec', 'policyTypes', 0],
  ['spec', 'policyTypes', 1],
  ['spec', 'policyTypes', 2],
  ['spec', 'ingress'],
  ['spec', 'egress'],
  ['spec', 'egress', 0],
  RULE,
  [...RULE, 'unknown'],
  [...RULE, 'to'],
  [...RULE, 'ports'],
  [...RULE, 'ports', 0],
  [...RULE, 'ports', 0, 'port'],
  [...RULE, 'ports', 0, 'endPort'],
  [...RULE, 'ports', 0, 'protocol'],
  [...RULE, 'ports', 0, 'unknown'],
  [...RULE, 'ports', 1, 'port'],
  [...RULE, 'ports', 1, 'endPort'],
  [...RULE, 'ports', 2, 'port'],
  [...RULE, 'ports', 2, 'endPort'],
  [...RULE, 'from'],
  PEER,
  [...PEER, 'podSelector'],
  [...PEER, 'namespaceSelector'],
  [...PEER, 'ipBlock'],
  [...PEER, 'unknown'],
  [...RULE, 'from', 1],
  BLOCK,
  [...BLOCK, 'cidr'],
  [...BLOCK, 'except'],
  [...BLOCK, 'except', 0],
  [...BLOCK, 'except', 1],
  [...BLOCK, 'unknown'],
  [...RULE, 'from', 1, 'podSelector'],
  ['spec', 'egress', 0, 'to', 0, 'ipBlock', 'cidr'],
  ['spec', 'egress', 0, 'to', 0, 'ipBlock', 'except', 0],
  ['spec', 'egress', 0, 'to', 2, 'ipBlock', 'cidr'],
  ['status', 'addresses'],
  ['status', 'addresses', 0],
  ['status', 'addresses', 0, 'type'],
  ['status', 'addresses', 0, 'address'],
  ['status', 'addresses', 1, 'address'],
  ['status', 'addresses', 3, 'address'],
  ['status', 'addresses', 4],
];
const VALUES: readonly unknown[] = [
  undefined,
  null,
  '',
  'v1',
  'networking.k8s.io/v1',
  'NetworkPolicy',
  'Node',
  ...NAMES,
  'http',
  'h--p',
  '80',
  'TCP',
  'UDP',
  'ICMP',
  'In',
  'NotIn',
  'Exists',
  'DoesNotExist',
  'Ingress',
  'Egress',
  'ingress',
  'InternalIP',
  'ExternalIP',
  'Hostname',
  '10.0.0.0/8',
  '10.1.0.0/16',
  '10.1.2.3/16',
  '010.1.0.0/16',
  '10.1.0.0/016',
  '11.0.0.0/16',
  '10.0.0.0/8 ',
  '10.0.0.0/33',
  '0.0.0.0/0',
  '10.0.2.1',
  '10.0.2.01',
  'fd00::/64',
  'fd00:0::/64',
  'FD00::/64',
  'fd00::/96',
  '::ffff:10.0.0.0/104',
  'fd00::9',
  '1.2.3',
  0,
  1,
  80,
  8000,
  8100,
  65535,
  65536,
  1.5,
  -1,
  Number.NaN,
  true,
  false,
  [],
  {},
  ['Ingress'],
  ['Egress'],
  ['Ingress', 'Egress', 'Ingress'],
  ['Ingress', 'Ingress'],
  [null],
  ['x'],
  { app: 'x' },
  { 'bad key!': 'x' },
  { app: null },
  { app: 3 },
  { matchLabels: { app: 'x' } },
  { matchExpressions: [] },
  { cidr: '10.0.0.0/8' },
  { podSelector: {} },
  { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} },
  { port: 80 },
  { endPort: 90 },
  { protocol: 'UDP' },
  { type: 'InternalIP', address: '10.0.2.2' },
  { type: 'InternalIP', address: '10.0.2.1' },
  { type: 'InternalIP' },
  ...NOT_JSON,
];

describe('the lean path for NetworkPolicies and Nodes', () => {
  test('every object of the fixtures and examples: lean = loading, and apply reports what loading reports', () => {
    const objects = fixtureObjects().filter((o) => o['kind'] === 'NetworkPolicy' || o['kind'] === 'Node');
    expect(objects.length).toBeGreaterThan(50);
    let taken = 0;
    for (const o of objects) if (check(o)) taken++;
    expect(taken).toBeGreaterThan(40);
  });

  test('the generator’s policies and nodes all take the lean path, with loading’s model', () => {
    const c = syntheticCluster({ pods: 300, policies: 200, seed: 5 });
    for (const p of c.policies) expect(check(policyDoc(p))).toBe(true);
    for (const n of c.nodes) expect(check(nodeDoc(n))).toBe(true);
    expect(check(BASE)).toBe(true);
    expect(check(NODE)).toBe(true);
  });

  test('every field the loader reads, with every value kind: the lean path never takes what loading warns about or refuses', () => {
    let taken = 0;
    for (const path of FIELDS) for (const v of VALUES) if (check(variant(path, v, BASE))) taken++;
    // The node's own fields, and those all objects have.
    for (const path of FIELDS.filter((p) => p[0] !== 'spec')) for (const v of VALUES) if (check(variant(path, v, NODE))) taken++;
    expect(taken).toBeGreaterThan(100);
  });

  test('fuzzed valid policies and nodes: the lean path takes exactly those loading takes with no issue', () => {
    fc.assert(
      fc.property(clusterArbitrary({ maxPolicies: 4, maxPods: 1 }), (c) => {
        for (const p of c.policies) {
          if (!p.affects.ingress && !p.affects.egress) continue; // no manifest says that
          const doc = policyDoc(p);
          expect(check(doc)).toBe(loaded(doc).issues.length === 0);
        }
        for (const n of c.nodes) {
          const doc = nodeDoc(n);
          expect(check(doc)).toBe(loaded(doc).issues.length === 0);
        }
      }),
      { numRuns: runs(150) },
    );
  });

  test('fuzzed near-valid policies: random edits anywhere, several fields of the base changed at once', () => {
    const edit = fc.tuple(fc.nat(), fc.constantFrom(...VALUES));
    const policy = clusterArbitrary({ maxPolicies: 1, maxPods: 1 })
      .map((c) => c.policies[0])
      .filter((p) => p !== undefined && (p.affects.ingress || p.affects.egress))
      .map((p) => policyDoc(p!));
    fc.assert(
      fc.property(policy, fc.array(edit, { minLength: 1, maxLength: 3 }), (doc, edits) => {
        let o: unknown = doc;
        for (const [at, v] of edits) {
          const paths = pathsOf(o);
          o = variant(paths[at % paths.length]!, v, o);
        }
        check(o);
      }),
      { numRuns: runs(300) },
    );
    const change = fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...VALUES));
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 4 }), fc.boolean(), (changes, asNode) => {
        let o: unknown = asNode ? NODE : BASE;
        for (const [path, v] of changes) o = variant(path, v, o);
        check(o);
      }),
      { numRuns: runs(300) },
    );
  });

  test('a policy of more ports than the image has port classes is left to loading, which refuses it', () => {
    const ports = Array.from({ length: 70000 }, (_, i) => ({ port: (i % 65535) + 1, protocol: i < 35000 ? 'TCP' : 'UDP' }));
    const big = variant(['spec', 'ingress', 0, 'ports'], ports, BASE);
    expect(fastPolicy(big, OPTIONS)).toBeUndefined();
    expect(loaded(big).issues.map((i) => i.code)).toEqual(['capacity-exceeded']);
  });

  test('the lean path’s JSON check refuses what toPlainJSON refuses: the byte limit to the byte, the depth, values that are not JSON', () => {
    const copies = (v: unknown, maxBytes: number): boolean => toPlainJSON(v, { maxBytes }).value !== undefined;
    let deep: unknown = 'x';
    for (let i = 0; i < 70; i++) deep = i % 2 ? [deep] : { a: deep };
    for (const v of [
      BASE,
      NODE,
      { a: [1, 'two', null, true, { b: [] }] },
      deep,
      { a: 1.5, b: Number.NaN },
      { a: Object.assign([1], { 2: 3 }) }, // a hole at 1
      { a: new Map() },
      { a: undefined },
    ]) {
      // The smallest limit toPlainJSON copies `v` within (none: it refuses `v` at any size).
      let bytes = 0;
      while (bytes < 10_000 && !copies(v, bytes)) bytes++;
      for (const n of [bytes - 1, bytes, bytes + 1, 1 << 20]) expect(plainJSON(v, n)).toBe(copies(v, n));
    }
  });

  test('a getter that hands the lean path a Map after plainJSON saw JSON: left to loading, which reads the object once', () => {
    let reads = 0;
    const spec = clone(BASE.spec) as Record<string, unknown>;
    const hostile = { ...(clone(BASE) as object) };
    Object.defineProperty(hostile, 'spec', { enumerable: true, get: () => (++reads === 1 ? spec : { ...spec, podSelector: new Map() }) });
    expect(fastPolicy(hostile, OPTIONS)).toBeUndefined();
    expect(reads).toBeGreaterThan(1);
  });

  test('the model holds nothing of the caller’s object: changing it later changes nothing', () => {
    const o = clone(BASE) as typeof BASE;
    const fast = fastPolicy(o, OPTIONS)!.model;
    o.spec.podSelector.matchLabels.app = 'changed';
    o.spec.podSelector.matchExpressions[0]!.values[0] = 'changed';
    (o.spec.ingress[0]!.ports[0] as { port: number }).port = 81;
    expect(fast.podSelector.matchLabels['app']).toBe('web');
    expect(fast.podSelector.matchExpressions[0]!.values[0]).toBe('prod');
    expect(fast.ingress[0]!.ports[0]!.port).toBe(80);
  });
});
