// Issue 11, the loader's half: input that netpol does not decode as kubectl and the API server
// would is refused (or read as kubectl reads it), never turned into an empty selector, port
// list or label set; hostile sizes and aliases are issues, not crashes or unbounded work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LiveDataplane, loadFiles, loadObjects, loadText, parseIP, readText, type RawObject } from '@netpol/core';
import { run } from '../../packages/core/src/cli/run.js';
import { brief, dedent, errorsOf, expectIssue, expectRejected, load, policyYaml, warningsOf } from './util.js';

const CLUSTER = dedent(`
  apiVersion: v1
  kind: Namespace
  metadata: {name: demo}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: server, namespace: demo, labels: {app: server}}
  status: {podIP: 10.244.1.20}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: intruder, namespace: demo, labels: {app: intruder}}
  status: {podIP: 10.244.1.11}
`);
const INTRUDER_TO_SERVER = { src: parseIP('10.244.1.11')!, dst: parseIP('10.244.1.20')!, protocol: 6, port: 8080 };
const raw = (value: unknown, i = 0): RawObject => ({ file: '<test>', document: i, value: value as Record<string, unknown>, locate: () => undefined });
const policyObject = (peer: unknown, ports?: unknown) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'p', namespace: 'demo' },
  spec: { podSelector: { matchLabels: { app: 'server' } }, policyTypes: ['Ingress'], ingress: [{ from: [peer], ...(ports !== undefined && { ports }) }] },
});

describe('__proto__ and other hostile keys are kept, then validated as label keys', () => {
  it('matchLabels {__proto__: client} in YAML is an invalid label key, not an empty selector', () => {
    const r = load(policyYaml('podSelector:\n  matchLabels:\n    __proto__: client'));
    expectRejected(r, { check: 'S1', path: 'spec.podSelector.matchLabels', code: 'invalid-label-key' });
    expect(r.issues[0]!.line).toBe(8);
  });

  it('pod and namespace labels named __proto__ do not vanish', () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns, labels: {__proto__: x}}\n';
    expectRejected(load(pod), { path: 'metadata.labels', code: 'invalid-label-key' });
    const ns = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: ns, labels: {__proto__: x}}\n';
    expectRejected(load(ns), { path: 'metadata.labels', code: 'invalid-label-key' });
  });

  it('JSON text and JSON.parse objects keep the key too (loadText, loadObjects)', () => {
    const json = JSON.stringify(policyObject({ podSelector: { matchLabels: { app: 'client' } } })).replace('"app":"client"', '"__proto__":"client"');
    expectRejected(load(json), { path: 'spec.ingress[0].from[0].podSelector.matchLabels', code: 'invalid-label-key' });
    expectRejected(loadObjects([raw(JSON.parse(json))]), { path: 'spec.ingress[0].from[0].podSelector.matchLabels', code: 'invalid-label-key' });
  });

  it('LiveDataplane.apply refuses a JSON.parse policy with matchLabels {"__proto__": "client"}', () => {
    const live = new LiveDataplane(readText(CLUSTER, 'c.yaml').objects);
    const pol = JSON.parse(JSON.stringify(policyObject({ podSelector: { matchLabels: { x: 'client' } } })).replace('"x":', '"__proto__":'));
    const r = live.apply([{ op: 'apply', object: pol }]);
    expect(r.applied).toBe(false);
    expect(r.issues.map((i) => i.code)).toContain('invalid-label-key');
    expect(live.verdict(INTRUDER_TO_SERVER).ingress).toBe('not-isolated');
  });

  it('constructor, toString and hasOwnProperty are ordinary label keys', () => {
    const r = load(policyYaml('podSelector:\n  matchLabels: {constructor: a, toString: b, hasOwnProperty: c}'));
    expect(r.cluster, brief(r.issues).join('\n')).toBeDefined();
    expect({ ...r.cluster!.policies[0]!.podSelector.matchLabels }).toEqual({ constructor: 'a', toString: 'b', hasOwnProperty: 'c' });
  });
});

