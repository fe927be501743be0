// The library side of the CLI edges: loadFiles/readFiles take a namespace per file (the CLI's -n
// before -f), a raw object carries it (RawObject.defaultNamespace) and loadObjects honours it; a
// file given twice is a duplicate that names the inputs; parseFlowRecord resolves bare pod names
// in a namespace and named ports on the destination; connectivityMatrix takes row namespaces.
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, connectivityMatrix, loadFiles, loadObjects, loadTextOrThrow, parseFlow, readFiles, readText } from '@netpol/core';
import { parseFlowRecord } from '../../packages/core/src/flow/record.js';
import { scratchFile } from '../helpers.js';

const DENY = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\nspec:\n  podSelector: {}\n';
const deny = scratchFile('deny.yaml', DENY);

describe('a namespace per file', () => {
  test('loadFiles([{ path, namespace }]): one namespace-less file in two namespaces', () => {
    const r = loadFiles([{ path: deny, namespace: 'stars' }, { path: deny, namespace: 'client' }, deny], { defaultNamespace: 'other' });
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(r.cluster!.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(['stars/deny', 'client/deny', 'other/deny']);
  });

  test('readFiles marks each object with its input; loadObjects takes RawObject.defaultNamespace first', () => {
    const read = readFiles([deny, { path: deny, namespace: 'stars' }]);
    expect(read.objects.map((o) => [o.defaultNamespace, o.via])).toEqual([
      [undefined, 'input #1'],
      ['stars', 'input #2'],
    ]);
    const [text] = readText(DENY, 'text.yaml').objects;
    const r = loadObjects([{ ...text!, defaultNamespace: 'mine' }]);
    expect(r.cluster!.policies[0]!.namespace).toBe('mine');
  });

  test('an input that is neither a path nor { path, namespace? } is a TypeError', () => {
    expect(() => readFiles([{ path: deny, namespace: 7 } as never])).toThrow(
      new TypeError('readFiles: input #1 must be a path or { path: string, namespace?: string }'),
    );
  });

  test('a file of more objects than a spread passes as arguments is read (not a stack overflow)', () => {
    const items = Array.from({ length: 150_000 }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${i}` } }));
    const big = scratchFile('big.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    const read = readFiles([{ path: big, namespace: 'x' }]);
    expect(read.objects).toHaveLength(150_000);
    expect(read.objects[149_999]!.via).toBe('input #1');
  });

  test('one file twice into one namespace: a duplicate naming both inputs, not one line twice', () => {
    const r = loadFiles([deny, deny]);
    const dup = r.issues.find((i) => i.code === 'duplicate-object')!;
    expect(dup.message).toBe(
      'metadata.name: Duplicate value: "default/deny": NetworkPolicy default/deny is loaded twice: first at ' + deny + ':4 (via input #1), again via input #2',
    );
  });
});

const CLUSTER = `
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: client}
spec: {containers: [{name: c, image: i}]}
status: {phase: Running, podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: stars}
spec: {containers: [{name: c, image: i, ports: [{name: dns, containerPort: 5353, protocol: UDP}]}]}
status: {phase: Running, podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: old, namespace: stars}
spec: {containers: [{name: c, image: i}]}
status: {phase: Failed, podIP: 10.0.0.3, podIPs: [{ip: 10.0.0.3}]}
`;

describe('parseFlowRecord', () => {
  const dp = new CompiledDataplane(loadTextOrThrow(CLUSTER));

  test('a bare pod name resolves in options.namespaces (default: default)', () => {
    const r = parseFlowRecord({ src: 'client', dst: 'server', port: 80 }, dp.index, undefined, { namespaces: ['stars'] });
    expect(r.ok).toBe(false); // client is not in stars
    const ok = parseFlowRecord({ src: 'client/client', dst: 'server', port: 80 }, dp.index, undefined, { namespaces: ['stars'] });
    expect(ok).toMatchObject({ ok: true, kind: 'flow', flow: { port: 80 } });
    expect(parseFlowRecord({ src: 'client/client', dst: 'server', port: 80 }, dp.index)).toEqual({
      ok: false,
      error:
        '"dst": no pod or endpoint server in namespace default (a name without namespace/ is looked up in the -n namespaces); in other namespaces: stars/server',
    });
  });

  test('in several namespaces: the one that has it, or an error naming each that does', () => {
    const r = parseFlowRecord({ src: 'client', dst: 'server', port: 80 }, dp.index, undefined, { namespaces: ['client', 'stars'] });
    expect(r).toMatchObject({ ok: true, kind: 'flow', flow: { src: { family: 4 }, port: 80 } });
    const both = new CompiledDataplane(
      loadTextOrThrow(CLUSTER.replace('name: old, namespace: stars', 'name: client, namespace: stars').replace('phase: Failed', 'phase: Running')),
    );
    expect(parseFlowRecord({ src: 'client', dst: 'stars/server', port: 80 }, both.index, undefined, { namespaces: ['client', 'stars'] })).toEqual({
      ok: false,
      error: '"src": client is ambiguous in namespaces client, stars: client/client, stars/client; name one of them',
    });
  });

  test('a named port gives the number and, without "protocol", the protocol', () => {
    const r = parseFlowRecord({ src: 'client/client', dst: 'stars/server', port: 'dns' }, dp.index);
    expect(r).toMatchObject({ ok: true, kind: 'flow', flow: { protocol: 17, port: 5353 } });
  });

  test('parseFlow (addresses only) takes "8080", and says a port name needs a destination pod', () => {
    expect(parseFlow({ src: '10.0.0.1', dst: '10.0.0.2', port: '8080' }, dp.index)).toMatchObject({ ok: true, flow: { port: 8080 } });
    expect(parseFlow({ src: '10.0.0.1', dst: '10.0.0.2', port: 'dns' }, dp.index)).toEqual({
      ok: false,
      error: `"port": "dns" is no port number here (a port name needs the destination pod's containers: give the number)`,
    });
    expect(parseFlow({ src: '10.0.0.1', dst: 'stars/old', port: 80 }, dp.index)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^"dst": pod stars\/old is Failed/),
    });
  });

  test('a finished pod is an error', () => {
    expect(parseFlowRecord({ src: 'client/client', dst: 'stars/old', port: 80 }, dp.index)).toEqual({
      ok: false,
      error: `"dst": pod stars/old is Failed: a finished pod does not count (it holds no address in the dataplane, and its IP may already be another pod's)`,
    });
  });
});

describe('connectivityMatrix namespaces', () => {
  const dp = new CompiledDataplane(loadTextOrThrow(CLUSTER));
  test('{ rows }: rows of those namespaces, every column; a list: both, as before', () => {
    const [m] = connectivityMatrix(dp, [{ protocol: 6, port: 80 }], { rows: ['client'] });
    expect(m).toEqual({ port: 'TCP/80', pods: ['client/client'], columns: ['client/client', 'stars/server'], allowed: [[true, true]] });
    const [old] = connectivityMatrix(dp, [{ protocol: 6, port: 80 }], ['client']);
    expect(old).toEqual({ port: 'TCP/80', pods: ['client/client'], allowed: [[true]] });
  });
});
