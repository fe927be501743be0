/**
 * Tiny cluster builders for the semantics tests. Namespaces, pods and nodes are built as
 * objects and written out as JSON documents (JSON is YAML); policies are written as YAML
 * text so that each test shows the policy exactly as a user would write it.
 */
import { evaluator } from '../helpers.js';
import type { EvaluationOptions, ReferenceEvaluator, Verdict } from '@netpol/core';

type Doc = string | Record<string, unknown>;

export function ns(name: string, labels: Record<string, string> = {}): Doc {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export interface PodOptions {
  readonly labels?: Record<string, string>;
  readonly node?: string;
  readonly hostNetwork?: boolean;
  readonly phase?: string;
  /** One container per inner list: [name, containerPort, protocol?]. */
  readonly containers?: ReadonlyArray<ReadonlyArray<readonly [string, number, string?]>>;
  readonly initContainers?: ReadonlyArray<ReadonlyArray<readonly [string, number, string?]>>;
}

const containers = (list: PodOptions['containers'], prefix: string): unknown[] =>
  (list ?? []).map((ports, i) => ({
    name: `${prefix}${i}`,
    image: 'x',
    ports: ports.map(([name, containerPort, protocol]) => ({ name, containerPort, ...(protocol && { protocol }) })),
  }));

/** `ip` may list both families: `'10.0.0.1,fd00::1'`. */
export function pod(namespace: string, name: string, ip: string, o: PodOptions = {}): Doc {
  const ips = ip.split(',').filter((x) => x !== '');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: o.labels ?? {} },
    spec: {
      ...(o.node && { nodeName: o.node }),
      ...(o.hostNetwork && { hostNetwork: true }),
      containers: o.containers ? containers(o.containers, 'c') : [{ name: 'c', image: 'x' }],
      ...(o.initContainers && { initContainers: containers(o.initContainers, 'init') }),
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(ips[0] && { podIP: ips[0] }),
      podIPs: ips.map((x) => ({ ip: x })),
    },
  };
}

export function node(name: string, ...internalIPs: string[]): Doc {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { addresses: [{ type: 'Hostname', address: name }, ...internalIPs.map((address) => ({ type: 'InternalIP', address }))] },
  };
}

/** Removes the common indentation of a template literal. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** A NetworkPolicy; `spec` is YAML text (indentation free), or undefined for no spec at all. */
export function np(namespace: string, name: string, spec?: string): Doc {
  const head = `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`;
  if (spec === undefined) return head;
  return `${head}spec:\n${dedent(spec).split('\n').map((l) => `  ${l}`).join('\n')}\n`;
}

export function world(...docs: readonly Doc[]): string {
  return docs.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))).join('\n---\n');
}

export function build(docs: readonly Doc[], options: EvaluationOptions = {}): ReferenceEvaluator {
  return evaluator(world(...docs), options);
}

/** A verdict in one compact string, so tables of expectations stay readable. */
export const short = (v: Verdict): string => `${v.allowed ? 'ALLOW' : 'DENY'} egress=${v.egress} ingress=${v.ingress}`;

/** Every permutation of a short list (for order-independence checks). */
export function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}
