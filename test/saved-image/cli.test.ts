// `netpol compile -o` writes a saved image; `verdict --image` and `replay --image` answer from
// it exactly as from the manifests (verdict lines identical, replay's verdicts identical with
// denials naming no policy); explain and matrix refuse --image with the reason; a damaged or
// missing file, manifests beside --image, or an evaluation flag are errors (exit 2).
import { VERSION } from '../../packages/core/src/compile/layout.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadFilesOrThrow, formatIP } from '@netpol/core';
import { runCli, scratchFile } from '../helpers.js';
import { FIXTURES } from '../packet/build.js';

const repo = join(import.meta.dirname, '../..');
const ex = (p: string) => join(repo, 'examples', p);
const TIERS = ['-f', ex('cluster-tiers/cluster.yaml'), '-f', ex('cluster-tiers/guardrails')];

/** JSON Lines flows between every pair of pod addresses (and one external), on a few ports and protocols. */
function flowsFile(files: string[]): string {
  const cluster = loadFilesOrThrow(files);
  const ips = [...cluster.pods.flatMap((p) => p.ips.filter((a) => a.family === 4).map(formatIP)), '8.8.8.8'];
  const lines = ips.flatMap((src) =>
    ips.flatMap((dst) => [
      { src, dst, protocol: 'TCP', port: 80 },
      { src, dst, protocol: 'TCP', port: 5432 },
      { src, dst, protocol: 'UDP', port: 53 },
      { src, dst, protocol: 'ICMP' },
    ]),
  );
  return scratchFile('flows.jsonl', lines.map((l) => JSON.stringify(l)).join('\n'));
}

