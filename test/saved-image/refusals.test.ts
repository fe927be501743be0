// A saved image is refused, never served, when anything about it is off: each check has its
// SavedImageError code (truncated, trailing bytes, wrong magic, other envelope or image
// version, reserved bytes, a flipped byte anywhere → hash mismatch, too large, metadata that
// is not what this version writes, name classes that do not fit, an image invariant broken
// under a valid hash, the native kernel required but absent). From bytes and from files
// alike; random damage only ever gives a SavedImageError; explain says why it cannot.
import { VERSION } from '../../packages/core/src/compile/layout.js';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  compile,
  decodeImage,
  encodeImage,
  ImageError,
  loadImage,
  loadImageFile,
  readImageFile,
  SavedImageError,
  type SavedImageErrorCode,
} from '@netpol/core';
import { HEADER } from '../../packages/core/src/compile/layout.js';
import { scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { runs, scratchFile } from '../helpers.js';

// A cluster with tiers and domainNames peers, so that the metadata has a names table.
const [scenario] = fc.sample(
  scenarioArbitrary({ maxClusterPolicies: 4 }).filter((s) =>
    (s.cluster.clusterPolicies ?? []).some((p) => p.egress.some((r) => r.peers.some((x) => x.kind === 'domainNames'))),
  ),
  { numRuns: 1, seed: 11 },
);
const result = compile(scenario!.cluster);
const good = encodeImage(result);
const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const metaLength = u32(good, 16);
const imageAt = 64 + metaLength;

/** A copy of `b` with `edit` applied, the hash computed again (the damage is then behind a valid hash). */
function resealed(edit: (b: Uint8Array) => void, from: Uint8Array = good): Uint8Array {
  const b = from.slice();
  edit(b);
  const meta = u32(b, 16);
  b.set(
    createHash('sha256')
      .update(b.subarray(0, 32))
      .update(b.subarray(64, 64 + meta))
      .update(b.subarray(64 + meta))
      .digest(),
    32,
  );
  return b;
}

/** The saved image with its metadata replaced by `json` (padded), resealed. */
function withMetadata(json: unknown): Uint8Array {
  let text = Buffer.from(JSON.stringify(json));
  const padded = Math.ceil(text.length / 64) * 64;
  text = Buffer.concat([text, Buffer.alloc(padded - text.length, 0x20)]);
  const b = new Uint8Array(64 + padded + result.image.byteLength);
  b.set(good.subarray(0, 64));
  new DataView(b.buffer).setUint32(16, padded, true);
  b.set(text, 64);
  b.set(new Uint8Array(result.image), 64 + padded);
  return resealed(() => {}, b);
}
const metadata = JSON.parse(Buffer.from(good.subarray(64, imageAt)).toString()) as Record<string, unknown>;

/** The code the decoder refuses `bytes` with, from memory and from a file (the same, or the test fails). */
function refusal(bytes: Uint8Array, options: { maxBytes?: number } = {}): SavedImageErrorCode {
  const code = (f: () => unknown): SavedImageErrorCode => {
    try {
      f();
    } catch (e) {
      expect(e, String(e)).toBeInstanceOf(SavedImageError);
      expect((e as Error).message).toMatch(/^netpol saved image: /);
      return (e as SavedImageError).code;
    }
    throw new Error('accepted');
  };
  const fromBytes = code(() => loadImage(bytes, { ...options, native: 'off' }));
  const fromFile = code(() => loadImageFile(scratchFile('x.npimg', bytes), { ...options, native: 'off' }));
  expect(fromFile).toBe(fromBytes);
  return fromBytes;
}

describe('a saved image is refused', () => {
  test('the intact one loads (the base of every case below)', () => {
    expect(loadImage(good, { native: 'off' }).info.nameClasses).toBeGreaterThan(1);
  });

  test.each([
    ['empty', 0],
    ['inside the magic', 5],
    ['inside the header', 40],
    ['after the header', 64],
    ['inside the metadata', 64 + 10],
    ['inside the image header', imageAt + 100],
    ['one byte short', good.length - 1],
  ])('cut short (%s): truncated', (_, length) => {
    expect(refusal(good.subarray(0, length))).toBe('truncated');
  });

  test('bytes after the image: trailing-bytes', () => {
    expect(refusal(Uint8Array.from([...good, 0]))).toBe('trailing-bytes');
    expect(refusal(Buffer.concat([good, good]))).toBe('trailing-bytes');
  });

  test('not a saved image: magic (a bare image, text, garbage)', () => {
    expect(refusal(new Uint8Array(result.image))).toBe('magic');
    expect(refusal(Buffer.from('apiVersion: v1\nkind: Pod\n'))).toBe('magic');
    expect(refusal(Buffer.from('\x89NPIM\n\x1a'))).toBe('magic'); // CR LF mangled to LF
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => {
        fc.pre(bytes[0] !== 0x89);
        expect(refusal(bytes)).toBe('magic');
      }),
      { numRuns: runs(20) },
    );
  });

  test('another envelope version, another image version: named as such before anything else', () => {
    const v = (at: number, value: number) =>
      resealed((b) => {
        new DataView(b.buffer).setUint32(at, value, true);
      });
    expect(refusal(v(8, 2))).toBe('envelope-version');
    expect(refusal(v(12, 2))).toBe('image-version');
    expect(() => loadImage(v(12, VERSION + 1))).toThrow(
      new RegExp(`image version ${VERSION + 1}, this netpol \\(.*\\) reads version ${VERSION}: compile the manifests again`),
    );
    // A file a version 4 netpol saved (64-byte entries): refused by its version, never read as version 5.
    const v4 = resealed((b) => {
      new DataView(b.buffer).setUint32(12, 4, true);
      new DataView(b.buffer).setUint32(imageAt + 4, 4, true);
    });
    expect(refusal(v4)).toBe('image-version');
    expect(() => loadImage(v4)).toThrow(/image version 4, this netpol \(.*\) reads version 5: compile the manifests again/);
  });

  test('reserved bytes set, sizes that cannot be: envelope', () => {
    expect(refusal(resealed((b) => void (b[24] = 1)))).toBe('envelope');
    expect(refusal(resealed((b) => void (b[31] = 1)))).toBe('envelope');
    // A metadata length that is not a multiple of 64; an image length below the image header.
    expect(refusal(resealed((b) => new DataView(b.buffer).setUint32(16, metaLength + 1, true)))).toBe('envelope');
    expect(refusal(resealed((b) => new DataView(b.buffer).setUint32(20, 100, true)))).toBe('envelope');
  });

  test('larger than the cap: too-large, before the rest is read', () => {
    expect(refusal(good, { maxBytes: good.length - 1 })).toBe('too-large');
    expect(loadImage(good, { maxBytes: good.length, native: 'off' }).info.totalBytes).toBe(good.length);
    // A header declaring more than the cap is refused as such even when the bytes are short.
    const huge = resealed((b) => new DataView(b.buffer).setUint32(20, 0xfffffffc, true));
    expect(refusal(huge)).toBe('too-large');
    expect(() => loadImage(good, { maxBytes: 0 })).toThrow(RangeError);
  });

  test('one flipped bit anywhere in the hashed bytes (header, hash, metadata, image): hash-mismatch, never a verdict', () => {
    const positions = [...Array.from({ length: 32 }, (_, i) => 32 + i), 70, imageAt - 1, imageAt, imageAt + 8, imageAt + 200, good.length - 1];
    for (let at = imageAt; at < good.length; at += 4099) positions.push(at);
    for (const at of positions) {
      const b = good.slice();
      b[at]! ^= 1 << (at & 7);
      expect(refusal(b), `byte ${at}`).toBe('hash-mismatch');
    }
  });

  test('random damage (flips, cuts, insertions) gives a SavedImageError and nothing else', () => {
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat({ max: good.length - 1 }), bit: fc.nat({ max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat({ max: good.length - 1 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat({ max: good.length }), byte: fc.nat({ max: 255 }) }),
    );
    fc.assert(
      fc.property(damage, (d) => {
        const b =
          d.kind === 'flip'
            ? good.slice()
            : d.kind === 'cut'
              ? good.slice(0, d.at)
              : Uint8Array.from([...good.subarray(0, d.at), d.byte, ...good.subarray(d.at)]);
        if (d.kind === 'flip') b[d.at]! ^= 1 << d.bit;
        expect(() => decodeImage(b)).toThrow(SavedImageError);
      }),
      { numRuns: runs(40), seed: 2 },
    );
  });

  test('metadata this version does not write: metadata', () => {
    // The rewrite itself is sound: the same metadata rewritten loads.
    expect(loadImage(withMetadata(metadata), { native: 'off' }).info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(refusal(withMetadata({ ...metadata, future: true }))).toBe('metadata');
    expect(refusal(withMetadata({ ...metadata, netpol: 7 }))).toBe('metadata');
    expect(refusal(withMetadata([]))).toBe('metadata');
    expect(refusal(withMetadata({ ...metadata, options: { ipBlockMatchesPods: 'yes' } }))).toBe('metadata');
    const names = metadata['names'] as { peers: { id: number; names: string[] }[]; classes: number[][] };
    expect(refusal(withMetadata({ ...metadata, names: { ...names, peers: [...names.peers, names.peers[0]] } }))).toBe('metadata'); // duplicate id
    expect(refusal(withMetadata({ ...metadata, names: { ...names, classes: [[0], ...names.classes.slice(1)] } }))).toBe('metadata'); // class 0 not empty
    expect(refusal(withMetadata({ ...metadata, names: { ...names, classes: [[], [999]] } }))).toBe('metadata'); // unknown peer
    // Not JSON, not UTF-8.
    expect(refusal(resealed((b) => void (b[64] = 0x7b + 1)))).toBe('metadata');
    expect(refusal(resealed((b) => void (b[65] = 0xff)))).toBe('metadata');
  });

  test('options that disagree with the header flags: metadata', () => {
    const opts = {
      ipBlockMatchesPods: true,
      allowIngressFromLocalNode: true,
      allowEgressToLocalNode: true,
      initContainerPorts: true,
      ipv4MappedAsIPv4: false,
      allowICMPv6NeighborDiscovery: false,
    };
    expect(refusal(withMetadata({ ...metadata, options: opts }))).toBe('metadata');
    expect(loadImage(withMetadata({ ...metadata, options: { ...opts, allowEgressToLocalNode: false } }), { native: 'off' }).info.options).toMatchObject({
      allowEgressToLocalNode: false,
    });
  });

  test('name classes that do not fit the image: name-classes', () => {
    const names = metadata['names'] as { peers: unknown[]; classes: number[][] };
    expect(refusal(withMetadata({ ...metadata, names: { ...names, classes: names.classes.slice(0, -1) } }))).toBe('name-classes');
  });

  test('an image invariant broken behind a valid hash: invalid-image, the ImageError as cause', () => {
    // An entry whose egress row (word 1) is past the matrix (found by validateImage, not by the header check).
    const entries = new DataView(good.buffer).getUint32(imageAt + (24 + 2 * 2) * 4, true);
    const bad = resealed((b) => new DataView(b.buffer).setUint32(imageAt + entries + 1 * 4, 0xffff, true));
    let caught: unknown;
    try {
      loadImage(bad, { native: 'off' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SavedImageError);
    expect((caught as SavedImageError).code).toBe('invalid-image');
    expect((caught as SavedImageError).cause).toBeInstanceOf(ImageError);
    expect((caught as Error).message).toContain('entry-row');
    // A broken image header is caught while decoding already (readImage).
    const header = resealed((b) => new DataView(b.buffer).setUint32(imageAt + HEADER.entryStride * 4, 16, true));
    expect(() => decodeImage(header)).toThrow(/entry-stride/);
  });

  test('files: missing, a directory: io, with the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-test-'));
    expect(() => loadImageFile(join(dir, 'absent.npimg'))).toThrow(expect.objectContaining({ code: 'io', message: expect.stringContaining('absent.npimg') }));
    expect(() => readImageFile(dir)).toThrow(expect.objectContaining({ code: 'io' }));
    writeFileSync(join(dir, 'ok.npimg'), good);
    expect(readImageFile(join(dir, 'ok.npimg')).info.totalBytes).toBe(good.length);
  });

  test('explain on a loaded image: no-provenance, saying what to do instead', () => {
    const dp = loadImage(good, { native: 'off' });
    expect(() => dp.explain({} as never)).toThrow(
      expect.objectContaining({ code: 'no-provenance', message: expect.stringContaining('verdicts, not explanations') }),
    );
  });

  test('options are checked like every entry point (unknown key: TypeError)', () => {
    expect(() => loadImage(good, { share: true } as never)).toThrow(TypeError);
    expect(() => encodeImage(result, { options: { ipBlockMatchPods: true } as never })).toThrow(TypeError);
    // Options that are not the image's: refused at save, not written.
    expect(() => encodeImage(result, { options: { allowEgressToLocalNode: true } })).toThrow(/allowEgressToLocalNode/);
  });
});
