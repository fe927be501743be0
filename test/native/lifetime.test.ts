/**
 * What a native handle keeps alive, and for how long. Node runs N-API finalizers only when
 * the event loop turns, so a handle that held its image through a strong reference released
 * by its finalizer kept every image ever loaded while the caller never yielded (10k live
 * applies: arrayBuffers 5 → 555 MB), and every private copy likewise. Handles now hold their
 * view as a property, or their copy through a WeakMap entry: the GC frees the bytes with the
 * handle. The children run with --expose-gc and never yield in between.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '@netpol/core';
import { syntheticCluster } from '@netpol/core/internal';
import { nativeBinding } from '../../packages/core/src/native/loader.js';

const root = join(import.meta.dirname, '../..');
const dist = pathToFileURL(join(root, 'packages/core/dist/index.js')).href;
const fixtures = ['test/fixtures/pcap/cluster.yaml', 'test/fixtures/pcap/policies.yaml'].map((f) => join(root, f));
const binding = nativeBinding();

/** Runs `code` (with `core` imported) under --expose-gc; returns the JSON it prints last. */
function child(code: string): Record<string, number> {
  const file = join(mkdtempSync(join(tmpdir(), 'netpol-lifetime-')), 'child.mjs');
  writeFileSync(
    file,
    `const core = await import(${JSON.stringify(dist)});\nconst fixtures = ${JSON.stringify(fixtures)};\nconst ab = () => (globalThis.gc(), globalThis.gc(), process.memoryUsage().arrayBuffers);\n${code}`,
  );
  const r = spawnSync(process.execPath, ['--expose-gc', file], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

// Only what applies here is registered (nothing reported as skipped): the native handle cases
// need the addon; the live bound holds on either kernel (the child inherits NETPOL_NATIVE).
if (binding)
  describe('native handles', () => {
    it('images loaded by reference are freed by the GC with their handles, without the loop turning', () => {
      const r = child(`
      const { image } = core.compile(core.loadFiles(fixtures).cluster);
      const start = ab();
      // 300 images of 1 MiB, loaded by reference (as live copies are), each dropped at once.
      for (let i = 0; i < 300; i++) {
        const buf = new ArrayBuffer(Math.max(image.byteLength, 1 << 20));
        new Uint8Array(buf).set(new Uint8Array(image));
        new Uint32Array(buf, 8, 1)[0] = buf.byteLength; // header byteLength: the padded length
        const dp = new core.ImageDataplane(buf, { native: 'require', mutable: true });
      }
      console.log(JSON.stringify({ grown: ab() - start }));
    `);
      // Before: all 300 MiB stayed until the finalizers ran. Now at most a few survive a GC.
      expect(r['grown']).toBeLessThan(16 << 20);
    });

    it('private copies are freed by the GC with their handles, without the loop turning', () => {
      const r = child(`
      const { image } = core.compile(core.loadFiles(fixtures).cluster);
      const rss = () => (globalThis.gc(), process.memoryUsage().rss);
      const start = rss();
      for (let i = 0; i < 300; i++) new core.ImageDataplane(image, { native: 'require' }); // copy: true
      console.log(JSON.stringify({ grown: rss() - start, image: image.byteLength }));
    `);
      // Before: every copy (C++ heap, freed by a finalizer) stayed: 300 × the image. RSS keeps
      // some freed pages (the allocator's), so the bound is well above none and far below all.
      expect(r['grown']).toBeLessThan(120 * r['image']!);
    });

    it('releaseImage frees a private copy at once; the handle then refuses verdicts', () => {
      const { image } = compile(syntheticCluster({ pods: 20, policies: 4, seed: 1 }));
      const handle = binding!.loadImage(new Uint8Array(image), true);
      const one = (): void =>
        binding!.verdictBatch(handle, new Uint32Array(1), new Uint32Array(1), new Uint8Array(1), new Uint16Array(1), new Uint8Array(1), 1);
      expect(one).not.toThrow();
      binding!.releaseImage(handle);
      expect(one).toThrow(/released/);
      binding!.releaseImage(handle); // idempotent
      expect(() => binding!.releaseImage({})).toThrow(TypeError);
    });
  });

describe(`live applies (${binding ? 'native' : 'JS'} kernel)`, () => {
  it('arrayBuffers stay bounded over 3000 live applies that never yield', () => {
    const r = child(`
      const live = new core.LiveDataplane(core.readFiles(fixtures).objects);
      const pod = (i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' + (i % 50), namespace: 'demo', labels: { app: 'a' + (i % 7), v: 'v' + i } }, spec: { nodeName: 'worker' }, status: { phase: 'Running', podIP: '10.244.2.' + (i % 50) } });
      const pol = (i) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'churn' + (i % 20), namespace: 'demo' }, spec: { podSelector: { matchLabels: { v: 'v' + i } }, ingress: [{ from: [{ podSelector: { matchLabels: { v: 'v' + (i - 1) } } }], ports: [{ port: 1000 + (i % 3000) }] }] } });
      let most = 0, image = 0;
      for (let i = 0; i < 3000; i++) {
        if (!live.apply([{ op: 'apply', object: pod(i) }, { op: 'apply', object: pol(i) }]).applied) throw new Error('rejected');
        if (i % 250 === 0) { most = Math.max(most, ab()); image = Math.max(image, live.current.image.byteLength); }
      }
      console.log(JSON.stringify({ most, image }));
    `);
    // The master, the current copy, a spare and one pinned or being replaced: a few images.
    // Before: every copy ever made (about 160 MB by 3000 applies).
    expect(r['most']).toBeLessThan(8 * r['image']! + (8 << 20));
  });
});
