/**
 * Tiny cluster builders for the semantics tests. Namespaces, pods and nodes are built as
 * objects and written out as JSON documents (JSON is YAML); policies are written as YAML
 * text so that each test shows the policy exactly as a user would write it.
 *
 * Every table runs on every engine (ENGINES): the same rows, the same expected verdicts.
 * Test names carry the engine (`[compiled] ...`), so a failure says which one disagrees.
 * Explanations are checked on the engines that give them: a test of explanations alone is
 * registered on EXPLAINING only; a test of both checks its verdicts on every engine and its
 * explanations after `if (!engine.explains) return`.
 */
import { describe } from 'vitest';
import { cluster, evaluator } from '../helpers.js';
import { compile, CompiledDataplane, ImageDataplane, LiveDataplane, nativeStatus, readText } from '@netpol/core';
import type { Cluster, EvaluationOptions, Explanation, Flow, RawObject, Verdict } from '@netpol/core';

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
  return `${head}spec:\n${dedent(spec)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}

export function world(...docs: readonly Doc[]): string {
  return docs.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))).join('\n---\n');
}

/** What the tables ask of an engine built from their objects. */
export interface Built {
  verdict(flow: Flow): Verdict;
  /** Only on engines whose `explains` is true; the others throw. */
  explain(flow: Flow): Explanation;
}

export interface Engine {
  /** Shown as `[name]` in every test name. */
  readonly name: string;
  /**
   * Gives explanations: tests of explanations are registered only on these (the kernels over
   * bare images answer verdict bytes only; native explains with the compiled engine's code).
   */
  readonly explains: boolean;
  build(docs: readonly Doc[], options?: EvaluationOptions): Built;
}

const loaded = (docs: readonly Doc[]): Cluster => cluster(world(...docs));

function rawObjects(docs: readonly Doc[]): RawObject[] {
  const r = readText(world(...docs), 'test.yaml');
  if (r.issues.some((i) => i.severity === 'error')) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.objects;
}

/** Verdicts only: explain throws, so an unguarded explanation test fails loudly instead of passing. */
function verdictsOnly(name: string, verdict: (flow: Flow) => Verdict): Built {
  return {
    verdict,
    explain: () => {
      throw new Error(`the ${name} engine does not explain: register explanation tests only where engine.explains`);
    },
  };
}

const reference: Engine = { name: 'reference', explains: true, build: (docs, options = {}) => evaluator(world(...docs), options) };

/** CompiledDataplane on the JS kernel. */
const compiled: Engine = {
  name: 'compiled',
  explains: true,
  build: (docs, options = {}) => new CompiledDataplane(loaded(docs), { ...options, native: 'off' }),
};

/** The C++ kernel, every verdict a batch of one (L4 flows without a port are answered in JS). */
const native: Engine = {
  name: 'native',
  explains: false,
  build: (docs, options = {}) => {
    const dp = new CompiledDataplane(loaded(docs), { ...options, native: 'require' });
    return verdictsOnly('native', (f) => dp.verdictNative(f));
  },
};

/** LiveDataplane constructed from the objects. */
const live: Engine = { name: 'live', explains: true, build: (docs, options = {}) => new LiveDataplane(rawObjects(docs), { ...options, native: 'off' }) };

/**
 * LiveDataplane built empty, then fed the objects through `apply` in three batches, in reverse
 * order: policies arrive before the pods they select and pods before their namespaces and
 * nodes, so the incremental paths (new identities, namespace labels, node addresses) all run.
 */
const liveApplied: Engine = {
  name: 'live-apply',
  explains: true,
  build: (docs, options = {}) => {
    const dp = new LiveDataplane([], { ...options, native: 'off' });
    const objects = rawObjects(docs)
      .map((o) => o.value)
      .reverse();
    const size = Math.ceil(objects.length / 3);
    for (let i = 0; i < objects.length; i += size) {
      const r = dp.apply(objects.slice(i, i + size).map((object) => ({ op: 'apply' as const, object })));
      if (!r.applied || r.strategy !== 'incremental')
        throw new Error(`batch not applied incrementally (${r.reason ?? ''}): ${r.issues.map((x) => x.message).join('\n')}`);
    }
    return dp;
  },
};

/** compile() to bytes, then an ImageDataplane over a copy of those bytes alone. */
const image: Engine = {
  name: 'image',
  explains: false,
  build: (docs, options = {}) => {
    const dp = new ImageDataplane(compile(loaded(docs), options).image.slice(0), { native: 'off' });
    return verdictsOnly('image', (f) => dp.verdict(f));
  },
};

/**
 * The engines every table runs on. Native is listed only when the addon is loaded: nothing is
 * reported as skipped under NETPOL_NATIVE=0 (test/native checks the addon loads when it should).
 */
export const ENGINES: readonly Engine[] = [reference, compiled, ...(nativeStatus().active ? [native] : []), live, liveApplied, image];

/** The engines whose explanations the tables check. */
export const EXPLAINING: readonly Engine[] = ENGINES.filter((e) => e.explains);

/** `describe(title, body)` once per engine, named `[engine] title`. */
export function describeEach(engines: readonly Engine[], title: string, body: (engine: Engine) => void): void {
  for (const engine of engines) describe(`[${engine.name}] ${title}`, () => body(engine));
}

/** A verdict in one compact string, so tables of expectations stay readable. */
export const short = (v: Verdict): string => `${v.allowed ? 'ALLOW' : 'DENY'} egress=${v.egress} ingress=${v.ingress}`;

/** Every permutation of a short list (for order-independence checks). */
export function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}
