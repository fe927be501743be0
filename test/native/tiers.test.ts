// The native kernel with cluster-scoped tiers (image version 3): the same verdict bytes as the
// JS kernel on clusters with Admin and Baseline policies, in the batch (both address layouts,
// with and without name classes, private copy and referenced image) and single-flow paths;
// every tier decision code reached; name classes the image does not have are malformed; tier
// tables changed after load are read with checks. Registered only with the addon loaded.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CompiledDataplane,
  decodeVerdict,
  nativeStatus,
  type Cluster,
  type ClusterPolicy,
  type ClusterRule,
  type EvaluationOptions,
  type Flow,
  type Selector,
} from '@netpol/core';
import { HEADER, HEADER_WORDS, SECTIONS } from '../../packages/core/src/compile/layout.js';
import { evaluationOptionsArbitrary, scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { nativeBinding } from '../../packages/core/src/native/loader.js';
import { cluster, encodeBatch, flow, runs } from '../helpers.js';

const binding = nativeBinding();

// Flows the batch layout can carry: one family, and a port for every L4 flow.
const batchable = (f: Flow) => f.src.family === f.dst.family && (f.port !== undefined || ![6, 17, 132].includes(f.protocol));

/** encodeBatch plus each flow's name class in `dp`'s image. */
const encode = (dp: CompiledDataplane, flows: readonly Flow[]) => ({ ...encodeBatch(flows), nameClass: Uint16Array.from(flows, (f) => dp.nameClassOf(f)) });

/** Verdict bytes of the JS kernel and of the native one (private copy, then the caller's bytes with per-read checks). */
function bytes(dp: CompiledDataplane, batch: ReturnType<typeof encode> | Omit<ReturnType<typeof encode>, 'nameClass' | 'family' | 'flags'>) {
  const js = new Uint8Array(batch.count);
  dp.verdictBatchJS(batch, js);
  const native = [true, false].map((copy) => {
    const out = new Uint8Array(batch.count);
    const b = batch as Partial<ReturnType<typeof encode>> & typeof batch;
    binding!.verdictBatch(binding!.loadImage(new Uint8Array(dp.image), copy), b.src, b.dst, b.protocol, b.port, out, b.count, b.family, b.flags, b.nameClass);
    return [...out];
  });
  return { js: [...js], copy: native[0]!, referenced: native[1]! };
}

const all: Selector = { matchLabels: {}, matchExpressions: [] };
const labels = (app: string): Selector => ({ matchLabels: { app }, matchExpressions: [] });
const rule = (action: ClusterRule['action'], peers: ClusterRule['peers'], ports: ClusterRule['ports'] = [], name?: string): ClusterRule => ({
  action,
  peers,
  ports,
  ...(name && { name }),
});
const cnp = (
  name: string,
  tier: ClusterPolicy['tier'],
  priority: number,
  app: string,
  parts: Partial<Pick<ClusterPolicy, 'ingress' | 'egress'>>,
): ClusterPolicy => ({
  kind: 'ClusterNetworkPolicy',
  name,
  tier,
  priority,
  subject: { kind: 'pods', namespaceSelector: all, podSelector: labels(app) },
  ingress: parts.ingress ?? [],
  egress: parts.egress ?? [],
});
const tcp = (start: number, end = start) => ({ kind: 'range' as const, protocol: 'TCP' as const, start, end });
const pods = (app: string) => ({ kind: 'pods' as const, namespaceSelector: all, podSelector: labels(app) });

// Pods a, b, c (and d, isolated by a NetworkPolicy that admits b on 80) with hand-built
// cluster-scoped policies: Admin before NetworkPolicy, Pass skipping the Admin tier,
// Baseline after it, and a domainNames peer.
const podYaml = (app: string, i: number) => `apiVersion: v1
kind: Pod
metadata: {name: ${app}, namespace: ns, labels: {app: ${app}}}
status: {podIP: 10.0.0.${i + 1}, podIPs: [{ip: 10.0.0.${i + 1}}, {ip: 'fd00::${i + 1}'}]}
`;
const base = cluster(`${['a', 'b', 'c', 'd'].map(podYaml).join('---\n')}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: d-web, namespace: ns}
spec:
  podSelector: {matchLabels: {app: d}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: 80}]}]
`);
const tiered: Cluster = {
  ...base,
  clusterPolicies: [
    // a's egress: 22 denied to anyone (Admin), 8080 passed on to the lower tiers, TCP 443
    // accepted towards *.example.com by name, everything else to c denied at Baseline.
    cnp('guard', 'Admin', 1, 'a', {
      egress: [
        rule('Deny', [pods('b'), pods('c'), pods('d'), { kind: 'networks', networks: [{ family: 4, prefix: 0, base: 0n }] }], [tcp(22)], 'no-ssh'),
        rule('Pass', [pods('c')], [tcp(8080)], 'pass-8080'),
        rule('Accept', [{ kind: 'domainNames', domainNames: ['*.example.com'] }], [tcp(443)], 'web'),
      ],
    }),
    cnp('floor', 'Baseline', 5, 'a', { egress: [rule('Deny', [pods('c')], [], 'no-c')] }),
    // d's ingress: 9000 from a accepted over d's NetworkPolicy (Admin), which would deny it;
    // c's ingress: 80 from b accepted at Baseline.
    cnp('monitor', 'Admin', 2, 'd', { ingress: [rule('Accept', [pods('a')], [tcp(9000)])] }),
    cnp('open-c', 'Baseline', 1, 'c', { ingress: [rule('Accept', [pods('b')], [tcp(80)])] }),
  ],
};

/** IPv4 flows between the pods and an outside address on the ports the policies name, all with a name *.example.com matches. */
const gridAddresses = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '8.8.4.4'];
const grid = gridAddresses.flatMap((s) =>
  gridAddresses.flatMap((d) => [22, 80, 443, 8080, 9000].map((p) => flow(s, d, 'TCP', p, { dstName: 'www.example.com' }))),
);

