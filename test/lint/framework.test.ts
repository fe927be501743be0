// The lint framework (lint/lint.ts): findings located at the line of their field through the
// object's source, sorted, suppressed per object by annotation (counted apart, never dropped),
// checks chosen by id, and no finding at all when the input does not load (fail closed).
import { describe, expect, test } from 'vitest';
import { lintText, selectChecks, LINT_CHECKS, type LintCheck, type LintContext } from '@netpol/core';

/** A check that flags every NetworkPolicy at its podSelector, and says whether it saw the source. */
const everyPolicy: LintCheck = {
  id: 'test-every-policy',
  severity: 'warning',
  title: 'every policy',
  description: 'flags every NetworkPolicy (framework test)',
  *run(ctx: LintContext) {
    for (const p of ctx.cluster.policies) {
      const written = ctx.source?.({ kind: 'NetworkPolicy', namespace: p.namespace, name: p.name });
      const spec = written?.['spec'] as Record<string, unknown> | undefined;
      yield {
        object: { kind: 'NetworkPolicy', namespace: p.namespace, name: p.name },
        path: ['spec', 'podSelector'],
        message: `policy ${p.name}${spec && 'policyTypes' in spec ? ' with policyTypes' : ''}`,
        fix: 'none',
      };
    }
  },
};

/** A check with an info finding on every namespace (cluster-scoped objects) at the whole object. */
const everyNamespace: LintCheck = {
  id: 'test-every-namespace',
  severity: 'info',
  title: 'every namespace',
  description: 'flags every Namespace (framework test)',
  *run(ctx: LintContext) {
    for (const ns of ctx.cluster.namespaces)
      yield { object: { kind: 'Namespace', name: ns.name }, path: [], message: ns.name, fix: 'none', severity: 'error' as const };
  },
};

const checks = [everyPolicy, everyNamespace];

const YAML = `apiVersion: v1
kind: Namespace
metadata:
  name: prod
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: b
  namespace: prod
spec:
  podSelector:
    matchLabels: {app: b}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: a
spec:
  podSelector: {}
`;

describe('lintText', () => {
  test('locates each finding at its field, in the object as loaded (the default namespace filled in), sorted by line', () => {
    const r = lintText(YAML, { checks, file: 'in.yaml' });
    expect(r.cluster).toBeDefined();
    expect(r.findings.map((f) => [f.file, f.line, f.id, f.severity, f.object, f.path, f.message])).toEqual([
      ['in.yaml', 1, 'test-every-namespace', 'error', 'Namespace prod', '', 'prod'],
      ['in.yaml', 12, 'test-every-policy', 'warning', 'NetworkPolicy prod/b', 'spec.podSelector', 'policy b with policyTypes'],
      ['in.yaml', 21, 'test-every-policy', 'warning', 'NetworkPolicy default/a', 'spec.podSelector', 'policy a'],
      // The implicit namespace default has no source: no file, no line, sorted last.
      [undefined, undefined, 'test-every-namespace', 'error', 'Namespace default', '', 'default'],
    ]);
    expect(r.suppressed).toEqual([]);
  });

  test('-n (defaultNamespace) decides which object a finding about a namespace-less policy is', () => {
    const r = lintText(YAML, { checks, defaultNamespace: 'dev', enableOnly: ['test-every-policy'] });
    expect(r.findings.map((f) => [f.line, f.object])).toEqual([
      [12, 'NetworkPolicy prod/b'],
      [21, 'NetworkPolicy dev/a'],
    ]);
  });

  test('the annotation suppresses the listed checks on its object only; `*` and `all` every check', () => {
    const annotated = (value: string) =>
      YAML.replace('  name: b\n', `  name: b\n  annotations:\n    lint.netpol.io/ignore: "${value}"\n`).replace(
        'kind: Namespace\nmetadata:\n',
        `kind: Namespace\nmetadata:\n  annotations: {lint.netpol.io/ignore: "${value}"}\n`,
      );
    for (const value of ['test-every-policy', ' other , test-every-policy', '*', 'all']) {
      const r = lintText(annotated(value), { checks });
      expect(r.suppressed.map((f) => f.object)).toEqual(value.includes('policy') ? ['NetworkPolicy prod/b'] : ['Namespace prod', 'NetworkPolicy prod/b']);
      expect(r.findings.map((f) => f.object)).toContain('NetworkPolicy default/a');
      expect(r.findings.length + r.suppressed.length).toBe(4);
    }
    // Another check's id suppresses nothing here.
    expect(lintText(annotated('test-every-namespace'), { checks, enableOnly: ['test-every-policy'] }).suppressed).toEqual([]);
  });

  test('input with errors: no findings, every issue, no cluster', () => {
    const r = lintText(YAML.replace('podSelector: {}', 'podSelector: {matchLabels: {"a b": x}}') + '---\nkind: Pod\n', { checks });
    expect(r.cluster).toBeUndefined();
    expect(r.findings).toEqual([]);
    expect(r.issues.filter((i) => i.severity === 'error').length).toBeGreaterThanOrEqual(2);
  });

  test('--disable and --enable-only choose checks by id; an unknown id is a RangeError with the closest id', () => {
    expect(lintText(YAML, { checks, disable: ['test-every-policy'] }).findings.map((f) => f.id)).toEqual(['test-every-namespace', 'test-every-namespace']);
    expect(selectChecks({ checks, enableOnly: ['test-every-namespace', 'test-every-policy'], disable: ['test-every-policy'] }).map((c) => c.id)).toEqual([
      'test-every-namespace',
    ]);
    expect(() => lintText(YAML, { checks, disable: ['test-every-polcy'] })).toThrow(
      /unknown lint check "test-every-polcy" \(did you mean "test-every-policy"\?\)/,
    );
    expect(() => lintText(YAML, { checks, disabled: [] } as never)).toThrow(TypeError);
  });

  test('a check that throws names itself', () => {
    const broken: LintCheck = {
      ...everyPolicy,
      id: 'test-broken',
      run: () => {
        throw new Error('boom');
      },
    };
    expect(() => lintText(YAML, { checks: [broken] })).toThrow('lint check test-broken failed: boom');
  });

  test('every registered check has a unique kebab-case id, a severity, a title and a description', () => {
    const ids = LINT_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of LINT_CHECKS) {
      expect(c.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(['error', 'warning', 'info']).toContain(c.severity);
      expect(c.title.length).toBeGreaterThan(0);
      expect(c.description.length).toBeGreaterThan(c.title.length);
    }
  });
});
