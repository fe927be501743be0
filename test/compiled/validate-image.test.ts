// The JS side of the image invariants (compile/validate-image.ts): every corrupt image of the
// shared vectors is refused naming its broken invariant, before anything answers a verdict,
// by validateImage, Kernel and ImageDataplane alike; every compiled image is accepted.
// The native side of the same vectors: test/native/image-vectors.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compile, ImageDataplane, ImageError, Kernel, validateImage } from '@netpol/core';
import { IMAGE_INVARIANTS, syntheticCluster } from '@netpol/core/internal';
import { scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { encodeBatch, runs } from '../helpers.js';
import { untested, validImage, vectorFlows, vectors } from './image-vectors.js';

/** The ImageError `f` throws (fails the test when it throws nothing or something else). */
function refusal(f: () => unknown): ImageError {
  try {
    f();
  } catch (e) {
    if (e instanceof ImageError) return e;
    throw new Error(`expected an ImageError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected an ImageError, but the image was accepted');
}

describe('image invariants (JS)', () => {
  test('the valid vector image is accepted and answers', () => {
    validateImage(validImage);
    const b = encodeBatch(vectorFlows);
    const out = new Uint8Array(b.count);
    new Kernel(validImage).verdictBatch(b, out);
    expect(out.some((v) => (v & 1) === 0)).toBe(true); // some flows are denied: the vectors can turn them around
  });

  test('every invariant has a vector', () => {
    expect(untested()).toEqual([]);
  });

  test.each(vectors.map((v) => [v.name, v] as const))('%s: refused, naming the invariant', (_name, v) => {
    const image = v.image();
    const e = refusal(() => validateImage(image));
    expect(e.invariant).toBe(v.invariant);
    expect(e.message).toMatch(new RegExp(`^netpol image: ${v.invariant}: `));
    // No verdict from any JS entry point.
    expect(refusal(() => new Kernel(image)).message).toBe(e.message);
    expect(refusal(() => new ImageDataplane(image, { native: 'off' })).message).toBe(e.message);
  });

  test('the error says where and what: section, index, value', () => {
    const leaf = vectors.find((v) => v.name === 'an lpm4 leaf past entryCount')!;
    const e = refusal(() => new Kernel(leaf.image()));
    expect({ invariant: e.invariant, section: e.section, index: e.index, value: e.value }).toEqual({
      invariant: 'trie-leaf',
      section: 'lpm4',
      index: 0x0a00,
      value: 0x7fffffff,
    });
    expect(e.message).toMatch(/^netpol image: trie-leaf: lpm4\[2560\] = 2147483647 \(entryCount \d+\)$/);
    expect(e).toBeInstanceOf(RangeError);
  });

  test('every compiled image is accepted: random scenarios with every option, and a synthetic cluster', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), ({ cluster }, a, b, c, d) => {
        validateImage(
          compile(cluster, { allowEgressToLocalNode: a, allowIngressFromLocalNode: b, ipv4MappedAsIPv4: c, allowICMPv6NeighborDiscovery: d }).image,
        );
      }),
      { numRuns: runs(100) },
    );
    validateImage(compile(syntheticCluster({ pods: 500, policies: 50, dualStack: 0.5, seed: 4 })).image);
  });

  test('IMAGE.md lists every invariant by name', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../packages/core/src/compile/IMAGE.md'), 'utf8');
    for (const name of Object.keys(IMAGE_INVARIANTS)) expect(doc).toContain(`| \`${name}\` |`);
  });
});
