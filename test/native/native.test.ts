// The native kernel: present when a compiler is (CI builds it at install), equal to the JS
// kernel and to the reference on fuzzed clusters, and impossible to crash from JS.
// With NETPOL_NATIVE=0 the same file checks that everything falls back cleanly.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compile, CompiledDataplane, ImageDataplane, nativeStatus, type EvaluationOptions, type Flow } from '@netpol/core';
import { scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { HEADER } from '../../packages/core/src/compile/layout.js';
import { nativeBinding } from '../../packages/core/src/native/loader.js';
import { ReferenceEvaluator } from '../../packages/core/src/reference/evaluator.js';
import { encodeBatch, runs } from '../helpers.js';

const root = join(import.meta.dirname, '../..');
const disabled = process.env['NETPOL_NATIVE'] === '0';
const hasCompiler = spawnSync('g++', ['--version']).status === 0;

// Flows the batch layout can carry: one family, and a port for every L4 flow.
const batchable = (f: Flow) => f.src.family === f.dst.family && (f.port !== undefined || ![6, 17, 132].includes(f.protocol));

// Only the describe that applies here is registered: nothing is reported as skipped.
if (disabled)
  describe('NETPOL_NATIVE=0', () => {
    test('native acceleration is off and says so', () => {
      expect(nativeStatus()).toMatchObject({ active: false, reason: expect.stringContaining('NETPOL_NATIVE=0') });
    });
    test("native: 'require' fails with that reason; the default uses JS", () => {
      const { cluster } = fc.sample(scenarioArbitrary(), { numRuns: 1, seed: 1 })[0]!;
      expect(() => new CompiledDataplane(cluster, { native: 'require' })).toThrow(/NETPOL_NATIVE=0/);
      expect(new CompiledDataplane(cluster).nativeActive).toBe(false);
    });
    test('netpol verdict --engine native exits 2 with the reason', () => {
      const r = spawnSync(
        process.execPath,
        [join(root, 'packages/core/dist/cli/main.js'), 'verdict', '--engine', 'native', '-f', join(root, 'examples/my-ns/cluster.yaml')],
        { input: '', encoding: 'utf8', env: { ...process.env, NETPOL_NATIVE: '0' } },
      );
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('NETPOL_NATIVE=0');
    });
  });

if (!disabled)
  describe('native kernel', () => {
    test(hasCompiler ? 'a compiler is present, so the addon was built and is active' : 'no compiler: inactive, with an actionable reason', () => {
      const s = nativeStatus();
      if (hasCompiler) expect(s).toMatchObject({ active: true, version: '1' });
      else expect(s).toMatchObject({ active: false, reason: expect.stringContaining('apt-get install g++') });
    });

    if (hasCompiler)
      describe('with the addon', () => {
        const options = fc.record({
          ipBlockMatchesPods: fc.boolean(),
          allowEgressToLocalNode: fc.boolean(),
          allowIngressFromLocalNode: fc.boolean(),
          ipv4MappedAsIPv4: fc.boolean(),
          allowICMPv6NeighborDiscovery: fc.boolean(),
          initContainerPorts: fc.boolean(),
        });

        test('native batch = JS batch = reference, both layouts', () => {
          fc.assert(
            fc.property(scenarioArbitrary(), options, ({ cluster, flows }, opts: EvaluationOptions) => {
              const dp = new CompiledDataplane(cluster, opts);
              const reference = new ReferenceEvaluator(cluster, opts);
              const ok = flows.filter(batchable);
              const b = encodeBatch(ok);
              const js = new Uint8Array(b.count);
              const native = new Uint8Array(b.count);
              dp.verdictBatchJS(b, js);
              dp.verdictBatchNative(b, native);
              expect([...native]).toEqual([...js]);
              ok.forEach((f, i) => expect(native[i]! & 1).toBe(reference.verdict(f).allowed ? 1 : 0));
              // The IPv4 one-word layout takes the kernel's hot loop.
              const v4 = ok.filter((f) => f.src.family === 4 && !f.established);
              const b4 = {
                count: v4.length,
                src: Uint32Array.from(v4, (f) => Number(f.src.value)),
                dst: Uint32Array.from(v4, (f) => Number(f.dst.value)),
                protocol: Uint8Array.from(v4, (f) => f.protocol),
                port: Uint16Array.from(v4, (f) => f.port ?? f.icmpType ?? 0),
              };
              const j4 = new Uint8Array(b4.count);
              const n4 = new Uint8Array(b4.count);
              dp.verdictBatchJS(b4, j4);
              dp.verdictBatchNative(b4, n4);
              expect([...n4]).toEqual([...j4]);
            }),
            { numRuns: runs(200) },
          );
        });

        test('the default picks native for large batches only', () => {
          const { cluster } = fc.sample(scenarioArbitrary(), { numRuns: 1, seed: 2 })[0]!;
          expect(new CompiledDataplane(cluster).nativeActive).toBe(true);
          expect(new CompiledDataplane(cluster, { native: 'off' }).nativeActive).toBe(false);
        });

        const { cluster: small } = fc.sample(scenarioArbitrary(), { numRuns: 1, seed: 3 })[0]!;
        const binding = nativeBinding()!;
        const handle = (): object => binding.loadImage(new Uint8Array(compile(small).image));
        const arrays = (n: number) => ({
          src: new Uint32Array(n),
          dst: new Uint32Array(n),
          protocol: new Uint8Array(n),
          port: new Uint16Array(n),
          out: new Uint8Array(n),
        });

        test('wrong argument types are TypeErrors', () => {
          const h = handle();
          const a = arrays(4);
          expect(() => binding.verdictBatch(h, new Int32Array(4) as unknown as Uint32Array, a.dst, a.protocol, a.port, a.out, 4)).toThrow(TypeError);
          expect(() => binding.verdictBatch(h, a.src, a.dst, a.protocol, new Uint8Array(4) as unknown as Uint16Array, a.out, 4)).toThrow(TypeError);
          expect(() => binding.verdictBatch({}, a.src, a.dst, a.protocol, a.port, a.out, 4)).toThrow(TypeError);
          expect(() => binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out, '4' as unknown as number)).toThrow(TypeError);
          expect(() => binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out, 4, null, null, new Uint8Array(4) as unknown as Uint16Array)).toThrow(
            /nameClass has the wrong type/,
          );
          expect(() => binding.loadImage(new Uint16Array(8) as unknown as Uint8Array)).toThrow(TypeError);
        });

        test('short arrays and bad counts are RangeErrors, never reads past the end', () => {
          const h = handle();
          const a = arrays(4);
          expect(() => binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out, 5)).toThrow(RangeError);
          expect(() => binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out, -1)).toThrow(RangeError);
          expect(() => binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out, 1.5)).toThrow(RangeError);
          expect(() => binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out, 2, new Uint8Array(2))).toThrow(RangeError); // 4 words per address
          expect(() => binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out.subarray(0, 3), 4)).toThrow(RangeError);
          expect(() => binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out, 4, undefined, undefined, new Uint16Array(3))).toThrow(
            /nameClass is too short/,
          );
          binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out, 0); // an empty batch is fine
        });

        test('an unknown family is answered as malformed, not read', () => {
          const h = handle();
          const a = arrays(8);
          const family = Uint8Array.of(4, 6, 0, 5, 255, 4, 6, 7);
          binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out.subarray(0, 2), 2, family.subarray(0, 2));
          const out = new Uint8Array(2);
          binding.verdictBatch(h, new Uint32Array(8), new Uint32Array(8), new Uint8Array(2), new Uint16Array(2), out, 2, Uint8Array.of(0, 9));
          expect([...out]).toEqual([0x80, 0x80]);
        });

        test('corrupt images are rejected on load; random corruption never crashes', () => {
          const image = new Uint8Array(compile(small).image);
          const bad = (edit: (w: Uint32Array) => void) => {
            const copy = image.slice();
            edit(new Uint32Array(copy.buffer));
            return copy;
          };
          // One per invariant, JS beside it: image-vectors.test.ts.
          expect(() => binding.loadImage(bad((w) => void (w[0] = 0)))).toThrow(/: magic: /);
          expect(() => binding.loadImage(bad((w) => void (w[1] = 99)))).toThrow(/: version: /);
          expect(() => binding.loadImage(image.subarray(0, image.length - 64))).toThrow(/: byte-length: /);
          expect(() => binding.loadImage(bad((w) => void (w[HEADER.sections + 1] = 1 << 30)))).toThrow(/: section-bounds: /); // lpm4's element count
          fc.assert(
            fc.property(fc.array(fc.tuple(fc.nat(image.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (flips) => {
              const copy = image.slice();
              for (const [at, v] of flips) copy[at] = v;
              let h: object;
              try {
                h = binding.loadImage(copy);
              } catch (e) {
                expect(e).toBeInstanceOf(RangeError);
                return;
              }
              const a = arrays(64);
              for (let i = 0; i < 64; i++) a.src[i] = (Math.random() * 2 ** 32) >>> 0;
              binding.verdictBatch(h, a.src, a.dst, a.protocol, a.port, a.out, 64);
            }),
            { numRuns: runs(300) },
          );
        });

        test('bytes changed after load: a private copy is unaffected, a referenced image is read with checks', () => {
          const image = compile(small).image as ArrayBuffer;
          const a = arrays(256);
          for (let i = 0; i < 256; i++) (a.src[i] = (Math.random() * 2 ** 32) >>> 0), (a.dst[i] = (Math.random() * 2 ** 32) >>> 0);
          const copied = binding.loadImage(new Uint8Array(image), true);
          const referenced = binding.loadImage(new Uint8Array(image), false);
          const before = new Uint8Array(256);
          binding.verdictBatch(copied, a.src, a.dst, a.protocol, a.port, before, 256);
          fc.assert(
            fc.property(
              fc.array(fc.tuple(fc.integer({ min: 128, max: image.byteLength - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 64 }),
              (flips) => {
                const bytes = new Uint8Array(image);
                const saved = flips.map(([at]) => bytes[at]!);
                for (const [at, v] of flips) bytes[at] = v; // behind the kernel's back, after validation
                const out = new Uint8Array(256);
                binding.verdictBatch(copied, a.src, a.dst, a.protocol, a.port, out, 256);
                expect([...out]).toEqual([...before]);
                binding.verdictBatch(referenced, a.src, a.dst, a.protocol, a.port, out, 256); // must not crash or read outside
                for (const v of out) expect(v <= 0x80).toBe(true); // 0x80 alone, or two 3-bit codes and bit 0
                flips.forEach(([at], k) => (bytes[at] = saved[k]!));
              },
            ),
            { numRuns: runs(300) },
          );
        });

        test('a detached image is refused, not read (a referenced, mutable image)', () => {
          const dp = new ImageDataplane(compile(small).image, { mutable: true });
          const b = encodeBatch([]);
          dp.verdictBatchNative({ ...b, count: 0 }, new Uint8Array(0));
          structuredClone(dp.image, { transfer: [dp.image as ArrayBuffer] }); // detaches it
          expect(() => dp.verdictBatchNative(b, new Uint8Array(0))).toThrow(/detached/);
        });

        test('AddressSanitizer + UBSan run over random and corrupted images is clean', () => {
          const out = execFileSync(process.execPath, [join(root, 'packages/native/scripts/sanitize.mjs')], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          expect(out).toMatch(/^sanitize: \d+ images, \d+ batches, corrupted copies: \d+ rejected, \d+ accepted and run safely$/m);
        }, 300_000);

        test('netpol fuzz --engine native finds no disagreement', () => {
          const out = execFileSync(
            process.execPath,
            [join(root, 'packages/core/dist/cli/main.js'), 'fuzz', '--engine', 'native', '--seed', '11', '--runs', '100', '--flows', '30'],
            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
          );
          expect(out.trim()).toBe('ok: 100 runs, 3000 flows, 0 disagreements between native and reference (seed 11)');
        });
      });
  });
