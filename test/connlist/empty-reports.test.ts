// A connlist report that comes out empty (or narrower than asked) says why on stderr instead of
// printing nothing with exit 0: an input without workloads or pods (a wrong path, a directory
// whose manifests sit in subdirectories), a focus namespace or focus peer that matches nothing;
// --focus-workload-peer without --focus-workload is a usage error (it would be ignored); focus
// names take the endpoint name a report prints; --dir/--dirpath recurse as netpol-analyzer's.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { connectivity } from '../../packages/core/src/analysis/connectivity.js';
import { cluster, runCli } from '../helpers.js';

const repo = join(import.meta.dirname, '../..');
const OB_DIR = join(repo, 'test/fixtures/online-boutique');
const OB = ['-f', join(OB_DIR, 'manifests'), '-f', join(OB_DIR, 'network-policies')];
const NO_ENDPOINT = 'warning: no workloads or pods in the input: there is no endpoint to report on';

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i}]}
`;

describe('connectivity() warnings', () => {
  test('no workload or pod: a warning (policies alone have nothing to connect)', () => {
    const policyOnly = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
`;
    const r = connectivity(cluster(policyOnly));
    expect([...r.connections()]).toEqual([]);
    expect(r.warnings).toEqual(['no workloads or pods in the input: there is no endpoint to report on']);
    expect(connectivity(cluster(WEB)).warnings).toEqual([]);
  });

  test('a focus namespace or focus peer matching nothing is named', () => {
    const r = connectivity(cluster(WEB), { focusWorkload: ['web'], focusWorkloadPeer: ['nothing'], focusNamespace: ['shop', 'nowhere'] });
    expect([...r.connections()]).toEqual([]);
    expect(r.warnings).toEqual(['focus workload peer nothing: no such workload in the input', 'focus namespace nowhere: no workload or pod in this namespace']);
  });

  test('a focus name may be the endpoint name a report prints, namespace/name[Kind]', () => {
    const full = connectivity(cluster(WEB), { focusWorkload: ['shop/web[Deployment]'] });
    expect(full.warnings).toEqual([]);
    expect([...full.connections()].map((c) => `${c.src.name} => ${c.dst.name}`)).toEqual([
      '0.0.0.0-255.255.255.255[External] => shop/web[Deployment]',
      'shop/web[Deployment] => 0.0.0.0-255.255.255.255[External]',
    ]);
    expect(connectivity(cluster(WEB), { focusWorkload: ['shop/web[StatefulSet]'] }).warnings).toEqual([
      'focus workload shop/web[StatefulSet]: no such workload in the input',
    ]);
  });
});

describe('netpol connlist', () => {
  test('an empty file, or policies without workloads: exit 0, nothing printed, and a warning saying why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-empty-'));
    writeFileSync(join(dir, 'empty.yaml'), '');
    const empty = await runCli('connlist', '-f', join(dir, 'empty.yaml'));
    expect(empty).toEqual({ code: 0, out: [], err: [NO_ENDPOINT] });
    const policies = await runCli('connlist', '-f', join(OB_DIR, 'network-policies'));
    expect(policies.code).toBe(0);
    expect(policies.out).toEqual([]);
    expect(policies.err).toContain(NO_ENDPOINT);
  });

  test('--dir and --dirpath read subdirectories (netpol-analyzer walks them); -f without -R does not, and the warning says so', async () => {
    const root = mkdtempSync(join(tmpdir(), 'netpol-tree-'));
    mkdirSync(join(root, 'deploy'));
    cpSync(join(OB_DIR, 'manifests'), join(root, 'deploy/manifests'), { recursive: true });
    cpSync(join(OB_DIR, 'network-policies'), join(root, 'deploy/policies'), { recursive: true });
    const want = await runCli('connlist', ...OB);
    expect(want.out.length).toBeGreaterThan(30);
    for (const flag of ['--dir', '--dirpath']) expect((await runCli('connlist', flag, root)).out).toEqual(want.out);
    expect((await runCli('connlist', '-f', root, '-R')).out).toEqual(want.out);
    const shallow = await runCli('connlist', '-f', root);
    expect(shallow.out).toEqual([]);
    expect(shallow.err).toContain(NO_ENDPOINT);
  });

  test('--focus-namespace naming no namespace of the input: a warning, not a silent empty report', async () => {
    const r = await runCli('connlist', ...OB, '--focus-namespace', 'nowhere');
    expect(r.code).toBe(0);
    expect(r.out).toEqual([]);
    expect(r.err).toContain('warning: focus namespace nowhere: no workload or pod in this namespace');
  });

  test('--focus-workload-peer without --focus-workload is a usage error, for connlist and diff', async () => {
    for (const args of [
      ['connlist', ...OB],
      ['diff', join(OB_DIR, 'manifests'), join(OB_DIR, 'manifests')],
    ]) {
      const r = await runCli(...args, '--focus-workload-peer', 'cartservice');
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err.join('\n')).toMatch(/--focus-workload-peer needs --focus-workload/);
    }
  });

  test('--focus-workload takes a name copied from a report line', async () => {
    const byName = await runCli('connlist', ...OB, '--focus-workload', 'cartservice');
    const byEndpoint = await runCli('connlist', ...OB, '--focus-workload', 'default/cartservice[Deployment]');
    expect(byEndpoint.out).toEqual(byName.out);
    expect(byEndpoint.out).toContain('default/frontend[Deployment] => default/cartservice[Deployment] : TCP 7070');
    expect(byEndpoint.err.join('\n')).not.toMatch(/focus workload/);
  });
});

describe('netpol diff', () => {
  test('a side without workloads or pods (a wrong path) is named in a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-emptyside-'));
    writeFileSync(join(dir, 'empty.yaml'), '');
    const r = await runCli('diff', join(dir, 'empty.yaml'), join(OB_DIR, 'manifests'));
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('Connectivity diff:');
    expect(r.err).toContain(`dir1: ${NO_ENDPOINT}`);
    expect(r.err.filter((l) => l.startsWith('dir2: warning: no workloads'))).toEqual([]);
  });
});

describe('netpol matrix', () => {
  test('an empty grid comes with a warning saying why (no pod or workload, or none in the --in namespace)', async () => {
    const policies = await runCli('matrix', '-f', join(OB_DIR, 'network-policies'));
    expect(policies.code).toBe(0);
    expect(policies.err).toContain('warning: the grid is empty: no pod or workload in the input (hostNetwork and finished pods are not in it)');
    // A namespace the input holds but no pod of (an unknown one is a usage error: test/cli/matrix-in.test.ts).
    const dir = mkdtempSync(join(tmpdir(), 'netpol-emptyns-'));
    writeFileSync(join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: quiet}\n');
    const elsewhere = await runCli('matrix', ...OB, '-f', join(dir, 'ns.yaml'), '--in', 'quiet');
    expect(elsewhere.err).toContain('warning: the grid is empty: no pod or workload in namespace quiet (hostNetwork and finished pods are not in it)');
    const full = await runCli('matrix', ...OB);
    expect(full.err.filter((l) => l.includes('the grid is empty'))).toEqual([]);
  });
});