if (!binding)
  describe('tiers without the addon', () => {
    test('the addon is not loaded, and says why (the JS kernel answers with tiers in test/compiled)', () => {
      expect(nativeStatus()).toMatchObject({ active: false, reason: expect.any(String) });
    });
  });

if (binding)
  describe('native kernel with tiers', () => {
    test('every tier decision code, natively as in JS, in both address families', () => {
      const dp = new CompiledDataplane(tiered, { native: 'require' });
      const named = { dstName: 'api.example.com' };
      const cases: [Flow, string, string][] = [
        [flow('10.0.0.1', '10.0.0.2', 'TCP', 22), 'admin-denied', 'not-isolated'],
        [flow('10.0.0.1', '8.8.8.8', 'TCP', 22), 'admin-denied', 'not-applicable'],
        [flow('10.0.0.1', '10.0.0.3', 'TCP', 8080), 'baseline-denied', 'not-isolated'], // passed, then Baseline
        [flow('10.0.0.1', '10.0.0.3', 'TCP', 80), 'baseline-denied', 'not-isolated'],
        [flow('10.0.0.1', '10.0.0.2', 'TCP', 80), 'not-isolated', 'not-isolated'],
        [flow('10.0.0.1', '8.8.4.4', 'TCP', 443, named), 'admin-allowed', 'not-applicable'],
        [flow('10.0.0.1', '8.8.4.4', 'TCP', 443), 'not-isolated', 'not-applicable'], // no name: no domainNames match
        [flow('10.0.0.1', '10.0.0.4', 'TCP', 9000), 'not-isolated', 'admin-allowed'], // over d's NetworkPolicy
        [flow('10.0.0.2', '10.0.0.4', 'TCP', 80), 'not-isolated', 'allowed'],
        [flow('10.0.0.2', '10.0.0.4', 'TCP', 81), 'not-isolated', 'denied'],
        [flow('10.0.0.2', '10.0.0.3', 'TCP', 80), 'not-isolated', 'baseline-allowed'],
        [flow('10.0.0.1', '10.0.0.1', 'TCP', 22), 'allowed', 'allowed'], // hairpin: exempt from every tier
        [flow('fd00::1', 'fd00::2', 'TCP', 22), 'admin-denied', 'not-isolated'],
        [flow('fd00::1', 'fd00::3', 'TCP', 8080), 'baseline-denied', 'not-isolated'],
        [flow('fd00::2', 'fd00::3', 'TCP', 80), 'not-isolated', 'baseline-allowed'],
        [flow('fd00::1', 'fd00::4', 'TCP', 9000), 'not-isolated', 'admin-allowed'],
      ];
      const flows = cases.map(([f]) => f);
      const { js, copy, referenced } = bytes(dp, encode(dp, flows));
      expect(copy).toEqual(js);
      expect(referenced).toEqual(js);
      cases.forEach(([f, egress, ingress], i) => {
        expect({ flow: i, ...decodeVerdict(copy[i]!) }).toEqual({ flow: i, allowed: !/denied/.test(egress + ingress), egress, ingress });
        expect(dp.verdictNative(f)).toEqual(decodeVerdict(copy[i]!)); // the single-flow path
      });
      // Every code 0-7 appears in some direction.
      const codes = new Set(copy.flatMap((b) => [(b >> 1) & 7, (b >> 4) & 7]));
      expect([...codes].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });

    test('the IPv4 hot loop (one word per address) with and without name classes', () => {
      const dp = new CompiledDataplane(tiered, { native: 'require' });
      const batch = {
        count: grid.length,
        src: Uint32Array.from(grid, (f) => Number(f.src.value)),
        dst: Uint32Array.from(grid, (f) => Number(f.dst.value)),
        protocol: Uint8Array.from(grid, (f) => f.protocol),
        port: Uint16Array.from(grid, (f) => f.port!),
      };
      const named = bytes(dp, { ...batch, nameClass: Uint16Array.from(grid, (f) => dp.nameClassOf(f)) } as ReturnType<typeof encode>);
      const unnamed = bytes(dp, batch);
      expect(named.copy).toEqual(named.js);
      expect(named.referenced).toEqual(named.js);
      expect(unnamed.copy).toEqual(unnamed.js);
      expect(unnamed.referenced).toEqual(unnamed.js);
      // The name makes a difference for a → outside on 443 (admin-allowed, else not-isolated).
      expect(named.copy).not.toEqual(unnamed.copy);
    });

    test('a name class the image does not have makes that flow malformed, natively as in JS', () => {
      const dp = new CompiledDataplane(tiered, { native: 'require' });
      const classes = dp.kernel.views.header[HEADER.nameClassCount]!;
      expect(classes).toBeGreaterThan(1); // the domainNames peer gives a class beside 0
      const flows = [
        flow('10.0.0.1', '8.8.4.4', 'TCP', 443),
        flow('10.0.0.1', '10.0.0.1', 'TCP', 22),
        flow('fd00::1', 'fd00::2', 'TCP', 22, { established: true }),
      ];
      for (const nameClass of [classes, classes + 1, 0xffff]) {
        const { js, copy, referenced } = bytes(dp, { ...encode(dp, flows), nameClass: new Uint16Array(flows.length).fill(nameClass) });
        expect(js).toEqual([0x80, 0x80, 0x80]); // even replies and hairpin: the batch is wrong
        expect(copy).toEqual(js);
        expect(referenced).toEqual(js);
      }
    });

    test('native = JS on fuzzed clusters with Admin and Baseline policies, every option combination', () => {
      let tieredRuns = 0;
      fc.assert(
        fc.property(
          scenarioArbitrary({ maxClusterPolicies: 5, maxFlows: 30 }),
          evaluationOptionsArbitrary,
          ({ cluster: c, flows }, opts: EvaluationOptions) => {
            const dp = new CompiledDataplane(c, { ...opts, native: 'require' });
            if ((c.clusterPolicies ?? []).length > 0) tieredRuns++;
            const ok = flows.filter(batchable);
            const { js, copy, referenced } = bytes(dp, encode(dp, ok));
            expect(copy).toEqual(js);
            expect(referenced).toEqual(js);
            ok.forEach((f, i) => expect(dp.verdictNative(f)).toEqual(decodeVerdict(js[i]!)));
          },
        ),
        { numRuns: runs(200) },
      );
      expect(tieredRuns).toBeGreaterThan(runs(200) / 4);
    });

    test('tier tables changed after load: a private copy is unaffected, a referenced image answers within bounds', () => {
      const dp = new CompiledDataplane(tiered, { native: 'require' });
      const image = dp.image.slice(0) as ArrayBuffer;
      const h = new Uint32Array(image, 0, HEADER_WORDS);
      const span = (name: (typeof SECTIONS)[number], size: number) => {
        const s = SECTIONS.indexOf(name);
        return { at: h[HEADER.sections + 2 * s]!, bytes: h[HEADER.sections + 2 * s + 1]! * size };
      };
      const tables = [span('tierEgressMatrix', 2), span('tierIngressMatrix', 2), span('tierDecisions', 4), span('entries', 4)];
      const batch = encode(dp, grid);
      const copied = binding.loadImage(new Uint8Array(image), true);
      const referenced = binding.loadImage(new Uint8Array(image), false);
      const run = (handle: object) => {
        const out = new Uint8Array(batch.count);
        binding.verdictBatch(handle, batch.src, batch.dst, batch.protocol, batch.port, out, batch.count, batch.family, batch.flags, batch.nameClass);
        return [...out];
      };
      const before = run(copied);
      let malformed = 0;
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.constantFrom(...tables), fc.nat(), fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(0xff))), {
            minLength: 1,
            maxLength: 16,
          }),
          (flips) => {
            const bytes8 = new Uint8Array(image);
            const at = flips.map(([t, k]) => t.at + (k % t.bytes));
            const saved = at.map((i) => bytes8[i]!);
            flips.forEach(([, , v], k) => (bytes8[at[k]!] = v)); // behind the kernel's back
            expect(run(copied)).toEqual(before);
            for (const v of run(referenced)) {
              expect(v <= 0x80).toBe(true);
              if (v === 0x80) malformed++;
            }
            at.forEach((i, k) => (bytes8[i] = saved[k]!));
          },
        ),
        { numRuns: runs(300) },
      );
      expect(malformed).toBeGreaterThan(0); // some index went out of range and was caught
    });
  });
