// A saved image holds no Services: `netpol compile` refuses input whose Services a flow can reach
// by address (a flow to the ClusterIP would otherwise be judged as going to that address, not
// DNATed to the backends, and could be allowed where the manifests deny it), unless
// --ignore-services says to go on; manifests before deployment (no addresses) compile as they are.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli, scratchFile } from '../helpers.js';

const fixtures = join(import.meta.dirname, '../fixtures/services');

test('compile refuses a running cluster with a ClusterIP Service, naming it and the way out', async () => {
  const r = await runCli('compile', '-f', join(fixtures, 'cluster.yaml'), '-o', scratchFile('svc.npimg', ''));
  expect(r.code).toBe(2);
  expect(r.out).toEqual([]);
  expect(r.err.join('\n')).toMatch(/error: the input holds Services reachable by address \(shop\/web\): a saved image holds no Services.*--ignore-services/);
});

test('with --ignore-services it compiles, and the image judges the ClusterIP as a plain address (what the flag accepts)', async () => {
  const image = scratchFile('svc-ignored.npimg', '');
  const r = await runCli('compile', '-f', join(fixtures, 'cluster.yaml'), '--ignore-services', '-o', image);
  expect(r.code, r.err.join('\n')).toBe(0);
  const flow = scratchFile('svc-flow.jsonl', '{"src":"10.0.0.3","dst":"10.96.0.10","protocol":"TCP","port":80}\n');
  // From the manifests the flow is DNATed to web-1 and web-2 and denied; the image sees only an address.
  const fromManifests = await runCli('verdict', '-f', join(fixtures, 'cluster.yaml'), '--flows', flow);
  expect(fromManifests.out[0]).toMatch(/"allowed":false/);
  const fromImage = await runCli('verdict', '--image', image, '--flows', flow);
  expect(fromImage.out[0]).toMatch(/"allowed":true,"egress":"not-isolated","ingress":"not-applicable"/);
});

test('Services without addresses (manifests before deployment, headless, ExternalName) do not stop compile', async () => {
  const r = await runCli('compile', '-f', join(fixtures, 'shop.yaml'), '-o', scratchFile('shop.npimg', ''));
  expect(r.code, r.err.join('\n')).toBe(0);
});

test('compile --help says a saved image holds no Services', async () => {
  const r = await runCli('compile', '--help');
  expect(r.out.join('\n')).toMatch(/A saved image holds no Services/);
  expect(r.out.join('\n')).toMatch(/--ignore-services/);
});
