// Cluster-scoped policies with hostile content: any JSON value put anywhere in a generated
// ClusterNetworkPolicy/ANP/BANP never makes the loader throw, and a key no CRD knows
// (`__proto__`, `constructor`...) anywhere in a spec is always refused, never read past.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { loadObjects, type RawObject } from '@netpol/core';
import { clusterArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterPolicyDoc } from '../../packages/core/src/fuzz/to-yaml.js';
import { runs } from '../helpers.js';

type Site = { readonly holder: Record<string, unknown> | unknown[]; readonly key: string | number };

/** Every value of a document's spec, with the object or list holding it. */
function sites(v: unknown, out: Site[] = []): Site[] {
  if (typeof v !== 'object' || v === null) return out;
  for (const [k, x] of Object.entries(v)) {
    out.push({ holder: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
    sites(x, out);
  }
  return out;
}

/** Objects of a spec (where an unknown key can go). */
const objects = (v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] => {
  if (typeof v !== 'object' || v === null) return out;
  if (!Array.isArray(v)) out.push(v as Record<string, unknown>);
  for (const x of Object.values(v)) objects(x, out);
  return out;
};

const raw = (value: unknown, i: number): RawObject => ({ file: '<json>', document: i, value: value as Record<string, unknown>, locate: () => undefined });
const policyDocs = clusterArbitrary({ maxClusterPolicies: 3, maxPods: 2 }).map((c) => (c.clusterPolicies ?? []).map(clusterPolicyDoc));

describe('hostile cluster-scoped policies', () => {
  test('any JSON value at any place: the loader reports, never throws', () => {
    fc.assert(
      fc.property(policyDocs, fc.nat(), fc.jsonValue({ maxDepth: 3 }), (docs, at, value) => {
        const all = docs.flatMap((d) => sites(d['spec']));
        fc.pre(all.length > 0);
        const site = all[at % all.length]!;
        (site.holder as Record<string | number, unknown>)[site.key] = value;
        const r = loadObjects(docs.map(raw));
        for (const i of r.issues) expect(typeof i.message).toBe('string');
        if (r.cluster) expect(r.cluster.clusterPolicies ?? []).toHaveLength(docs.length);
      }),
      { numRuns: runs(300) },
    );
  });

  test('an unknown key in any spec object is refused', () => {
    fc.assert(
      fc.property(policyDocs, fc.nat(), fc.constantFrom('__proto__', 'constructor', 'toString', 'ports2', 'action '), (docs, at, key) => {
        const all = docs.flatMap((d) => objects(d['spec']));
        fc.pre(all.length > 0);
        Object.defineProperty(all[at % all.length]!, key, { value: {}, enumerable: true, writable: true, configurable: true });
        const r = loadObjects(docs.map(raw));
        expect(r.cluster).toBeUndefined();
        expect(r.issues.some((i) => i.severity === 'error')).toBe(true);
      }),
      { numRuns: runs(300) },
    );
  });
});