describe('YAML tags that do not decode to JSON values are errors with path and line', () => {
  const peer = (v: string) =>
    policyYaml(
      `podSelector: {matchLabels: {app: server}}\npolicyTypes: [Ingress]\ningress:\n- from:\n  - podSelector:\n      ${v}\n  ports: [{protocol: TCP, port: 8080}]`,
    );
  for (const v of [
    'matchLabels: !!timestamp 2001-12-14',
    'matchLabels: !!omap [app: client]',
    'matchLabels: !!set {app}',
    'matchLabels: !!binary Y2xpZW50',
    'matchLabels: !custom {app: client}',
    'matchLabels: {app: !!pairs [a: b]}',
  ]) {
    it(v, () => {
      const r = load(peer(v));
      const e = errorsOf(r.issues).find((i) => i.code === 'yaml-tag');
      expect(r.cluster).toBeUndefined();
      expect(e, brief(r.issues).join('\n')).toBeDefined();
      expect(e!.path).toMatch(/^spec\.ingress\[0\]\.from\[0\]\.podSelector\.matchLabels/);
      expect(e!.line).toBe(12);
    });
  }

  it('podSelector: !!omap [...] and ports: [!!omap [port: 8080]]', () => {
    const a = load(policyYaml('podSelector: !!omap [matchLabels: {app: client}]'));
    expectRejected(a, { path: 'spec.podSelector', code: 'yaml-tag' });
    const b = load(policyYaml('podSelector: {}\ningress:\n- ports: [!!omap [port: 8080]]'));
    expectRejected(b, { path: 'spec.ingress[0].ports[0]', code: 'yaml-tag' });
  });

  it('standard scalar tags decode as go-yaml decodes them, or are refused', () => {
    const ok = load(policyYaml('podSelector: {}\ningress:\n- ports: [{port: !!int "80"}, {port: !!str http}, {port: !!float 81}]'));
    expect(ok.cluster, brief(ok.issues).join('\n')).toBeDefined();
    expect(ok.cluster!.policies[0]!.ingress[0]!.ports.map((p) => p.port)).toEqual([80, 'http', 81]);
    expectRejected(load(policyYaml('podSelector: {}\ningress:\n- ports: [{port: !!int eighty}]')), { path: 'spec.ingress[0].ports[0].port', code: 'yaml-tag' });
  });

  it('.inf, .nan and integers beyond 2^53 are refused', () => {
    expectRejected(load(policyYaml('podSelector: {}\ningress:\n- ports: [{port: .inf}]')), { path: 'spec.ingress[0].ports[0].port', code: 'not-json' });
    expectRejected(load(policyYaml('podSelector: {}\ningress:\n- ports: [{port: .nan}]')), { path: 'spec.ingress[0].ports[0].port', code: 'not-json' });
    expectRejected(load(policyYaml('podSelector: {}\ningress:\n- ports: [{port: 9007199254740993}]')), {
      path: 'spec.ingress[0].ports[0].port',
      code: 'number-out-of-range',
    });
  });
});

