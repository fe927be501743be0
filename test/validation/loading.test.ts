/**
 * Reading manifests: YAML streams, JSON, List wrappers, directories, other kinds, unknown
 * fields, wrong types, syntax errors, namespaces, duplicates, line numbers, and the pod,
 * namespace and node fields the evaluators need.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFiles, loadText } from '@netpol/core';
import { cluster, ip } from '../helpers.js';
import { brief, dedent, errorsOf, expectIssue, load, policyJson, policyYaml, warningsOf } from './util.js';

const NS = (name: string, labels = '') => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n${labels}`;
const POD = (name: string, ns: string, extra = '') => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${extra}`;

describe('multi-document YAML', () => {
  it('loads every document, skipping empty ones', () => {
    const text = [
      '---',
      NS('shop'),
      '---',
      '# only a comment',
      '---',
      POD('web', 'shop'),
      '---',
      policyYaml('podSelector: {}', 'name: deny\nnamespace: shop'),
      '---',
      '',
    ].join('\n');
    const c = cluster(text);
    expect(c.namespaces.map((n) => n.name)).toEqual(['shop']);
    expect(c.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(['shop/web']);
    expect(c.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(['shop/deny']);
  });

  it('an empty input is an empty cluster', () => {
    expect(cluster('')).toEqual({ namespaces: [], pods: [], nodes: [], policies: [] });
  });

  it('issues carry the index of their document', () => {
    const text = [NS('a'), NS('b'), policyYaml('podSelector: {}\npolicyTypes: [x]', 'name: p\nnamespace: a')].join('---\n');
    expect(errorsOf(load(text).issues).map((i) => i.document)).toEqual([2]);
  });

  it('YAML anchors and aliases are resolved', () => {
    const p = cluster(policyYaml('podSelector: &sel {matchLabels: {app: db}}\ningress:\n- from: [{podSelector: *sel}]')).policies[0]!;
    expect(p.ingress[0]!.peers[0]).toEqual({ kind: 'selector', podSelector: { matchLabels: { app: 'db' }, matchExpressions: [] } });
  });

  it('YAML merge keys (<<) are merged as kubectl does', () => {
    const p = cluster(
      policyYaml('podSelector: {}\ningress:\n- from:\n  - &peer {podSelector: {matchLabels: {app: a}}}\n  - <<: *peer\n    namespaceSelector: {}'),
    );
    expect(p.policies[0]!.ingress[0]!.peers[1]).toEqual({
      kind: 'selector',
      podSelector: { matchLabels: { app: 'a' }, matchExpressions: [] },
      namespaceSelector: { matchLabels: {}, matchExpressions: [] },
    });
  });
});

describe('JSON', () => {
  it('a JSON object loads like YAML', () => {
    const c = cluster(policyJson({ podSelector: { matchLabels: { a: 'b' } }, ingress: [{ ports: [{ port: 80 }] }] }));
    expect(c.policies[0]!.podSelector.matchLabels).toEqual({ a: 'b' });
    expect(c.policies[0]!.ingress[0]!.ports).toEqual([{ protocol: 'TCP', port: 80 }]);
  });

  it('issues in pretty-printed JSON point at the right line', () => {
    const text = JSON.stringify(JSON.parse(policyJson({ podSelector: {}, ingress: [{ ports: [{ port: 80 }, { port: 0 }] }] })), null, 2);
    const line = text.split('\n').findIndex((l) => l.includes('"port": 0')) + 1;
    const e = expectIssue(load(text).issues, 'error', { check: 'P2', path: 'spec.ingress[0].ports[1].port' });
    expect(e.line).toBe(line);
  });
});

describe('List wrappers', () => {
  it('kind: List with mixed items (as kubectl get -o yaml prints it)', () => {
    const text = dedent(`
      apiVersion: v1
      kind: List
      items:
      - apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
      - apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: shop}
      - apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: shop}
        spec: {podSelector: {}}
      metadata:
        resourceVersion: ""
    `);
    const c = cluster(text);
    expect([c.namespaces.length, c.pods.length, c.policies.length]).toEqual([1, 1, 1]);
  });

  it('typed NetworkPolicyList and PodList whose items carry kind', () => {
    const text = [
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicyList',
        items: [0, 1].map((i) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `p${i}`, namespace: 'a' } })),
      }),
      JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'a' } }] }),
    ].join('\n---\n');
    const c = cluster(text);
    expect(c.policies.map((p) => p.name)).toEqual(['p0', 'p1']);
    expect(c.pods.map((p) => p.name)).toEqual(['x']);
  });

  it('typed lists as the API server returns them: items without apiVersion/kind take the list item kind', () => {
    const text = [
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicyList',
        metadata: { resourceVersion: '1' },
        items: [{ metadata: { name: 'p', namespace: 'a' }, spec: { podSelector: {} } }],
      }),
      JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'x', namespace: 'a' }, status: { podIP: '10.0.0.1' } }] }),
    ].join('\n---\n');
    const r = load(text);
    expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
    expect(r.cluster!.policies.map((p) => p.name)).toEqual(['p']);
    expect(r.cluster!.pods.map((p) => p.name)).toEqual(['x']);
  });

  it('an item error is located inside the list, with the line of the item field', () => {
    const text = dedent(`
      apiVersion: v1
      kind: List
      items:
      - apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: a, namespace: nn}
      - apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: b, namespace: nn}
        spec:
          policyTypes: [Bogus]
    `);
    const e = expectIssue(load(text).issues, 'error', { check: 'T2', path: 'spec.policyTypes[0]' });
    expect(e.object).toBe('NetworkPolicy nn/b');
    expect(e.document).toBe(0);
    expect(e.line).toBe(11);
  });
});

describe('directories and files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netpol-validation-'));
    writeFileSync(join(dir, 'a.yaml'), [NS('shop'), policyYaml('podSelector: {}', 'name: deny\nnamespace: shop')].join('---\n'));
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify(
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicyList',
          items: [JSON.parse(policyJson({ podSelector: {} }, { name: 'from-json', namespace: 'shop' }))],
        },
        null,
        2,
      ),
    );
    writeFileSync(join(dir, 'c.yml'), POD('web', 'shop'));
    writeFileSync(join(dir, 'notes.txt'), 'this: is not a manifest: [');
    writeFileSync(join(dir, 'README.md'), '# nothing');
    mkdirSync(join(dir, 'nested'));
    writeFileSync(join(dir, 'nested', 'd.yaml'), NS('deep'));
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'bad', 'x.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: maybe\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a directory loads its .yaml, .yml and .json files, one level deep', () => {
    const r = loadFiles([join(dir)]);
    expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
    expect(r.cluster!.policies.map((p) => p.name).sort()).toEqual(['deny', 'from-json']);
    expect(r.cluster!.pods.map((p) => p.name)).toEqual(['web']);
    expect(r.cluster!.namespaces.map((n) => n.name)).toEqual(['shop']);
  });

  it('recursive also descends into subdirectories', () => {
    const r = loadFiles([dir], { recursive: true });
    expect(r.cluster).toBeUndefined(); // bad/x.yaml
    const e = expectIssue(r.issues, 'error', { path: 'spec.hostNetwork' });
    expect(e.file).toBe(join(dir, 'bad', 'x.yaml'));
    expect(e.line).toBe(6);
    const ok = loadFiles([dir, join(dir, 'nested')]);
    expect(ok.cluster!.namespaces.map((n) => n.name).sort()).toEqual(['deep', 'shop']);
  });

  it('files can be given one by one, and issues name their file', () => {
    const r = loadFiles([join(dir, 'c.yml'), join(dir, 'a.yaml')]);
    expect(r.cluster!.pods).toHaveLength(1);
    const w = r.issues.find((i) => i.code === 'namespace-not-found');
    expect(w).toBeUndefined(); // shop is defined in a.yaml
    const bad = loadFiles([join(dir, 'bad', 'x.yaml')]);
    expect(errorsOf(bad.issues).map((i) => i.file)).toEqual([join(dir, 'bad', 'x.yaml')]);
  });

  it('a missing file is an error, not a crash', () => {
    const r = loadFiles([join(dir, 'missing.yaml')]);
    expect(r.cluster).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => [i.code, i.file])).toEqual([['file-not-found', join(dir, 'missing.yaml')]]);
  });
});

describe('kinds', () => {
  it('other kinds are skipped with a warning', () => {
    const text = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n',
      'apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: d}\n',
      policyYaml('podSelector: {}'),
    ].join('---\n');
    const r = load(text);
    expect(r.cluster?.policies).toHaveLength(1);
    const skipped = r.issues.filter((i) => i.code === 'skipped-kind');
    expect(skipped.map((i) => [i.severity, i.document, i.path, i.line])).toEqual([
      ['warning', 0, 'kind', 2],
      ['warning', 1, 'kind', 7],
    ]);
    expect(skipped[0]!.message).toContain('ConfigMap');
  });

  it('an object without kind is an error', () => {
    const r = load('apiVersion: v1\nmetadata: {name: x}\n');
    expect(r.cluster).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => i.path)).toEqual(['kind']);
  });

  it('a NetworkPolicy of another apiVersion is not taken for networking.k8s.io/v1', () => {
    const r = load(policyYaml('podSelector: {}').replace('networking.k8s.io/v1', 'extensions/v1beta1'));
    expect(r.cluster).toBeUndefined();
    expectIssue(r.issues, 'error', { path: 'apiVersion' });
  });

  it('a document that is not a mapping is an error', () => {
    for (const text of ['- a\n- b\n', 'just a string\n', '42\n']) {
      const r = load(text);
      expect(r.cluster).toBeUndefined();
      expect(errorsOf(r.issues)).toHaveLength(1);
    }
  });
});

describe('unknown fields are rejected (strict decoding)', () => {
  it.each([
    ['a typo in a rule (form for from)', { podSelector: {}, ingress: [{}, { form: [{ podSelector: {} }] }] }, 'spec.ingress[1].form'],
    ['a typo in spec', { podSelector: {}, ingres: [] }, 'spec.ingres'],
    ['a selector field', { podSelector: { matchLabel: { a: 'b' } } }, 'spec.podSelector.matchLabel'],
    ['a peer field', { podSelector: {}, egress: [{ to: [{ serviceSelector: {} }] }] }, 'spec.egress[0].to[0].serviceSelector'],
    ['a port field', { podSelector: {}, ingress: [{ ports: [{ port: 80, targetPort: 8080 }] }] }, 'spec.ingress[0].ports[0].targetPort'],
    [
      'an ipBlock field',
      { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', exclude: [] } }] }] },
      'spec.ingress[0].from[0].ipBlock.exclude',
    ],
    ['to in an ingress rule', { podSelector: {}, ingress: [{ to: [] }] }, 'spec.ingress[0].to'],
    ['from in an egress rule', { podSelector: {}, egress: [{ from: [] }] }, 'spec.egress[0].from'],
  ])('%s', (_name, spec, path) => {
    const r = load(policyJson(spec));
    expect(r.cluster).toBeUndefined();
    expectIssue(r.issues, 'error', { path, code: 'unknown-field' });
  });

  it('at the top level too; status is tolerated (removed from the API, ignored)', () => {
    const r = load(policyYaml('podSelector: {}') + 'specs: {}\n');
    expectIssue(r.issues, 'error', { path: 'specs', code: 'unknown-field' });
    expect(load(policyYaml('podSelector: {}') + 'status: {}\n').cluster).toBeDefined();
  });
});

describe('wrong types are errors, not crashes', () => {
  it.each([
    ['ingress: "x"', 'podSelector: {}\ningress: "x"', 'spec.ingress'],
    ['port: true', 'podSelector: {}\ningress:\n- ports: [{port: true}]', 'spec.ingress[0].ports[0].port'],
    ['port: 80.5', 'podSelector: {}\ningress:\n- ports: [{port: 80.5}]', 'spec.ingress[0].ports[0].port'],
    ['endPort: "90"', 'podSelector: {}\ningress:\n- ports: [{port: 80, endPort: "90"}]', 'spec.ingress[0].ports[0].endPort'],
    ['protocol: 6', 'podSelector: {}\ningress:\n- ports: [{protocol: 6}]', 'spec.ingress[0].ports[0].protocol'],
    ['a port entry that is a number', 'podSelector: {}\ningress:\n- ports: [80]', 'spec.ingress[0].ports[0]'],
    ['from: a map', 'podSelector: {}\ningress:\n- from: {podSelector: {}}', 'spec.ingress[0].from'],
    ['a rule that is a string', 'podSelector: {}\negress: [x]', 'spec.egress[0]'],
    ['podSelector: a list', 'podSelector: []', 'spec.podSelector'],
    ['policyTypes: a string', 'podSelector: {}\npolicyTypes: Ingress', 'spec.policyTypes'],
    ['a policyType that is a number', 'podSelector: {}\npolicyTypes: [1]', 'spec.policyTypes[0]'],
    ['matchExpressions: a map', 'podSelector:\n  matchExpressions: {key: a}', 'spec.podSelector.matchExpressions'],
    ['values: a string', 'podSelector:\n  matchExpressions: [{key: a, operator: In, values: b}]', 'spec.podSelector.matchExpressions[0].values'],
    ['ipBlock: a string', 'podSelector: {}\ningress:\n- from: [{ipBlock: 10.0.0.0/8}]', 'spec.ingress[0].from[0].ipBlock'],
    ['cidr: a number', 'podSelector: {}\ningress:\n- from: [{ipBlock: {cidr: 10}}]', 'spec.ingress[0].from[0].ipBlock.cidr'],
  ])('%s', (_name, spec, path) => {
    const r = load(policyYaml(spec));
    expect(r.cluster).toBeUndefined();
    expectIssue(r.issues, 'error', { path });
  });

  it('spec and metadata of the wrong type', () => {
    expectIssue(load('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: deny-all\n').issues, 'error', { path: 'spec' });
    expectIssue(load('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: [a]\n').issues, 'error', { path: 'metadata' });
    expectIssue(load('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: 7}\n').issues, 'error', { path: 'metadata.name' });
  });

  it('random JSON anywhere in a policy never crashes the loader (property)', () => {
    const slot = fc.constantFrom(
      'spec',
      'spec.podSelector',
      'spec.ingress',
      'spec.ingress.0',
      'spec.ingress.0.ports.0',
      'spec.ingress.0.from.0',
      'spec.ingress.0.from.0.ipBlock',
      'spec.egress.0.to.0.namespaceSelector.matchExpressions.0',
      'spec.policyTypes',
      'metadata',
    );
    fc.assert(
      fc.property(slot, fc.jsonValue({ maxDepth: 3 }), (where, value) => {
        const doc: Record<string, unknown> = {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'p' },
          spec: { podSelector: {}, ingress: [{ ports: [{}], from: [{ ipBlock: {} }] }], egress: [{ to: [{ namespaceSelector: { matchExpressions: [{}] } }] }] },
        };
        const keys = where.split('.');
        let at: Record<string, unknown> = doc;
        for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
        at[keys[keys.length - 1]!] = value;
        const r = loadText(JSON.stringify(doc));
        // Either a cluster or at least one error: never both, never neither.
        expect(r.cluster === undefined).toBe(errorsOf(r.issues).length > 0);
        for (const i of r.issues) expect(typeof i.message).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});

describe('YAML syntax errors', () => {
  it('a duplicate key is an error with its line', () => {
    const r = load('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n');
    expect(r.cluster).toBeUndefined();
    const e = errorsOf(r.issues);
    expect(e).toHaveLength(1);
    expect(e[0]!.code).toBe('duplicate-key'); // as in JSON input
    expect(e[0]!.file).toBe('test.yaml');
    expect(e[0]!.line).toBe(5);
    expect(e[0]!.message).toBe('duplicate key "name": a mapping may hold each key once');
  });

  it('a duplicate key names the key, quoted or in a flow mapping', () => {
    const r = load('apiVersion: v1\nkind: Pod\nmetadata: {name: a, "name": b}\n');
    expect(errorsOf(r.issues).map((i) => [i.code, i.line, i.message])).toEqual([
      ['duplicate-key', 3, 'duplicate key "name": a mapping may hold each key once'],
    ]);
  });

  it('an unclosed flow collection is an error with its line', () => {
    const r = load('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {a: [1}\n');
    expect(r.cluster).toBeUndefined();
    const e = errorsOf(r.issues);
    expect(e.length).toBeGreaterThan(0);
    for (const i of e) {
      expect(i.code).toBe('yaml-syntax');
      expect(i.line).toBe(5);
    }
  });

  it('a syntax error in one document does not hide the errors of the others', () => {
    const text = ['apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n', policyYaml('podSelector: {}\npolicyTypes: [x]')].join('---\n');
    const r = load(text);
    expect(errorsOf(r.issues).map((i) => [i.document, i.code])).toEqual([
      [0, 'duplicate-key'],
      [1, 'unsupported-policy-type'],
    ]);
  });
});

describe('namespaces', () => {
  it('a missing namespace is "default"', () => {
    const c = cluster(policyYaml('podSelector: {}', 'name: p') + '---\n' + 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n');
    expect(c.policies[0]!.namespace).toBe('default');
    expect(c.pods[0]!.namespace).toBe('default');
  });

  it('namespace: "" is the same as missing', () => {
    expect(cluster(policyYaml('podSelector: {}', 'name: p\nnamespace: ""')).policies[0]!.namespace).toBe('default');
  });

  it('the defaultNamespace option replaces "default" (like kubectl -n)', () => {
    const r = loadText(
      policyYaml('podSelector: {}', 'name: p') +
        '---\n' +
        'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n' +
        '---\n' +
        policyYaml('podSelector: {}', 'name: q\nnamespace: other'),
      { defaultNamespace: 'team-a' },
    );
    expect(r.cluster!.policies.map((p) => p.namespace)).toEqual(['team-a', 'other']);
    expect(r.cluster!.pods[0]!.namespace).toBe('team-a');
    expect(r.issues.find((i) => i.severity === 'error')).toBeUndefined();
  });

  it('Namespace objects always carry kubernetes.io/metadata.name=<name>, whatever the manifest says', () => {
    const c = cluster([NS('a'), NS('b', '  labels: {team: x, kubernetes.io/metadata.name: forged}\n')].join('---\n'));
    expect(c.namespaces).toEqual([
      { name: 'a', labels: { 'kubernetes.io/metadata.name': 'a' } },
      { name: 'b', labels: { team: 'x', 'kubernetes.io/metadata.name': 'b' } },
    ]);
  });

  it('namespaces used but not defined exist with only that label, and a warning says so', () => {
    const r = load(policyYaml('podSelector: {}', 'name: p\nnamespace: ghost'));
    expect(r.cluster!.namespaces).toEqual([{ name: 'ghost', labels: { 'kubernetes.io/metadata.name': 'ghost' } }]);
    expect(warningsOf(r.issues).map((i) => i.code)).toContain('namespace-not-found');
  });

  it('a Namespace name must be a DNS-1123 label', () => {
    const r = load(NS('team.a'));
    expect(r.cluster).toBeUndefined();
    expectIssue(r.issues, 'error', { path: 'metadata.name', type: 'Invalid value' });
  });
});

describe('duplicates', () => {
  it('the same NetworkPolicy twice is an error on the second, naming the first', () => {
    const text = [policyYaml('podSelector: {}'), NS('ns'), policyYaml('podSelector: {}\ningress: []')].join('---\n');
    const r = load(text);
    expect(r.cluster).toBeUndefined();
    const e = errorsOf(r.issues);
    expect(e.map((i) => [i.code, i.document, i.path, i.type, i.object])).toEqual([
      ['duplicate-object', 2, 'metadata.name', 'Duplicate value', 'NetworkPolicy ns/p'],
    ]);
    expect(e[0]!.message).toContain('test.yaml:4');
  });

  it('an explicit "default" namespace and a missing one collide', () => {
    const r = load([policyYaml('podSelector: {}', 'name: p\nnamespace: default'), policyYaml('podSelector: {}', 'name: p')].join('---\n'));
    expect(errorsOf(r.issues).map((i) => i.code)).toEqual(['duplicate-object']);
  });

  it('duplicate Pods and Namespaces are errors too', () => {
    expect(errorsOf(load([POD('a', 'x'), POD('a', 'x')].join('---\n')).issues).map((i) => i.code)).toEqual(['duplicate-object']);
    expect(errorsOf(load([NS('x'), NS('x')].join('---\n')).issues).map((i) => i.code)).toEqual(['duplicate-object']);
  });

  it('the same name in another namespace or of another kind is not a duplicate', () => {
    const text = [policyYaml('podSelector: {}', 'name: p\nnamespace: a'), policyYaml('podSelector: {}', 'name: p\nnamespace: b'), POD('p', 'a'), NS('p')].join(
      '---\n',
    );
    expect(errorsOf(load(text).issues)).toEqual([]);
  });
});

describe('line numbers point at the offending field', () => {
  const YAML = dedent(`
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: lines
      namespace: ns
    spec:
      podSelector:
        matchLabels:
          app: web
          "bad key": x
      ingress:
      - ports:
        - port: 80
        - port: 99999
        from:
        - podSelector: {}
          ipBlock:
            cidr: 10.0.0.0/8
            except:
            - 10.1.0.0/16
            - 11.0.0.0/16
      policyTypes:
      - Ingress
      - Egress
      - Other
      extra:
        nested: 1
  `);
  const issues = load(YAML).issues;
  const lineOf = (path: string): number | undefined => issues.find((i) => i.path === path)?.line;

  it('the test input has the layout the assertions assume', () => {
    expect(YAML.split('\n')[13]).toBe('    - port: 99999');
  });

  it('a scalar field: the line of the field', () => {
    expect(lineOf('spec.ingress[0].ports[1].port')).toBe(14);
  });

  it('a list entry: the line of the entry', () => {
    expect(lineOf('spec.ingress[0].from[0].ipBlock.except[1]')).toBe(21);
  });

  it('a peer: the line of its list item', () => {
    expect(lineOf('spec.ingress[0].from[0]')).toBe(16);
  });

  it('a field whose value is a block list: the line of the field, not of its first item', () => {
    expect(lineOf('spec.policyTypes')).toBe(22);
  });

  it('an unknown field whose value is a block map: the line of the field', () => {
    expect(lineOf('spec.extra')).toBe(26);
  });

  it('matchLabels: the line of matchLabels or of the bad key, not of the first (good) label', () => {
    expect([8, 10]).toContain(lineOf('spec.podSelector.matchLabels'));
  });

  it('a missing field: the line of its parent field', () => {
    const r = load('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  namespace: ns\n  labels: {a: b}\nspec: {}\n');
    expect(r.issues.find((i) => i.check === 'M1')?.line).toBe(3);
  });

  it('lines count from the start of the file across documents', () => {
    const text = NS('ns') + '---\n' + policyYaml('podSelector: {}\ningress:\n- ports: [{port: 0}]');
    // NS is 4 lines, then '---' (line 5), then the 9 policy lines up to `- ports: [{port: 0}]`.
    expect(text.split('\n')[13]).toBe('  - ports: [{port: 0}]');
    expect(load(text).issues.find((i) => i.check === 'P2')?.line).toBe(14);
  });

  it('every issue of a loaded file has a file, and object issues have a line', () => {
    for (const i of issues.filter((x) => x.code !== 'namespace-not-found')) {
      expect(i.file).toBe('test.yaml');
      expect(i.line).toBeGreaterThan(0);
    }
    expect(loadText(policyYaml('podSelector: {}\npolicyTypes: [x]')).issues[0]!.file).toBe('<input>');
  });
});

describe('pods', () => {
  it('status.podIPs gives every IP in order; podIP alone works; duplicates collapse', () => {
    const both = cluster(POD('a', 'nn', 'status:\n  podIP: 10.0.0.5\n  podIPs:\n  - ip: 10.0.0.5\n  - ip: fd00::5\n')).pods[0]!;
    expect(both.ips).toEqual([ip('10.0.0.5'), ip('fd00::5')]);
    expect(cluster(POD('a', 'nn', 'status:\n  podIP: 10.0.0.6\n')).pods[0]!.ips).toEqual([ip('10.0.0.6')]);
    expect(cluster(POD('a', 'nn', 'status:\n  podIPs: [{ip: "fd00::7"}]\n')).pods[0]!.ips).toEqual([ip('fd00::7')]);
    expect(cluster(POD('a', 'nn')).pods[0]!.ips).toEqual([]);
  });

  it('a bad pod IP is an error at its path', () => {
    const r = load(POD('a', 'nn', 'status:\n  podIPs:\n  - ip: 10.0.0.5\n  - ip: 10.0.0.300\n'));
    expect(r.cluster).toBeUndefined();
    expectIssue(r.issues, 'error', { path: 'status.podIPs[1].ip' });
  });

  it('hostNetwork, phase and nodeName', () => {
    const p = cluster(POD('a', 'nn', 'spec:\n  hostNetwork: true\n  nodeName: node-1\nstatus:\n  phase: Succeeded\n  podIP: 192.168.1.10\n')).pods[0]!;
    expect([p.hostNetwork, p.phase, p.nodeName]).toEqual([true, 'Succeeded', 'node-1']);
    const q = cluster(POD('b', 'nn', 'status:\n  phase: Pending\n')).pods[0]!;
    expect([q.hostNetwork, q.phase, q.nodeName]).toEqual([false, 'Pending', undefined]);
  });

  it('an unknown phase and a non-boolean hostNetwork are errors', () => {
    expectIssue(load(POD('a', 'nn', 'status:\n  phase: Sleeping\n')).issues, 'error', { path: 'status.phase' });
    expectIssue(load(POD('a', 'nn', 'spec:\n  hostNetwork: "true"\n')).issues, 'error', { path: 'spec.hostNetwork' });
  });

  it('named ports come from containers and initContainers (init: true), protocol defaults to TCP', () => {
    const p = cluster(
      POD(
        'a',
        'nn',
        dedent(`
          spec:
            containers:
            - name: app
              ports:
              - {name: http, containerPort: 8080}
              - {name: dns, containerPort: 53, protocol: UDP}
              - {containerPort: 9000}
            - name: side
              ports:
              - {name: http, containerPort: 8081}
            initContainers:
            - name: init
              ports:
              - {name: metrics, containerPort: 9090, protocol: SCTP}
        `),
      ),
    ).pods[0]!;
    expect(p.ports).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP', init: false },
      { name: 'dns', port: 53, protocol: 'UDP', init: false },
      { port: 9000, protocol: 'TCP', init: false },
      { name: 'http', port: 8081, protocol: 'TCP', init: false },
      { name: 'metrics', port: 9090, protocol: 'SCTP', init: true },
    ]);
  });

  it('container ports are validated', () => {
    const r = load(POD('a', 'nn', 'spec:\n  containers:\n  - name: c\n    ports:\n    - {name: Bad_Name, containerPort: 70000, protocol: ICMP}\n'));
    expect(r.cluster).toBeUndefined();
    expect(
      errorsOf(r.issues)
        .map((i) => i.path)
        .sort(),
    ).toEqual(['spec.containers[0].ports[0].containerPort', 'spec.containers[0].ports[0].name', 'spec.containers[0].ports[0].protocol']);
  });

  it('pod labels are kept', () => {
    expect(cluster(POD('a', 'nn', '  labels: {app: web, tier: front}\n')).pods[0]!.labels).toEqual({ app: 'web', tier: 'front' });
  });
});

describe('nodes', () => {
  it('InternalIP and ExternalIP addresses are the node IPs; Hostname entries are not', () => {
    const c = cluster(
      'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus:\n  addresses:\n  - {type: Hostname, address: n1}\n  - {type: InternalIP, address: 10.1.0.1}\n  - {type: InternalIP, address: "fd00:1::1"}\n  - {type: ExternalIP, address: 203.0.113.9}\n',
    );
    expect(c.nodes).toEqual([{ name: 'n1', ips: [ip('10.1.0.1'), ip('fd00:1::1'), ip('203.0.113.9')] }]);
  });
});
