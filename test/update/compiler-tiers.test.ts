// The live compiler with cluster-scoped policies (Admin and Baseline tiers), object by object:
// after every change its image gives every flow (names included) the verdict bytes of a fresh
// compile of the same objects and of the reference evaluator.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, ImageDataplane, ReferenceEvaluator, type Cluster, type Flow } from '@netpol/core';
import { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';
import type { NameClasses } from '../../packages/core/src/compile/name-classes.js';
import type { SectionName } from '../../packages/core/src/compile/layout.js';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { referenceVerdicts, runs } from '../helpers.js';
import { applyOp, opArbitrary } from './compiler-ops.js';
import {
  anp,
  cnp,
  inNamespaces,
  namedPort,
  namespace,
  netpol,
  networksPeer,
  nodeOf,
  nodesPeer,
  podOf,
  podsPeer,
  rule,
  tcp,
} from '../semantics/tier-fixtures.js';

/** The live image read as a generation reads it: names through the compiler's classes. */
class LiveImage extends ImageDataplane {
  constructor(
    buffer: ArrayBuffer,
    private readonly names: NameClasses,
  ) {
    super(buffer, { native: 'off' });
  }
  override nameClassOf(flow: Flow): number {
    return this.names.classOf(flow.dstName);
  }
}

const show = (f: Flow): string => JSON.stringify(f, (_, v) => (typeof v === 'bigint' ? v.toString() : v));

let tiered = 0;

function agree(compiler: LiveCompiler, seed: number, extra?: Cluster): void {
  const cluster = compiler.cluster();
  const live = new LiveImage(compiler.master.buffer, compiler.nameClasses());
  const fresh = new CompiledDataplane(cluster, { native: 'off' });
  const reference = new ReferenceEvaluator(cluster);
  const flows = [
    ...fc.sample(flowArbitrary(cluster), { numRuns: 40, seed }),
    ...(extra ? fc.sample(flowArbitrary(extra), { numRuns: 20, seed }) : []),
  ] as Flow[];
  for (const [f, want] of referenceVerdicts(reference, flows)) {
    expect(fresh.verdict(f), show(f)).toEqual(want);
    expect(live.verdict(f), show(f)).toEqual(want);
    if (/admin|baseline/.test(want.egress + want.ingress)) tiered++;
  }
}

const tiers = { maxClusterPolicies: 4 };

describe('LiveCompiler with cluster-scoped tiers', () => {
  test('built from a cluster, answers as compile() and the reference', () => {
    tiered = 0;
    fc.assert(
      fc.property(clusterArbitrary(tiers), fc.integer(), (cluster, seed) => {
        agree(new LiveCompiler(cluster), seed);
      }),
      { numRuns: runs(100) },
    );
    // The clusters exercise the tiers: flows decided by an Admin or Baseline rule.
    expect(tiered).toBeGreaterThan(100);
  });

  test('object by object from an empty start: pods, namespaces and nodes relabelled, cluster-scoped policies added, replaced and deleted', () => {
    tiered = 0;
    const op = opArbitrary(['pod', 'pod', 'pod', 'policy', 'cluster-policy', 'cluster-policy', 'cluster-policy', 'namespace', 'node', 'delete']);
    fc.assert(
      fc.property(clusterArbitrary(tiers), clusterArbitrary(tiers), fc.array(op, { maxLength: 30 }), fc.integer(), (a, b, ops, seed) => {
        const compiler = new LiveCompiler({ namespaces: [], pods: [], nodes: [], policies: [] });
        for (const o of ops) {
          applyOp(compiler, o, a, b);
          agree(compiler, seed, a);
        }
      }),
      { numRuns: runs(60) },
    );
    // Sequences build clusters up from nothing: fewer tier decisions than whole clusters give.
    expect(tiered).toBeGreaterThan(20);
  });

  test('incremental where it matters: pods, namespace and node labels never recompute the tier part; a cluster-scoped policy never touches the NetworkPolicy matrices', () => {
    const guard = anp('guard', 10, inNamespaces({ team: 'a' }), {
      egress: [rule('Deny', [podsPeer({}, { app: 'db' })], [tcp(5432)]), rule('Pass', [nodesPeer({ zone: 'x' })])],
    });
    const cluster: Cluster = {
      namespaces: [namespace('prod', { team: 'a' })],
      pods: [podOf('prod', 'web', '10.0.0.1', { labels: { app: 'web' }, node: 'n1' }), podOf('prod', 'db', '10.0.0.2', { labels: { app: 'db' }, node: 'n1' })],
      nodes: [nodeOf('n1', '10.0.2.1', { zone: 'x' })],
      policies: [netpol('prod', 'db-only-web', { app: 'db' }, { ingress: [{ app: 'web' }] })],
      clusterPolicies: [guard, cnp('baseline', 'Baseline', 5, inNamespaces(), { egress: [rule('Deny', [networksPeer('0.0.0.0/0')])] })],
    };
    const compiler = new LiveCompiler(cluster);
    const m = compiler.master;
    // What each commit writes, by section and range (the master's own page marks, read white-box).
    let writes: [SectionName, number, number][] = [];
    const touch = m.touch.bind(m);
    m.touch = (section, start, end) => {
      writes.push([section, start, end]);
      touch(section, start, end);
    };
    const commit = (): Set<SectionName> => {
      writes = [];
      compiler.commit();
      agree(compiler, 1);
      return new Set(writes.map(([s]) => s));
    };
    /** A recompute starts by clearing each tier section whole. */
    const recomputed = () => writes.some(([s, a, b]) => s === 'tierDecisions' && a === 0 && b === m.views.tierDecisions.length);
    const tierSections: SectionName[] = ['tierEgressMatrix', 'tierIngressMatrix', 'tierDecisions'];

    // A replica of web (a known identity): its entry and leaf only, nothing of either part's tables.
    compiler.setPod(podOf('prod', 'web-2', '10.0.0.3', { labels: { app: 'web' }, node: 'n1' }));
    let written = commit();
    expect(written.has('entries')).toBe(true);
    for (const s of [...tierSections, 'egressMatrix', 'ingressMatrix'] as const) expect(written.has(s), s).toBe(false);
    // Namespace and node relabels: entries (and new tier cells if a new class appears), no recompute.
    compiler.setNamespace(namespace('prod', { team: 'b' }));
    commit();
    expect(recomputed()).toBe(false);
    compiler.setNode(nodeOf('n1', '10.0.2.1', { zone: 'y' }));
    commit();
    expect(recomputed()).toBe(false);
    // A cluster-scoped policy's priority and rules change: the tier part is recomputed, every
    // entry's tier fields written, the NetworkPolicy matrices untouched.
    compiler.setClusterPolicy({ ...guard, priority: 20, egress: [guard.egress[1]!, guard.egress[0]!] });
    written = commit();
    expect(recomputed()).toBe(true);
    expect(written.has('entries')).toBe(true);
    expect(written.has('egressMatrix') || written.has('ingressMatrix')).toBe(false);
    // The same policy again (a resync): nothing to recompute.
    compiler.setClusterPolicy({ ...guard, priority: 20, egress: [guard.egress[1]!, guard.egress[0]!] });
    expect(commit().size).toBe(0);
  });

  test('churn: tier classes nobody uses any more pile up to a bound, then the tier part is recomputed without them', () => {
    // Egress to a named port: each destination's named ports are part of its tier column.
    const web = cnp('web', 'Admin', 1, inNamespaces(), { egress: [rule('Accept', [podsPeer({}, { app: 'web' })], [namedPort('http')])] });
    const client = podOf('prod', 'client', '10.0.0.1');
    const compiler = new LiveCompiler({ namespaces: [namespace('prod')], pods: [client], nodes: [], policies: [], clusterPolicies: [web] });
    const m = compiler.master;
    let recomputes = 0;
    const touch = m.touch.bind(m);
    m.touch = (section, start, end) => {
      if (section === 'tierDecisions' && start === 0 && end === m.views.tierDecisions.length) recomputes++;
      touch(section, start, end);
    };
    // Pods come and go, each with a port number of its own: a new column each, unused once gone.
    for (let i = 0; i < 1100; i++) {
      compiler.setPod(podOf('prod', `web-${i}`, '10.0.0.2', { labels: { app: 'web' }, ports: [['http', 2000 + i]] }));
      compiler.commit();
      compiler.deletePod('prod', `web-${i}`);
      compiler.commit();
    }
    expect(recomputes).toBe(1);
    compiler.setPod(podOf('prod', 'web-last', '10.0.0.2', { labels: { app: 'web' }, ports: [['http', 8080]] }));
    compiler.commit();
    agree(compiler, 3);
    const live = new LiveImage(compiler.master.buffer, compiler.nameClasses());
    const flow = (port: number): Flow => ({ src: client.ips[0]!, dst: { family: 4, value: 0x0a000002n }, protocol: 6, port });
    expect(live.verdict(flow(8080)).egress).toBe('admin-allowed');
    expect(live.verdict(flow(2000)).egress).toBe('not-isolated');
  });
});
