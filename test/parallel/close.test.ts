/**
 * VerdictPool.close() never takes the process down: closing while workers are inside the
 * native addon's loadImage or verdictBatch used to abort it (node-addon-api's fatal error
 * when napi_throw fails in a terminating worker), and `await pool.close()` as a program's
 * last statement used to leave the promise unsettled (exit code 13). Both are races, so each
 * child process repeats them many times; the children run the built package.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const dist = pathToFileURL(join(root, 'packages/core/dist/index.js')).href;
const fixtures = ['test/fixtures/pcap/cluster.yaml', 'test/fixtures/pcap/policies.yaml'].map((f) => join(root, f));

function runChild(code: string): { status: number | null; output: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'netpol-close-')), 'child.mjs');
  writeFileSync(file, `const core = await import(${JSON.stringify(dist)});\nconst fixtures = ${JSON.stringify(fixtures)};\n${code}`);
  const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Runs `races` with `image` (the fixture's, shared) in a child: it must finish, exit 0, never abort. */
function expectSurvived(races: string): void {
  const r = runChild(`const { image } = core.compile(core.loadFiles(fixtures).cluster, { shared: true });\n${races}\nconsole.log('survived');`);
  expect(r.output).not.toContain('FATAL ERROR');
  expect(r.output).toContain('survived');
  expect(r.status).toBe(0);
}

describe('VerdictPool.close()', () => {
  it('closing while workers load images (native loadImage) never aborts the process', () => {
    expectSurvived(`
      for (let i = 0; i < 30; i++) {
        const pool = await core.VerdictPool.create({ workers: 2 });
        await pool.addImage(1, image);
        const adds = [];
        for (let k = 2; k < 12; k++) adds.push(pool.addImage(k, image, { mutable: k % 2 === 0 }).catch(() => {}));
        await new Promise((r) => setImmediate(r));
        await pool.close();
        await Promise.all(adds);
      }
    `);
  });

  it('closing while workers run a batch rejects the batch and never aborts the process', () => {
    expectSurvived(`
      const n = 400000;
      const batch = { count: n, src: new Uint32Array(n).fill(0x0af4010b), dst: new Uint32Array(n).fill(0x0af40114), protocol: new Uint8Array(n).fill(6), port: new Uint16Array(n).fill(8080) };
      for (let i = 0; i < 20; i++) {
        const pool = await core.VerdictPool.create({ workers: 2 });
        await pool.addImage(1, image);
        const p = pool.verdictBatch(1, batch);
        await new Promise((r) => setTimeout(r, i % 5));
        const closing = pool.close();
        await p.catch(() => {}); // rejected by the close (a handler before awaiting it)
        await closing;
      }
    `);
  });

  it('await pool.close() as the last statement settles (the process exits 0, not 13)', () => {
    // Each run: a live dataplane whose applies remove images in the background, then close.
    for (let run = 0; run < 8; run++) {
      const r = runChild(`
        const pool = await core.VerdictPool.create({ workers: 2 });
        const live = new core.LiveDataplane(core.readFiles(fixtures).objects, { pool });
        for (let i = 0; i < 4; i++) live.apply([{ op: 'apply', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' + i } } }]);
        await pool.close();
        console.log('closed');
      `);
      expect(r.output).toContain('closed');
      expect(r.status).toBe(0);
    }
  });
});
