/**
 * Builders shared by the validation tests. Policies are written either as YAML text (when
 * lines matter) or as plain objects serialised to JSON, which is YAML too and needs no quoting.
 */
import { expect } from 'vitest';
import { formatCIDR, loadText, type Issue, type LoadOptions, type LoadResult, type NetworkPolicy } from '@netpol/core';

/** Removes the common indentation of a template literal and the first/last blank lines. */
export function dedent(text: string): string {
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  const margin = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(margin)).join('\n') + '\n';
}

const indent = (text: string, n: number): string =>
  text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l.trim() === '' ? l : ' '.repeat(n) + l))
    .join('\n');

/** A NetworkPolicy in YAML; `spec` and `metadata` are written at column 0. */
export function policyYaml(spec: string, metadata = 'name: p\nnamespace: ns'): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n${indent(dedent(metadata), 2)}\nspec:\n${indent(dedent(spec), 2)}\n`;
}

/** A NetworkPolicy as JSON text (valid YAML), built from a plain spec object. */
export function policyJson(spec: unknown, metadata: Record<string, unknown> = { name: 'p', namespace: 'ns' }): string {
  return JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata, ...(spec !== undefined && { spec }) });
}

export function load(text: string, opts: LoadOptions = {}): LoadResult {
  return loadText(text, { file: 'test.yaml', ...opts });
}

export const errorsOf = (issues: readonly Issue[]): Issue[] => issues.filter((i) => i.severity === 'error');
export const warningsOf = (issues: readonly Issue[]): Issue[] => issues.filter((i) => i.severity === 'warning');

/** Short form of issues for readable assertion failures. */
export const brief = (issues: readonly Issue[]): string[] =>
  issues.map((i) => `${i.severity} ${i.check ?? '-'} ${i.code} ${i.path} line=${i.line ?? '?'}: ${i.message}`);

export interface Expected {
  readonly check?: string;
  readonly path: string;
  readonly type?: string;
  readonly code?: string;
}

/** Asserts the load failed and holds an error exactly like `e`. */
export function expectRejected(r: LoadResult, e: Expected): Issue {
  expect(r.cluster, brief(r.issues).join('\n')).toBeUndefined();
  return expectIssue(r.issues, 'error', e);
}

export function expectIssue(issues: readonly Issue[], severity: 'error' | 'warning', e: Expected): Issue {
  const found = issues.find(
    (i) => i.severity === severity && i.path === e.path && (e.check === undefined || i.check === e.check) && (e.code === undefined || i.code === e.code),
  );
  expect(found, `no ${severity} ${e.check ?? e.code ?? ''} at ${e.path}; got:\n${brief(issues).join('\n')}`).toBeDefined();
  if (e.type !== undefined) expect(found!.type).toBe(e.type);
  // The message is the API server's `<path>: <Type>...` string.
  expect(found!.message.startsWith(found!.type ? `${e.path}: ${found!.type}` : `${e.path}: `)).toBe(true);
  return found!;
}

/** The only errors are exactly these, in this order. */
export function expectOnlyErrors(r: LoadResult, expected: readonly Expected[]): void {
  expect(r.cluster).toBeUndefined();
  const errors = errorsOf(r.issues).map((i) => ({ check: i.check, path: i.path, type: i.type }));
  expect(errors, brief(r.issues).join('\n')).toEqual(expected.map((e) => ({ check: e.check, path: e.path, type: e.type })));
}

/** The ipBlock of one peer of the first policy, printed (masked) as evaluated. */
export function ipBlockOf(policy: NetworkPolicy, dir: 'ingress' | 'egress' = 'ingress', rule = 0, peer = 0): { cidr: string; except: string[] } {
  const p = policy[dir][rule]?.peers[peer];
  if (p?.kind !== 'ipBlock') throw new Error(`peer ${dir}[${rule}].peers[${peer}] is not an ipBlock`);
  return { cidr: formatCIDR(p.ipBlock.cidr), except: p.ipBlock.except.map(formatCIDR) };
}
