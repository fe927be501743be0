// The lean path for single objects (load/fast-path.ts, what LiveDataplane.apply tries first)
// against the full loader: every object of the fixtures and examples, every Pod and Namespace
// variant below and fuzzed ones go through both; whenever the lean path takes an object,
// loading takes it with no issue and the same model, and LiveDataplane.apply reports exactly
// the issues loading reports, object by object.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { podDoc, namespaceDoc, syntheticCluster } from '@netpol/core/internal';
import { fastModel } from '../../packages/core/src/load/fast-path.js';
import { runs } from '../helpers.js';
import { clone, leanCheck, fixtureObjects, META_FIELDS, NAMES, NOT_JSON, OPTIONS, variant as variantOf } from './lean-path.js';

/** The lean path's promise (lean-path.ts): it takes only what loading takes cleanly, with the same model. */
const check = leanCheck((value) => fastModel(value, OPTIONS));

const BASE = podDoc({
  namespace: 'team-a',
  name: 'web-0',
  labels: { app: 'web', 'app.kubernetes.io/name': 'web', tier: 'frontend' },
  ips: [
    { family: 4, value: 0x0a000105n },
    { family: 6, value: (0xfd00n << 112n) | 5n },
  ],
  nodeName: 'node-1',
  hostNetwork: false,
  phase: 'Running',
  ports: [
    { name: 'http', port: 8080, protocol: 'TCP', init: false },
    { port: 9090, protocol: 'UDP', init: false },
    { name: 'setup', port: 7000, protocol: 'SCTP', init: true },
  ],
});

/** A copy of `o` (BASE by default) with the value at `path` replaced (undefined: the key removed). */
const variant = (path: readonly (string | number)[], value: unknown, o: unknown = BASE): Record<string, unknown> => variantOf(path, value, o);

const OWNER = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9c', uid: 'u1', controller: true };
/** Fields the loader reads, and values that are fine, warned about or refused there. */
const FIELDS: readonly (readonly (string | number)[])[] = [
  ...META_FIELDS,
  ['metadata', 'ownerReferences'],
  ['metadata', 'ownerReferences', 0],
  ['metadata', 'ownerReferences', 1],
  ['metadata', 'annotations'],
  ['spec'],
  ['spec', 'nodeName'],
  ['spec', 'hostNetwork'],
  ['spec', 'containers'],
  ['spec', 'containers', 0],
  ['spec', 'containers', 0, 'ports'],
  ['spec', 'containers', 0, 'ports', 0],
  ['spec', 'containers', 0, 'ports', 0, 'containerPort'],
  ['spec', 'containers', 0, 'ports', 0, 'protocol'],
  ['spec', 'containers', 0, 'ports', 0, 'name'],
  ['spec', 'initContainers'],
  ['status'],
  ['status', 'phase'],
  ['status', 'podIP'],
  ['status', 'podIPs'],
  ['status', 'podIPs', 0],
  ['status', 'podIPs', 1, 'ip'],
  ['status', 'podIPs', 2, 'ip'],
];
const VALUES: readonly unknown[] = [
  undefined,
  null,
  '',
  'v1',
  'Pod',
  'Namespace',
  ...NAMES,
  'kubernetes.io/metadata.name',
  'http',
  'h--p',
  '123',
  'TCP',
  'UDP',
  'ICMP',
  'Running',
  'Succeeded',
  'Bogus',
  '10.0.1.5',
  '10.0.1.6',
  '010.0.1.5',
  '10.0.1.256',
  '0.0.0.0',
  '255.255.255.255',
  '1.2.3',
  '1.2.3.4.5',
  '1..2.3',
  '1.2.3.04',
  '1.2.3.4 ',
  '1.2.3.',
  '1000.2.3.4',
  'fd00::5',
  'fd00::6',
  '::ffff:10.0.1.5',
  0,
  1,
  80,
  65535,
  65536,
  1.5,
  Number.NaN,
  true,
  false,
  [],
  {},
  { ip: '10.0.1.7' },
  { ip: 'fd00::7' },
  [{ ip: '10.0.1.5' }],
  [{ containerPort: 80 }],
  [{ name: 'c', ports: [{ containerPort: 80, name: 'web' }] }],
  { app: 'x' },
  { 'bad key!': 'x' },
  { app: null },
  { app: 3 },
  OWNER,
  { ...OWNER, controller: false },
  { ...OWNER, kind: '' },
  [OWNER],
  [OWNER, { ...OWNER, name: 'other' }],
  [{ ...OWNER, kind: 'Node' }],
  ...NOT_JSON,
];

describe('the lean path for single objects', () => {
  test('every object of the fixtures and examples: lean = loading, and apply reports what loading reports', () => {
    const objects = fixtureObjects();
    expect(objects.length).toBeGreaterThan(100);
    let taken = 0;
    for (const o of objects) if (check(o)) taken++;
    expect(taken).toBeGreaterThan(10); // the fixtures' Pods and Namespaces
  });

  test('the generator’s pods and namespaces all take the lean path, with loading’s model', () => {
    const c = syntheticCluster({ pods: 300, policies: 10, seed: 3 });
    for (const p of c.pods) expect(check(podDoc(p))).toBe(true);
    for (const n of c.namespaces) expect(check(namespaceDoc(n))).toBe(true);
    expect(check(BASE)).toBe(true);
  });

  test('every field the loader reads, with every value kind: the lean path never takes what loading warns about or refuses', () => {
    let taken = 0;
    for (const path of FIELDS) for (const v of VALUES) if (check(variant(path, v))) taken++;
    expect(taken).toBeGreaterThan(50);
  });

  test('fuzzed: several fields changed at once', () => {
    const change = fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...VALUES));
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 4 }), fc.boolean(), (changes, asNamespace) => {
        let o: unknown = asNamespace ? namespaceDoc({ name: 'team-a', labels: { team: 'a' } }) : BASE;
        for (const [path, v] of changes) o = variant(path, v, o);
        check(o);
      }),
      { numRuns: runs(300) },
    );
  });

  test('the model holds nothing of the caller’s object: changing it later changes nothing', () => {
    const o = clone(BASE) as { metadata: { labels: Record<string, string> } };
    const fast = fastModel(o, OPTIONS)!;
    o.metadata.labels['app'] = 'changed';
    expect(fast.model.labels?.['app']).toBe('web');
  });
});
