// The native kernel's grouped IPv4 loop (run_grouped in packages/native/src/kernel.cc): taken
// for images whose lpm4, entries and matrices hold 2 MiB or more (kGroupedBytes in kernel.h),
// it must give the JS kernel's verdict bytes, reading a private copy and reading the caller's
// bytes with per-read checks, with and without name classes and reply flags, in batches whose
// length is no multiple of the group. The private copy of an image this large is the addon's
// huge-page one (addon.cc, HugePad). Registered only with the addon loaded (without it: that it
// says why).
import { describe, expect, test } from 'vitest';
import { compile, ImageDataplane, nativeStatus, type Pod } from '@netpol/core';
import { syntheticCluster } from '@netpol/core/internal';
import { HEADER, HEADER_WORDS, SECTIONS, SECTION_ELEMENT } from '../../packages/core/src/compile/layout.js';
import { Random } from '../../packages/core/src/synthetic/random.js';
import { nativeBinding } from '../../packages/core/src/native/loader.js';

const binding = nativeBinding();
/** kGroupedBytes in packages/native/src/kernel.h. */
const GROUPED_BYTES = 2 << 20;
/** kHugeFrom in packages/native/src/addon.cc: a private copy this large starts at a 2 MiB boundary inside a larger buffer. */
const HUGE_FROM = 4 << 20;

/** Bytes of the sections a verdict reads at random: what decides the native loop. */
function randomAccessBytes(image: ArrayBuffer | SharedArrayBuffer): number {
  const header = new Uint32Array(image, 0, HEADER_WORDS);
  return (['lpm4', 'entries', 'egressMatrix', 'ingressMatrix'] as const)
    .map((name) => header[HEADER.sections + 2 * SECTIONS.indexOf(name) + 1]! * SECTION_ELEMENT[name])
    .reduce((a, b) => a + b, 0);
}

if (!binding)
  describe('grouped loop without the addon', () => {
    test('the addon is not loaded, and says why (large images run on the JS kernel, tested in test/compiled)', () => {
      expect(nativeStatus()).toMatchObject({ active: false, reason: expect.any(String) });
    });
  });

if (binding)
  describe('native grouped IPv4 loop (large images)', () => {
    // A small cluster whose pods each have a /16 of their own: two trie chunks per pod make
    // the image large enough for the grouped loop and for the addon's huge-page copy while it
    // compiles in about a second.
    const base = syntheticCluster({ pods: 2200, policies: 120, clusterPolicies: 8, seed: 5 });
    let n = 0;
    const spread = (p: Pod): Pod => {
      const i = n++;
      return {
        ...p,
        ips: p.ips.map((ip) => (ip.family === 4 ? { family: 4, value: BigInt((((11 + (i >> 8)) << 24) >>> 0) + ((i & 255) << 16) + 0x0707) } : ip)),
      };
    };
    const cluster = { ...base, pods: base.pods.map((p) => (p.hostNetwork ? p : spread(p))) };
    const { image } = compile(cluster, {});
    const header = new Uint32Array(image, 0, HEADER_WORDS);
    const nameClasses = header[HEADER.nameClassCount]!;

    test('the image is large enough for the grouped loop and the huge-page copy', () => {
      expect(randomAccessBytes(image)).toBeGreaterThanOrEqual(GROUPED_BYTES);
      expect(image.byteLength).toBeGreaterThanOrEqual(HUGE_FROM);
    });

    test('native bytes = JS bytes, private copy and checked reads', () => {
      const js = new ImageDataplane(image, { native: 'off' }).kernel;
      const addresses = cluster.pods.flatMap((p) => p.ips.filter((ip) => ip.family === 4).map((ip) => Number(ip.value)));
      addresses.push(...cluster.nodes.flatMap((node) => node.ips.filter((ip) => ip.family === 4).map((ip) => Number(ip.value))));
      const r = new Random(11);
      const handles = [true, false].map((copy) => binding.loadImage(new Uint8Array(image), copy));
      const seen = new Set<number>();
      for (const count of [1, 15, 16, 17, 333, 4096]) {
        // Mostly pod and node addresses, some anywhere (a leaf at the root or one level down).
        const address = () => (r.int(0, 9) < 8 ? addresses[r.int(0, addresses.length - 1)]! : r.int(0, 0xffffffff) >>> 0);
        const batch = {
          count,
          src: Uint32Array.from({ length: count }, address),
          dst: Uint32Array.from({ length: count }, address),
          protocol: Uint8Array.from({ length: count }, () => [6, 6, 17, 132, 1][r.int(0, 4)]!),
          port: Uint16Array.from({ length: count }, () => [80, 443, 53, 8080, 5432, 9090, r.int(0, 65535)][r.int(0, 6)]!),
        };
        const flags = Uint8Array.from({ length: count }, () => (r.int(0, 9) === 0 ? 1 : 0));
        // Some classes the image does not have: those flows are malformed in both kernels.
        const nameClass = Uint16Array.from({ length: count }, () => r.int(0, nameClasses));
        for (const extra of [{}, { flags, nameClass }]) {
          const want = new Uint8Array(count);
          js.verdictBatch({ ...batch, ...extra }, want);
          for (const v of want) seen.add(v);
          for (const handle of handles) {
            const got = new Uint8Array(count);
            const e = extra as { flags?: Uint8Array; nameClass?: Uint16Array };
            binding.verdictBatch(handle, batch.src, batch.dst, batch.protocol, batch.port, got, count, undefined, e.flags, e.nameClass);
            expect([...got]).toEqual([...want]);
          }
        }
      }
      // The flows reach every kind of answer: allowed, denied by NetworkPolicy (code 1 in a
      // direction), decided by a cluster-scoped tier (codes 4-7), malformed (a name class the
      // image lacks).
      expect([...seen].some((v) => v !== 0x80 && (v & 1) === 1)).toBe(true);
      expect([...seen].some((v) => ((v >> 1) & 7) === 1 || ((v >> 4) & 7) === 1)).toBe(true);
      expect([...seen].some((v) => v !== 0x80 && (((v >> 1) & 7) >= 4 || ((v >> 4) & 7) >= 4))).toBe(true);
      expect(seen.has(0x80)).toBe(true);
    });
  });
