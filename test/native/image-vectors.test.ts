// The native side of the image invariants: the addon's validate() refuses every corrupt image
// of the shared vectors with the same words as the JS validator; no image it refuses is served
// by the JS kernel; random byte flips are refused by both or answered alike by both.
// Registered only with the addon loaded (as native.test.ts); without it, one test says so.
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { ImageDataplane, ImageError, Kernel, nativeStatus, validateImage } from '@netpol/core';
import { HEADER, HEADER_WORDS, SECTION_ELEMENT, SECTIONS } from '../../packages/core/src/compile/layout.js';
import { nativeBinding } from '../../packages/core/src/native/loader.js';
import { encodeBatch, runs } from '../helpers.js';
import { validImage, vectorFlows, vectors } from '../compiled/image-vectors.js';

const binding = nativeBinding();

/** What the JS validator says of `image` ("" when it accepts it), without the "netpol image: " prefix. */
function jsProblem(image: ArrayBuffer): string {
  try {
    validateImage(image);
    return '';
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    return e.message.replace(/^netpol image: /, '');
  }
}

if (!binding)
  describe('image invariants without the addon', () => {
    test('the addon is not loaded, and says why (the vectors run against JS in test/compiled)', () => {
      expect(nativeStatus()).toMatchObject({ active: false, reason: expect.any(String) });
    });
  });

if (binding)
  describe('image invariants: native and JS agree', () => {
    /** What the addon says of `image` ("" when it accepts it), in both load modes, which must agree. */
    const nativeProblem = (image: ArrayBuffer): string => {
      const said = [true, false].map((copy) => {
        try {
          binding.loadImage(new Uint8Array(image), copy);
          return '';
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
          return (e as Error).message.replace(/^netpol image rejected: /, '');
        }
      });
      expect(said[1]).toBe(said[0]);
      return said[0]!;
    };

    test.each(vectors.map((v) => [v.name, v] as const))('%s: both refuse, in the same words', (_name, v) => {
      const image = v.image();
      const native = nativeProblem(image);
      expect(native.startsWith(`${v.invariant}: `)).toBe(true);
      expect(native).toBe(jsProblem(image));
    });

    test('an unaligned view is refused natively (the one invariant JS cannot meet)', () => {
      const bytes = new Uint8Array(validImage.byteLength + 1);
      bytes.set(new Uint8Array(validImage), 1);
      expect(() => binding.loadImage(bytes.subarray(1), false)).toThrow(/^netpol image rejected: alignment: /);
    });

    test("no JS fallback: an image the addon refuses is refused by ImageDataplane in 'auto' mode too", () => {
      // An image JS accepts but the addon refuses (an addon for another format, or the two
      // validators disagreeing) must not be answered by the JS kernel.
      const spy = vi.spyOn(binding, 'loadImage').mockImplementation(() => {
        throw new RangeError('netpol image rejected: version: header[1] = 2 (expected 3)');
      });
      try {
        expect(() => new ImageDataplane(validImage)).toThrow(/the native kernel refused the image: netpol image rejected: version/);
        expect(() => new ImageDataplane(validImage, { native: 'require' })).toThrow(/refused the image/);
        expect(new ImageDataplane(validImage, { native: 'off' }).nativeActive).toBe(false); // native not asked
      } finally {
        spy.mockRestore();
      }
    });

    test('with the addon, the JS kernel is validated on first use: bytes the addon accepted but JS refuses are never answered by JS', () => {
      // The addon's validation decides at construction; the JS kernel (single verdicts, small
      // batches) validates when first used. Simulate the two validators disagreeing: the addon
      // accepts a corrupt image, the JS side must still refuse it rather than answer.
      const corrupt = vectors[vectors.length - 1]!;
      const spy = vi.spyOn(binding, 'loadImage').mockImplementation(() => ({}));
      try {
        const dp = new ImageDataplane(corrupt.image());
        expect(dp.nativeActive).toBe(true);
        expect(() => dp.kernel).toThrow(ImageError);
        expect(() => dp.verdict(vectorFlows[0]!)).toThrow(new RegExp(`${corrupt.invariant}: `));
      } finally {
        spy.mockRestore();
      }
      // Without the disagreement, the lazily built kernel answers as an eagerly built one.
      const lazy = new ImageDataplane(validImage);
      const eager = new ImageDataplane(validImage, { native: 'off' });
      for (const f of vectorFlows) expect(lazy.verdictCode(f)).toBe(eager.verdictCode(f));
    });

    test('a corrupt image gives no ImageDataplane, in any native mode (F4: it answered "allowed")', () => {
      for (const v of vectors) {
        for (const native of ['auto', 'require', 'off'] as const)
          expect(() => new ImageDataplane(v.image(), { native })).toThrow(new RegExp(`${v.invariant}: `));
      }
    });

    test('random byte flips: refused by both with the same words, or answered alike by both kernels', () => {
      // Name classes too, every one the image has and the first it does not (0x80).
      const h = new Uint32Array(validImage, 0, HEADER_WORDS);
      const batch = { ...encodeBatch(vectorFlows), nameClass: Uint16Array.from(vectorFlows, (_, i) => i % (h[HEADER.nameClassCount]! + 1)) };
      // Offsets worth flipping: the header, the sections (the lpm tries from their first chunk
      // on; the small tier sections and the entries too), anywhere. Values: small numbers,
      // counts' neighbours, any byte.
      const sections = SECTIONS.map((name, s) => ({ at: h[HEADER.sections + 2 * s]!, bytes: h[HEADER.sections + 2 * s + 1]! * SECTION_ELEMENT[name] }));
      const offset = fc.oneof(
        fc.nat(HEADER_WORDS * 4 - 1),
        ...sections.map(({ at, bytes }, s) =>
          s < 2 ? fc.integer({ min: at + 65536 * 4, max: at + bytes - 1 }) : fc.integer({ min: at, max: at + bytes - 1 }),
        ),
        fc.integer({ min: sections[0]!.at + 0x0a00 * 4, max: sections[0]!.at + 0x0a00 * 4 + 3 }), // the 10.0/16 root slot
        fc.nat(validImage.byteLength - 1),
      );
      const value = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2, 0x80, 0xff));
      let refused = 0;
      let accepted = 0;
      fc.assert(
        fc.property(fc.array(fc.tuple(offset, value), { minLength: 1, maxLength: 4 }), (flips) => {
          const image = validImage.slice(0);
          const bytes = new Uint8Array(image);
          for (const [at, v] of flips) bytes[at] = v;
          const problem = nativeProblem(image);
          expect(problem).toBe(jsProblem(image));
          if (problem) {
            refused++;
            expect(() => new ImageDataplane(image)).toThrow(problem);
            return;
          }
          accepted++;
          // Accepted: the JS kernel, the native kernel on a private copy and the native kernel
          // reading the bytes with per-index checks (0x80 on any index out of range) agree.
          const js = new Uint8Array(batch.count);
          new Kernel(image).verdictBatch(batch, js);
          for (const copy of [true, false]) {
            const out = new Uint8Array(batch.count);
            binding.verdictBatch(
              binding.loadImage(new Uint8Array(image), copy),
              batch.src,
              batch.dst,
              batch.protocol,
              batch.port,
              out,
              batch.count,
              batch.family,
              batch.flags,
              batch.nameClass,
            );
            expect([...out]).toEqual([...js]);
          }
        }),
        { numRuns: runs(400) },
      );
      // Both outcomes were exercised.
      expect(refused).toBeGreaterThan(0);
      expect(accepted).toBeGreaterThan(0);
    });
  });
