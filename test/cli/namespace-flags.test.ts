// -n applies to the -f files that follow it (kubectl users write `-n stars -f deny.yaml -n client
// -f deny.yaml`); a -n after every -f applies to all of them, as before; a -n after the last -f
// once some -n came before a file applies to nothing: a usage error. A file loaded twice into one
// namespace is a duplicate that says how each copy came in rather than pointing at one line twice.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, scratchFile } from '../helpers.js';
import { podManifest } from './pod-manifest.js';

const DENY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
spec:
  podSelector: {}
  policyTypes: [Ingress]
`;

const deny = scratchFile('default-deny.yaml', DENY);
const cluster = join(dirname(deny), 'cluster.yaml');
writeFileSync(
  cluster,
  ['stars', 'client', 'default'].map((n) => `---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ${n}}\n`).join('') +
    podManifest('stars', 'server', '10.0.0.2') +
    podManifest('client', 'client', '10.0.0.1') +
    podManifest('default', 'web', '10.0.0.3'),
);

/** The namespaces whose pods default-deny isolates: each pod's ingress, asked of explain. */
async function isolated(...args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dst of ['stars/server', 'client/client', 'default/web']) {
    const r = await runCli('explain', '-f', cluster, ...args, '--src', '8.8.8.8', '--dst', dst, '--port', '80', '-o', 'json');
    expect(r.err).toEqual([]);
    if (JSON.parse(r.out[0]!).ingress !== 'not-isolated') out.push(dst.split('/')[0]!);
  }
  return out;
}

describe('-n per file', () => {
  test('one namespace-less file loaded into two namespaces', async () => {
    const r = await runCli('validate', '-f', cluster, '-n', 'stars', '-f', deny, '-n', 'client', '-f', deny);
    expect(r.err).toEqual([]);
    expect(r.out).toEqual(['valid: 3 namespaces, 3 pods, 0 nodes, 2 network policies (0 warning(s))']);
    expect(r.code).toBe(0);
    expect(await isolated('-n', 'stars', '-f', deny, '-n', 'client', '-f', deny)).toEqual(['stars', 'client']);
  });

  test('the long form and --namespace=NS count the same', async () => {
    expect(await isolated('--namespace', 'stars', '-f', deny, '--namespace=client', `--file=${deny}`)).toEqual(['stars', 'client']);
  });

  test('one -n anywhere after the files applies to all of them, as before (kubectl -n is global)', async () => {
    expect(await isolated('-f', deny, '-n', 'stars')).toEqual(['stars']);
    expect(await isolated('-n', 'client', '-f', deny)).toEqual(['client']);
    expect(await isolated('-f', deny)).toEqual(['default']);
  });

  test('files before the first -n go to default; a -n applies up to the next one', async () => {
    // -f cluster.yaml (in isolated) comes first too: its objects carry their namespaces.
    expect(await isolated('-f', deny, '-n', 'stars', '-f', scratchFile('other.yaml', DENY.replace('default-deny', 'other')))).toEqual(['stars', 'default']);
  });

  test('a -n after the last -f, once -n is positional, applies to no file: a usage error', async () => {
    const r = await runCli('validate', '-n', 'stars', '-f', deny, '-n', 'client');
    expect(r.code).toBe(2);
    expect(r.err.join('\n').split('\n')[0]).toBe(
      'netpol: -n client comes after the last -f: -n applies to the files that follow it (-n stars -f a.yaml -n client -f b.yaml); give it before the files it is for',
    );
  });

  test('every command that reads -f reads -n per file', async () => {
    const r = await runCli('connlist', '-f', cluster, '-n', 'stars', '-f', deny, '-n', 'client', '-f', deny, '-o', 'json');
    expect(r.code).toBe(0);
    const lines = JSON.parse(r.out.join('\n')) as { src: string; dst: string }[];
    // Only default/web still takes connections from the other pods.
    expect(new Set(lines.filter((l) => !l.src.includes('External') && !l.dst.includes('External')).map((l) => l.dst))).toEqual(new Set(['default/web[Pod]']));
  });
});

describe('the same file twice into one namespace', () => {
  test('a duplicate saying how each copy came in, not the same line twice', async () => {
    const r = await runCli('validate', '-n', 'stars', '-f', deny, '-f', deny);
    expect(r.code).toBe(2);
    expect(r.out[0]).toBe(
      `error: ${deny}:4 doc 0 NetworkPolicy stars/default-deny: metadata.name: Duplicate value: "stars/default-deny": NetworkPolicy stars/default-deny is loaded twice: first at ${deny}:4 (via -f #1), again via -f #2`,
    );
  });

  test('two files defining one object still name the other file', async () => {
    const copy = scratchFile('copy.yaml', DENY);
    const r = await runCli('validate', '-f', deny, '-f', copy);
    expect(r.out[0]).toBe(
      `error: ${copy}:4 doc 0 NetworkPolicy default/default-deny: metadata.name: Duplicate value: "default/default-deny": NetworkPolicy default/default-deny is also defined at ${deny}:4`,
    );
  });
});

describe('a command without -f (diff)', () => {
  test('one -n for both sides; two different ones are a usage error rather than the last winning', async () => {
    const r = await runCli('diff', deny, deny, '-n', 'stars', '-n', 'client');
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/^netpol: -n is given 2 different namespaces \(stars, client\): this command reads one, for every file/);
    expect((await runCli('diff', deny, deny, '-n', 'stars', '-n', 'stars')).code).toBe(0);
  });
});
