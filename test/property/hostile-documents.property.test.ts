// Generated clusters written as manifests with hostile keys (`__proto__`, `constructor`...) in
// label maps and policy objects, YAML tags that are no JSON value, and non-JSON objects handed
// in directly. Whatever is accepted must mean the same after a JSON.stringify/JSON.parse round
// trip (same model, same verdicts), must keep every key, and nothing the API server's strict
// model refuses (a `__proto__` key, a tag) may be accepted. This would have caught issue 11's
// loader defects: a dropped `__proto__` key or a tag read as an empty map changes the verdicts.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { loadObjects, loadText, readText, ReferenceEvaluator, type RawObject } from '@netpol/core';
import { scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterObjects, docsToYaml } from '../../packages/core/src/fuzz/to-yaml.js';
import { runs } from '../helpers.js';

const HOSTILE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;
const BAD_TAGS = ['!!omap', '!!set', '!!timestamp', '!!binary', '!!pairs', '!custom'] as const;

type Site = { readonly map: Record<string, unknown>; readonly labels: boolean };

/** Maps a hostile key can go into: label maps anywhere, and every object of a NetworkPolicy's spec. */
function sites(docs: readonly Record<string, unknown>[]): Site[] {
  const out: Site[] = [];
  const walk = (v: unknown, key: string, inPolicySpec: boolean): void => {
    if (typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) return v.forEach((x) => walk(x, key, inPolicySpec));
    const labels = key === 'labels' || key === 'matchLabels';
    if (labels || inPolicySpec) out.push({ map: v as Record<string, unknown>, labels });
    for (const [k, x] of Object.entries(v)) walk(x, k, inPolicySpec);
  };
  for (const d of docs) if (d['kind'] === 'NetworkPolicy') walk(d['spec'], 'spec', true);
  for (const d of docs) walk(d['metadata'], 'metadata', false);
  return out;
}

/** An own property, even for `__proto__` (plain assignment would set the prototype). */
const setOwn = (map: Record<string, unknown>, key: string, value: unknown): void =>
  void Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });

const raw = (value: unknown, i: number): RawObject => ({ file: '<json>', document: i, value: value as Record<string, unknown>, locate: () => undefined });

const mutation = fc.record({
  key: fc.constantFrom(...HOSTILE_KEYS),
  site: fc.nat(),
  value: fc.constantFrom('x', 'client', 'a.b-c'),
  tag: fc.option(fc.record({ tag: fc.constantFrom(...BAD_TAGS), line: fc.nat() }), { nil: undefined }),
  nonJSON: fc.constantFrom(
    () => new Map([['a', 'x']]),
    () => new Set(['a']),
    () => new Date(0),
    () => new Uint8Array(1),
    () => NaN,
    () => ({ __proto__: { a: 'x' } }),
  ),
});

describe('hostile documents', () => {
  test('accepted manifests mean the same through JSON; __proto__ keys and tags are never accepted; non-JSON objects are refused', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), mutation, ({ cluster, flows }, m) => {
        const docs = clusterObjects(cluster) as Record<string, unknown>[];
        const all = sites(docs);
        fc.pre(all.length > 0);
        const site = all[m.site % all.length]!;
        setOwn(site.map, m.key, m.value);
        let text = docsToYaml(docs);
        if (m.tag) {
          // A tag on a `key:` line: before the value, or on the block collection that follows.
          const lines = text.split('\n');
          const candidates = lines.map((l, i) => (/^\s*(- )?[A-Za-z_][\w./-]*:( .*)?$/.test(l) ? i : -1)).filter((i) => i >= 0);
          const at = candidates[m.tag.line % candidates.length]!;
          lines[at] = lines[at]!.replace(/:( |$)/, `: ${m.tag.tag}$1`);
          text = lines.join('\n');
        }
        const loaded = loadText(text, { strict: true });
        if (m.tag) {
          expect(loaded.cluster, `${m.tag.tag} was accepted:\n${text}`).toBeUndefined();
          return;
        }
        if (m.key === '__proto__') expect(loaded.cluster, `a __proto__ key was accepted:\n${text}`).toBeUndefined();
        // The same objects through JSON.stringify/JSON.parse, and as a JSON document.
        const objects = readText(text, 'm.yaml').objects.map((o) => JSON.parse(JSON.stringify(o.value)) as unknown);
        const viaObjects = loadObjects(objects.map(raw), { strict: true });
        const viaJSON = loadText(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }), { strict: true, file: 'm.json' });
        for (const other of [viaObjects, viaJSON]) {
          expect(other.cluster === undefined).toBe(loaded.cluster === undefined);
          expect(other.issues.map((i) => [i.code, i.path])).toEqual(loaded.issues.map((i) => [i.code, i.path]));
        }
        if (loaded.cluster) {
          expect(viaObjects.cluster).toEqual(loaded.cluster);
          // No key is lost: an accepted hostile label key is in the model.
          if (site.labels) {
            const labelMaps = [
              ...loaded.cluster.pods.map((p) => p.labels),
              ...loaded.cluster.namespaces.map((n) => n.labels),
              ...loaded.cluster.policies.flatMap((p) => [
                p.podSelector.matchLabels,
                ...[...p.ingress, ...p.egress].flatMap((r) =>
                  r.peers.flatMap((x) => (x.kind === 'selector' ? [x.podSelector?.matchLabels, x.namespaceSelector?.matchLabels] : [])),
                ),
              ]),
            ];
            expect(labelMaps.some((l) => l !== undefined && Object.hasOwn(l, m.key) && l[m.key] === m.value)).toBe(true);
          }
          const a = new ReferenceEvaluator(loaded.cluster);
          const b = new ReferenceEvaluator(viaObjects.cluster!);
          for (const f of flows) expect(b.verdict(f)).toEqual(a.verdict(f));
        }
        // A non-JSON value in the same place, handed in directly, is refused.
        setOwn(site.map, m.key, m.nonJSON());
        expect(loadObjects(docs.map(raw)).cluster).toBeUndefined();
      }),
      { numRuns: runs(150) },
    );
  });
});
