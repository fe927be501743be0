// Compile once, load anywhere: a saved image loaded back (from bytes and from a file) holds
// the compiled image byte for byte and answers every flow with the compiled dataplane's
// verdict byte, on fuzzed clusters with cluster-scoped tiers and domainNames peers, under
// every evaluation option, flow by flow and in batches on both kernels (native registered
// only with the addon loaded). Its name classes are the compiled dataplane's.
import { VERSION } from '../../packages/core/src/compile/layout.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  compile,
  CompiledDataplane,
  encodeImage,
  loadImage,
  loadImageFile,
  nativeStatus,
  saveImage,
  type Cluster,
  type EvaluationOptions,
  type Flow,
} from '@netpol/core';
import { DOMAIN_PATTERNS, evaluationOptionsArbitrary, FLOW_NAMES, scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { hasPorts } from '../../packages/core/src/model/protocol.js';
import { encodeBatch, runs, scratchFile } from '../helpers.js';

/** Flows the batch layout carries: one family, a port for every L4 flow. */
const batchable = (f: Flow): boolean => f.src.family === f.dst.family && (f.port !== undefined || !hasPorts(f.protocol));

/** Clusters with tiers (domainNames peers among them) and NetworkPolicy-only ones, with options. */
const scenarios = fc.tuple(
  fc.oneof(scenarioArbitrary({ maxClusterPolicies: 4, maxFlows: 40 }), scenarioArbitrary({ maxFlows: 40 })),
  evaluationOptionsArbitrary,
);

function codes(dp: { verdictCode(f: Flow): number }, flows: readonly Flow[]): number[] {
  return flows.map((f) => {
    try {
      return dp.verdictCode(f);
    } catch {
      return -1; // mixed families: both must refuse
    }
  });
}

function roundTrip(cluster: Cluster, options: EvaluationOptions) {
  const result = compile(cluster, options);
  const compiled = new CompiledDataplane(cluster, { ...options, native: 'off' });
  const loaded = loadImage(encodeImage(result, { options }), { native: 'off' });
  return { result, compiled, loaded };
}

describe('a saved image loaded back', () => {
  test('holds the compiled image byte for byte and gives the same verdict byte for every flow, names included', () => {
    let named = 0;
    fc.assert(
      fc.property(scenarios, ([{ cluster, flows }, options]) => {
        const { result, compiled, loaded } = roundTrip(cluster, options);
        // Buffer.equals: toEqual walks a megabyte element by element, generically.
        expect(Buffer.from(loaded.image).equals(Buffer.from(result.image))).toBe(true);
        expect(codes(loaded, flows)).toEqual(codes(compiled, flows));
        for (const name of [...FLOW_NAMES, ...DOMAIN_PATTERNS.map((d) => d.replace('*', 'x'))]) expect(loaded.nameClass(name)).toBe(compiled.nameClass(name));
        named += flows.filter((f) => f.dstName !== undefined && compiled.nameClassOf(f) !== 0).length;
        const batch = flows.filter(batchable);
        const b = { ...encodeBatch(batch), nameClass: Uint16Array.from(batch, (f) => loaded.nameClassOf(f)) };
        const [want, got] = [new Uint8Array(b.count), new Uint8Array(b.count)];
        compiled.verdictBatchJS({ ...b, nameClass: Uint16Array.from(batch, (f) => compiled.nameClassOf(f)) }, want);
        loaded.verdictBatchJS(b, got);
        expect(got).toEqual(want);
      }),
      { numRuns: runs(150), seed: 17 },
    );
    // The name-class path was exercised, not only class 0.
    expect(named).toBeGreaterThan(0);
  });

  test('the same compile gives the same bytes (no timestamp, no randomness): a file can be cached and compared by hash', () => {
    const { cluster } = fc.sample(scenarioArbitrary({ maxClusterPolicies: 3 }), { numRuns: 1, seed: 3 })[0]!;
    const a = encodeImage(compile(cluster));
    const b = encodeImage(compile(cluster));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  test('through a file: saveImage then loadImageFile, info as saved, a shared buffer on request', () => {
    const [{ cluster, flows }, options] = fc.sample(scenarios, { numRuns: 1, seed: 5 })[0]!;
    const path = scratchFile('cluster.npimg', '');
    const result = compile(cluster, options);
    const info = saveImage(result, path, { options });
    const loaded = loadImageFile(path, { native: 'off', shared: true });
    expect(loaded.image).toBeInstanceOf(SharedArrayBuffer);
    expect(loaded.info).toEqual(info);
    expect(info).toMatchObject({ envelopeVersion: 1, imageVersion: VERSION, imageBytes: result.image.byteLength });
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.options).toEqual({ ...info.options, ...options });
    expect(codes(loaded, flows)).toEqual(codes(new CompiledDataplane(cluster, options), flows));
  });
});

// The native kernel over a loaded image: its batch bytes are the JS kernel's, names included.
if (nativeStatus().active) {
  describe('a saved image on the native kernel', () => {
    test('batch verdict bytes equal the JS kernel and the compiled dataplane', () => {
      fc.assert(
        fc.property(scenarios, ([{ cluster, flows }, options]) => {
          const { compiled, loaded } = roundTrip(cluster, options);
          const native = loadImage(encodeImage(compile(cluster, options)), { native: 'require' });
          expect(native.nativeActive).toBe(true);
          const batch = flows.filter(batchable);
          const b = { ...encodeBatch(batch), nameClass: Uint16Array.from(batch, (f) => loaded.nameClassOf(f)) };
          const [js, nat] = [new Uint8Array(b.count), new Uint8Array(b.count)];
          compiled.verdictBatchJS(b, js);
          native.verdictBatchNative(b, nat);
          expect(nat).toEqual(js);
          for (const f of batch) expect(native.verdictNative(f)).toEqual(compiled.verdict(f));
        }),
        { numRuns: runs(60), seed: 23 },
      );
    });
  });
}