describe('objects handed in directly must be JSON values', () => {
  class Labels {
    app = 'client';
  }
  const cyclic: Record<string, unknown> = { app: 'client' };
  cyclic['self'] = cyclic;
  const cases: [string, unknown, string][] = [
    ['a Map', new Map([['app', 'client']]), 'spec.ingress[0].from[0].podSelector.matchLabels'],
    ['a Set', new Set(['app']), 'spec.ingress[0].from[0].podSelector.matchLabels'],
    ['a Date', new Date(0), 'spec.ingress[0].from[0].podSelector.matchLabels'],
    ['a Uint8Array', new Uint8Array([99]), 'spec.ingress[0].from[0].podSelector.matchLabels'],
    ['a class instance', new Labels(), 'spec.ingress[0].from[0].podSelector.matchLabels'],
    ['an object with a prototype', { __proto__: { app: 'client' } }, 'spec.ingress[0].from[0].podSelector.matchLabels'],
    ['a function', () => 'client', 'spec.ingress[0].from[0].podSelector.matchLabels'],
    ['a cycle', cyclic, 'spec.ingress[0].from[0].podSelector.matchLabels.self'],
    ['undefined', { app: undefined }, 'spec.ingress[0].from[0].podSelector.matchLabels.app'],
    ['a bigint', { app: 1n }, 'spec.ingress[0].from[0].podSelector.matchLabels.app'],
  ];
  for (const [what, labels, path] of cases) {
    it(`${what} as matchLabels: loadObjects and LiveDataplane.apply refuse it`, () => {
      const object = policyObject({ podSelector: { matchLabels: labels } });
      expectRejected(loadObjects([raw(object)]), { path, code: 'not-json' });
      const live = new LiveDataplane(readText(CLUSTER, 'c.yaml').objects);
      const r = live.apply([{ op: 'apply', object }]);
      expect(r.applied).toBe(false);
      expect(r.issues.map((i) => [i.code, i.path])).toContainEqual(['not-json', path]);
      expect(live.verdict(INTRUDER_TO_SERVER).ingress).toBe('not-isolated');
    });
  }

  it('ports as a Map, NaN and Infinity ports, a sparse port list', () => {
    expectRejected(loadObjects([raw(policyObject({ podSelector: {} }, [new Map([['port', 8080]])]))]), { path: 'spec.ingress[0].ports[0]', code: 'not-json' });
    expectRejected(loadObjects([raw(policyObject({ podSelector: {} }, [{ port: NaN }]))]), { path: 'spec.ingress[0].ports[0].port', code: 'not-json' });
    expectRejected(loadObjects([raw(policyObject({ podSelector: {} }, [{ port: Infinity }]))]), { path: 'spec.ingress[0].ports[0].port', code: 'not-json' });
    // eslint-disable-next-line no-sparse-arrays
    // biome-ignore lint/suspicious/noSparseArray: the hole is the input under test
    expectRejected(loadObjects([raw(policyObject({ podSelector: {} }, [, { port: 80 }]))]), { path: 'spec.ingress[0].ports[0]', code: 'not-json' });
  });

  it('excessive depth is refused, not a stack overflow', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const r = loadObjects([raw({ ...policyObject({ podSelector: {} }), status: deep })]);
    expect(r.cluster).toBeUndefined();
    expect(errorsOf(r.issues)[0]!.message).toMatch(/nested deeper than/);
  });

  it('deep YAML is refused with a bounded report: a self-referencing alias, 100k open brackets', () => {
    const cyclic = loadText('apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nx: &a [*a]\n');
    expect(cyclic.issues.map((i) => i.code)).toEqual(['too-deep']);
    expect(cyclic.issues[0]!.message.length).toBeLessThan(1000);
    const brackets = loadText('['.repeat(100_000));
    expect(brackets.cluster).toBeUndefined();
    expect(brackets.issues.length).toBeLessThanOrEqual(21);
  });

  it('the live dataplane keeps its own copy: mutating the applied object later changes nothing', () => {
    const live = new LiveDataplane(readText(CLUSTER, 'c.yaml').objects);
    const object = policyObject({ podSelector: { matchLabels: { app: 'nobody' } } });
    expect(live.apply([{ op: 'apply', object }]).applied).toBe(true);
    (object.spec.ingress[0]!.from[0] as { podSelector: unknown }).podSelector = {};
    live.apply([{ op: 'apply', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } } }]);
    expect(live.verdict(INTRUDER_TO_SERVER).ingress).toBe('denied');
  });
});