async function compiled(args: string[]): Promise<string> {
  const path = scratchFile('cluster.npimg', '');
  const r = await runCli('compile', ...args, '-o', path);
  expect(r.code, r.err.join('\n')).toBe(0);
  expect(r.out).toHaveLength(1);
  expect(r.out[0]).toMatch(
    new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: [0-9]+ bytes \\(image [0-9]+, version ${VERSION}\\), sha256 [0-9a-f]{64}$`),
  );
  return path;
}

describe('netpol compile, then --image', () => {
  test('verdict --image prints the lines verdict -f prints, cluster-scoped tiers included', async () => {
    const image = await compiled(TIERS);
    const flows = flowsFile(TIERS.filter((a) => a !== '-f'));
    const fromManifests = await runCli('verdict', ...TIERS, '--flows', flows);
    const fromImage = await runCli('verdict', '--image', image, '--flows', flows);
    expect(fromManifests.code).toBe(0);
    expect(fromImage).toEqual(fromManifests);
    expect(fromImage.out.some((l) => l.includes('"decidedBy"'))).toBe(true);
    expect(fromImage.out.some((l) => l.includes('"allowed":false'))).toBe(true);
    // --engine native runs every flow through the addon when it is loaded, and says why not otherwise.
    const native = await runCli('verdict', '--image', image, '--flows', flows, '--engine', 'native');
    if (native.code === 0) expect(native.out).toEqual(fromManifests.out);
    else expect(native.err.join('\n')).toMatch(/error: native: .*native kernel was required/);
  });

  test('the evaluation options are compiled in: compile --allow-egress-to-local-node gives verdict -f --allow-egress-to-local-node', async () => {
    const files = ['-f', ex('production-db/cluster.yaml'), '-f', ex('production-db/and')];
    const image = await compiled([...files, '--allow-egress-to-local-node', '--ipblock-excludes-pods']);
    const flows = flowsFile(files.filter((a) => a !== '-f'));
    const want = await runCli('verdict', ...files, '--allow-egress-to-local-node', '--ipblock-excludes-pods', '--flows', flows);
    expect(await runCli('verdict', '--image', image, '--flows', flows)).toEqual(want);
    // ... and an evaluation flag beside --image is refused rather than silently ignored.
    const r = await runCli('verdict', '--image', image, '--flows', flows, '--ipblock-excludes-pods');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--ipblock-excludes-pods: a saved image was compiled with its evaluation options/);
  });

  test('pod names cannot resolve against an image: the line says so; addresses work', async () => {
    const image = await compiled(TIERS);
    const flows = scratchFile('f.jsonl', '{"src":"ns/pod","dst":"10.0.0.1","protocol":"TCP","port":80}\n');
    const r = await runCli('verdict', '--image', image, '--flows', flows);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out[0]!).error).toMatch(/no pod ns\/pod .*a saved image holds no pod names: give addresses/);
  });

  test('replay --image: the same verdict per packet as replay -f; denials name no policy, with a warning saying why', async () => {
    const cluster = ['-f', join(FIXTURES, 'cluster.yaml'), '-f', join(FIXTURES, 'policies.yaml')];
    const image = await compiled(cluster);
    const capture = join(FIXTURES, 'demo.pcapng');
    const a = await runCli('replay', capture, ...cluster);
    const b = await runCli('replay', capture, '--image', image);
    expect(b.code).toBe(a.code);
    const strip = (l: string) => {
      const { policies: _p, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    };
    expect(b.out.map(strip)).toEqual(a.out.map(strip));
    expect(a.out.some((l) => l.includes('"allowed":false'))).toBe(true);
    expect(b.err.join('\n')).toContain('a saved image holds verdicts only');
    const r = await runCli('replay', capture, '--image', image, '--services');
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--services needs the manifests/);
  });

  test('policies of other APIs ignored at compile time stay named on every verdict line (the image does not account for them)', async () => {
    const yaml = [
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n',
      'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: l7\n  namespace: prod\nspec: {endpointSelector: {}}\n',
    ].join('---\n');
    const files = ['-f', scratchFile('cluster.yaml', yaml), '--ignore-unsupported-policies'];
    const image = await compiled(files);
    const flows = scratchFile('f.jsonl', '{"src":"10.0.0.1","dst":"10.0.0.2","protocol":"TCP","port":80}\n');
    const fromImage = await runCli('verdict', '--image', image, '--flows', flows);
    expect(JSON.parse(fromImage.out[0]!).ignoring).toEqual(['CiliumNetworkPolicy prod/l7']);
    expect(fromImage.out).toEqual((await runCli('verdict', ...files, '--flows', flows)).out);
  });

  test('explain and matrix refuse --image, saying why', async () => {
    const image = await compiled(TIERS);
    const e = await runCli('explain', '--image', image, '--src', '10.0.0.1', '--dst', '10.0.0.2');
    expect(e.code).toBe(2);
    expect(e.err[0]).toMatch(/^netpol: explain needs the policies .*a saved image answers verdicts only; give the manifests with -f/);
    const m = await runCli('matrix', '--image', image);
    expect(m.code).toBe(2);
    expect(m.err[0]).toMatch(/^netpol: matrix needs the policies/);
  });

  test('refusals: a damaged file, a missing one, a bare image, manifests beside --image, compile without -o', async () => {
    const image = await compiled(TIERS);
    const flows = scratchFile('f.jsonl', '{"src":"10.0.0.1","dst":"10.0.0.2","protocol":"TCP","port":80}\n');
    const bytes = readFileSync(image);
    bytes[bytes.length - 100]! ^= 1;
    writeFileSync(image, bytes);
    const damaged = await runCli('verdict', '--image', image, '--flows', flows);
    expect(damaged).toMatchObject({ code: 2, out: [] });
    expect(damaged.err[0]).toMatch(/^error: hash-mismatch: netpol saved image: .*the file was changed or damaged/);
    expect((await runCli('verdict', '--image', '/nonexistent.npimg', '--flows', flows)).err[0]).toMatch(/^error: io: .*nonexistent\.npimg/);
    const small = await runCli('verdict', '--image', await compiled(TIERS), '--flows', flows, '--max-image-bytes', '1000');
    expect(small.err[0]).toMatch(/^error: too-large: /);
    const both = await runCli('verdict', '--image', image, ...TIERS, '--flows', flows);
    expect(both.code).toBe(2);
    expect(both.err[0]).toMatch(/give manifests \(-f\) or a saved image \(--image\), not both/);
    const noOut = await runCli('compile', ...TIERS);
    expect(noOut.code).toBe(2);
    expect(noOut.err[0]).toMatch(/give the image file to write with -o <file>/);
    expect((await runCli('compile', '--help')).out.join('\n')).toContain('--ipblock-excludes-pods');
  });
});