describe('plain scalars mean what kubectl (go-yaml v2, YAML 1.1) sends', () => {
  const portOf = (text: string) => {
    const r = load(policyYaml(`podSelector: {}\ningress:\n- ports: [{port: ${text}}]`));
    return {
      port: r.cluster?.policies[0]?.ingress[0]?.ports[0]?.port,
      errors: errorsOf(r.issues).map((i) => i.code),
      warnings: warningsOf(r.issues).map((i) => i.code),
    };
  };
  // [text, kubectl's value (a string port is a named port), does YAML 1.2 differ?]
  const forms: [string, number | string | undefined, boolean][] = [
    ['0443', 291, true], // octal
    ['-0443', undefined, true], // -291: out of range
    ['0o17', 15, false],
    ['0x1F', 31, false],
    ['+0x1F', 31, true],
    ['0b1010', 10, true],
    ['1_000', 1000, true],
    ['08', 8, false], // not octal: a float 8 to go-yaml, the integer 8 to YAML 1.2
    ['8.0', 8, false],
    ['1e3', 1000, false],
    ['+80', 80, false],
    ['1:30', undefined, false], // sexagesimal: a string to go-yaml (an invalid port name), 90 to YAML 1.1 tools
    ['2001-12-14', undefined, false], // a timestamp decodes to its text
  ];
  for (const [text, expected, differs] of forms) {
    it(`port: ${text}`, () => {
      const r = portOf(text);
      expect(r.port).toBe(expected);
      if (expected === undefined) expect(r.errors.length).toBeGreaterThan(0);
      expect(r.warnings.includes('yaml-1.1-value')).toBe(differs);
    });
  }

  it('yes/no/on/off/y/n are booleans: a label value written so is a type error, with the YAML 1.1 warning', () => {
    for (const w of ['yes', 'no', 'on', 'off', 'y', 'n', 'Y', 'NO', 'On']) {
      const r = load(policyYaml(`podSelector:\n  matchLabels: {enabled: ${w}}`));
      expectRejected(r, { path: 'spec.podSelector.matchLabels.enabled', code: 'wrong-type' });
      expectIssue(r.issues, 'warning', { path: 'spec.podSelector.matchLabels.enabled', code: 'yaml-1.1-value' });
    }
    expect(load(policyYaml(`podSelector:\n  matchLabels: {enabled: "yes"}`)).cluster).toBeDefined();
  });

  it('null forms and a key that resolves to a boolean', () => {
    for (const n of ['~', 'null', 'Null', 'NULL', ''])
      expect(load(policyYaml(`podSelector:\n  matchLabels: {a: ${n}}`)).cluster!.policies[0]!.podSelector.matchLabels['a']).toBe('');
    // `on:` is the key "true" to kubectl.
    const r = load(policyYaml('podSelector:\n  matchLabels: {on: x}'));
    expect(Object.keys(r.cluster!.policies[0]!.podSelector.matchLabels)).toEqual(['true']);
  });

  it('merge keys: go-yaml order, an override of an earlier written key is refused', () => {
    const base = 'x: &base {app: a, tier: t}\n';
    const ok = loadText(`${base}apiVersion: v1\nkind: Namespace\nmetadata: {name: n1, labels: {<<: *base, app: b}}\n`);
    expect(ok.cluster, brief(ok.issues).join('\n')).toBeDefined();
    expect({ ...ok.cluster!.namespaces[0]!.labels }).toEqual({ app: 'b', tier: 't', 'kubernetes.io/metadata.name': 'n1' });
    const bad = load(`${base}apiVersion: v1\nkind: Namespace\nmetadata: {name: n1, labels: {app: b, <<: *base}}\n`);
    expectRejected(bad, { path: 'metadata.labels.<<', code: 'yaml-merge' });
  });
});

describe('--strict: unknown kinds in the policy API groups', () => {
  const typo = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolice\nmetadata: {name: deny-all, namespace: demo}\nspec: {podSelector: {}}\n';
  it('NetworkPolice in networking.k8s.io/v1 is an error with --strict, a warning without', () => {
    expectRejected(load(typo, { strict: true }), { path: 'kind', code: 'unknown-kind' });
    expect(load(typo).cluster).toBeDefined();
  });
  it('other policy.networking.k8s.io kinds are refused even without --strict; Ingress and other kinds stay skipped', () => {
    const other = 'apiVersion: policy.networking.k8s.io/v1alpha1\nkind: ExternalNetworkSet\nmetadata: {name: a}\n';
    expectRejected(load(other), { path: 'kind', code: 'unsupported-policy' });
    const ingress = 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: demo}\n';
    // A Service is loaded now (docs/services.md): a valid one.
    const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: demo}\nspec: {ports: [{port: 80}]}\n';
    expect(load(`${ingress}---\n${svc}`, { strict: true }).cluster).toBeDefined();
  });
});

describe('loader bombs and sizes', () => {
  it('an alias bomb is an issue (go-yaml v2 ratio rule), not a thrown ReferenceError', () => {
    const lines = ['apiVersion: v1', 'kind: Namespace', 'metadata: {name: x}', 'a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    const r = loadText(lines.join('\n'));
    expect(r.cluster).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => i.code)).toEqual(['yaml-alias-bomb']);
  });

  it('alias amplification under the ratio rule is cut by the size budget', () => {
    // One 20k-character value aliased 60 times: few nodes (the ratio rule lets it pass), 1.2M characters.
    const refs = Array.from({ length: 60 }, (_, i) => `    - {key: k${i}, operator: In, values: *v}`).join('\n');
    const text = policyYaml(`podSelector:\n  matchExpressions:\n    - {key: k, operator: In, values: &v [${'a'.repeat(20_000)}]}\n${refs}`);
    const r = load(text);
    expect(r.cluster).toBeUndefined();
    const e = errorsOf(r.issues);
    expect(e.map((i) => i.code)).toEqual(['yaml-alias-bomb']);
    expect(e[0]!.message).toMatch(/beyond 1048576 characters/);
    // The same document with 40 aliases (0.8M characters) is within the budget.
    expect(load(text.split('\n').slice(0, -20).join('\n')).issues.map((i) => i.code)).not.toContain('yaml-alias-bomb');
  });

  it("many small aliases hit go-yaml's ratio rule", () => {
    const items = Array(2000).fill('a').join(',');
    const refs = Array.from({ length: 600 }, () => '    - {key: k, operator: In, values: *v}').join('\n');
    const r = load(policyYaml(`podSelector:\n  matchExpressions:\n    - {key: k, operator: In, values: &v [${items}]}\n${refs}`));
    expect(errorsOf(r.issues).map((i) => i.code)).toEqual(['yaml-alias-bomb']);
    expect(errorsOf(r.issues)[0]!.message).toMatch(/excessive aliasing/);
  });

  it('a text or file over maxInputBytes is refused before parsing; the CLI flag sets it', async () => {
    const text = policyYaml('podSelector: {}');
    expect(errorsOf(load(text, { maxInputBytes: 50 }).issues).map((i) => i.code)).toEqual(['input-too-large']);
    expect(load(text, { maxInputBytes: 10_000 }).cluster).toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), 'netpol-load-')), 'p.yaml');
    writeFileSync(file, text);
    expect(errorsOf(loadFiles([file], { maxInputBytes: 50 }).issues).map((i) => i.code)).toEqual(['input-too-large']);
    const printed: string[] = [];
    const code = await run(['validate', '-f', file, '--max-input-bytes', '50'], { out: (l) => printed.push(l), err: (l) => printed.push(l) });
    expect(code).toBe(2);
    expect(printed.join('\n')).toMatch(/: \d+ bytes, more than the input limit of 50 bytes/);
    expect(await run(['validate', '-f', file, '--max-input-bytes', 'lots'], { out: () => {}, err: () => {} })).toBe(2);
    // Standard input stops being read at the limit.
    const bin = join(import.meta.dirname, '../../packages/core/dist/cli/main.js');
    const piped = spawnSync(process.execPath, [bin, 'validate', '-f', '-', '--max-input-bytes', '50'], { input: text, encoding: 'utf8' });
    expect(piped.status).toBe(2);
    expect(piped.stdout + piped.stderr).toMatch(/<stdin>: more than the input limit of 50 bytes/);
  });

  it('YAML is refused beyond maxYamlTokens before it is parsed (counted by the lexer); JSON is not', () => {
    const doc = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n1', annotations: { a: Array(2000).fill('a').join(',') } } };
    const yaml = `apiVersion: v1\nkind: Namespace\nmetadata: {name: n1}\nx: [${Array(2000).fill('a').join(',')}]\n`;
    expect(errorsOf(load(yaml, { maxYamlTokens: 1000 }).issues).map((i) => i.code)).toEqual(['input-too-large']);
    expect(load(yaml, { maxYamlTokens: 10_000 }).cluster).toBeDefined();
    expect(load(JSON.stringify(doc), { maxYamlTokens: 10 }).cluster).toBeDefined();
  });

  it('JSON documents are read with JSON.parse; lines are found when an issue needs one', () => {
    const spy = vi.spyOn(JSON, 'parse');
    const json = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [policyObject({ podSelector: {} }), { ...policyObject({ podSelector: {} }), metadata: { name: 'Bad', namespace: 'demo' } }],
      },
      null,
      2,
    );
    const r = loadText(json, { file: 'dump.json' });
    expect(spy.mock.calls.some((c) => c[0] === json)).toBe(true);
    spy.mockRestore();
    const e = expectRejected(r, { path: 'metadata.name', code: 'invalid-name' });
    expect(json.split('\n')[e.line! - 1]).toContain('"name": "Bad"');
    // A YAML flow mapping that starts with `{` still loads.
    expect(loadText('{apiVersion: v1, kind: Namespace, metadata: {name: n1}}').cluster?.namespaces[0]?.name).toBe('n1');
  });

  it('a duplicate key in JSON is an error with its path and line (JSON.parse would keep the last one)', () => {
    const json =
      '{"apiVersion": "v1", "kind": "List", "items": [\n{"apiVersion": "v1", "kind": "Namespace",\n "metadata": {"name": "a", "labels": {"app": "x", "app": "y"}}}]}';
    const r = loadText(json);
    const e = expectRejected(r, { path: 'items[0].metadata.labels.app', code: 'duplicate-key' });
    expect(e.line).toBe(3);
    // Escapes are compared decoded; strings that look like keys are not keys.
    expect(
      loadText('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"a\\u0062": "x", "ab": "y"}}}').issues.map((i) => i.code),
    ).toContain('duplicate-key');
    expect(
      loadText('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "annotations": {"k": "{\\"a\\":1,\\"a\\":2}"}}}').cluster,
    ).toBeDefined();
    // And in YAML, keys that are duplicates only after kubectl's conversion (`on` is "true").
    expectRejected(load('apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {on: x, "true": y}}\n'), {
      path: 'metadata.labels.true',
      code: 'duplicate-key',
    });
  });

  it('echoed values are truncated: a 1 MB label value is not printed whole', () => {
    const big = 'a'.repeat(1_000_000);
    const r = load(`apiVersion: v1\nkind: Namespace\nmetadata: {name: n1, labels: {app: ${big}}}\n`);
    const e = expectRejected(r, { path: 'metadata.labels', code: 'invalid-label-value' });
    expect(e.message.length).toBeLessThan(400);
    expect(e.message).toContain('... (999900 more characters)');
    // A huge name is cut in the object it names too.
    const named = load(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${big}}\n`);
    expect(named.issues.every((i) => (i.object ?? '').length < 300 && i.message.length < 1000 && i.path.length < 300)).toBe(true);
  });
});
