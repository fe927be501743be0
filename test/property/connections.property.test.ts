// The connection sets of ImageConnections (port-class set algebra over the image) agree with the
// reference evaluator port by port: for random clusters (with workloads whose template pods have
// no address, pods without IPs, with and without cluster-scoped tiers, under every combination
// of evaluation options), random pairs of ends (address-less pods, pod, node, edge and external
// addresses) and every interesting (protocol, port), `connections(...)` holds (protocol, port)
// iff the reference's verdictBetween allows it; the compiled dataplane's verdictBetween (and
// explainBetween, on some samples) equals the reference's; and between two addresses
// verdictBetween equals the verdict of the Flow.
// A planted bug (the Baseline tier's denials forgotten) is caught. Replay with FC_SEED=<seed>.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, ReferenceEvaluator, compile, type Cluster, type EvaluationOptions, type FlowEnd } from '@netpol/core';
import { ImageConnections } from '../../packages/core/src/analysis/pair-connections.js';
import type { ConnectionSet } from '../../packages/core/src/analysis/connection-set.js';
import { addresslessPods, type CompileResult } from '../../packages/core/src/compile/compile.js';
import { sectionViews, TIER_DECISION, TIER_DECISION_STRIDE } from '../../packages/core/src/compile/layout.js';
import {
  clusterArbitrary,
  evaluationOptionsArbitrary,
  interestingAddresses,
  interestingL4,
  interestingPorts,
} from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterToYaml } from '../../packages/core/src/fuzz/to-yaml.js';
import { formatIP } from '../../packages/core/src/ip/address.js';
import { PROTOCOL_NUMBERS } from '../../packages/core/src/model/protocol.js';
import { runs } from '../helpers.js';

const { TCP, UDP, SCTP, ICMP } = PROTOCOL_NUMBERS;

/** Every end worth pairing: pods without an address, and the addresses the cluster mentions. */
function endsOf(cluster: Cluster): FlowEnd[] {
  return [
    ...addresslessPods(cluster).map((pod) => ({ pod })),
    ...interestingAddresses(cluster, 4).map((address) => ({ address })),
    ...interestingAddresses(cluster, 6).map((address) => ({ address })),
  ];
}

/** (protocol, port) samples: the cluster's pairs, every interesting port of each protocol, ports 1 and 65535, protocols without ports. */
function samplesOf(cluster: Cluster): { protocol: number; port?: number }[] {
  const l4 = interestingL4(cluster);
  const ports = interestingPorts(cluster).filter((p) => p >= 1);
  return [
    ...l4.containers,
    ...l4.rules.filter((s) => s.port >= 1 && s.port <= 65535),
    ...[TCP, UDP, SCTP].flatMap((protocol) => ports.map((port) => ({ protocol, port }))),
    { protocol: ICMP },
    { protocol: 47 },
  ];
}

function contains(c: ConnectionSet, protocol: number, port: number | undefined): boolean {
  const ranges = protocol === TCP ? c.tcp : protocol === UDP ? c.udp : protocol === SCTP ? c.sctp : undefined;
  if (!ranges) return c.otherProtocols;
  return ranges.some((r) => port! >= r.start && port! <= r.end);
}

const endText = (e: FlowEnd): string => (e.address ? formatIP(e.address) : `${e.pod!.namespace}/${e.pod!.name} (no address)`);

/**
 * The first disagreement over the given pairs (indexes into endsOf), or undefined. `connectionsOf`
 * makes the ImageConnections under test from compile()'s result; `compiled`: also check the
 * compiled dataplane's verdictBetween and the Flow verdict.
 */
function disagreement(
  cluster: Cluster,
  options: EvaluationOptions,
  pairs: readonly [number, number][],
  connectionsOf: (r: CompileResult) => ImageConnections,
  full: boolean,
): string | undefined {
  const ends = endsOf(cluster);
  const reference = new ReferenceEvaluator(cluster, options);
  const compiled = full ? new CompiledDataplane(cluster, options) : undefined;
  const conns = connectionsOf(compile(cluster, options));
  const samples = samplesOf(cluster);
  for (const [i, j] of pairs) {
    const src = ends[i % ends.length]!;
    const dst = ends[j % ends.length]!;
    if (src.address && dst.address && src.address.family !== dst.address.family) continue;
    const set = conns.connections(conns.entryOf(src), conns.entryOf(dst));
    for (const [n, { protocol, port }] of samples.entries()) {
      const want = reference.verdictBetween(src, dst, protocol, port);
      const where = `${endText(src)} -> ${endText(dst)} protocol ${protocol} port ${port ?? '-'}`;
      if (contains(set, protocol, port) !== want.allowed) return `${where}: reference ${JSON.stringify(want)}, connections ${JSON.stringify(set)}`;
      if (!compiled) continue;
      const got = compiled.verdictBetween(src, dst, protocol, port);
      if (JSON.stringify(got) !== JSON.stringify(want)) return `${where}: reference ${JSON.stringify(want)}, compiled ${JSON.stringify(got)}`;
      // Explanations too, for a few samples per pair (they cost more).
      if (n % 8 === 0) {
        const a = JSON.stringify(reference.explainBetween(src, dst, protocol, port));
        const b = JSON.stringify(compiled.explainBetween(src, dst, protocol, port));
        if (a !== b) return `${where}: reference explains ${a}\ncompiled explains ${b}`;
      }
      if (src.address && dst.address) {
        const flow = reference.verdict({ src: src.address, dst: dst.address, protocol, ...(port !== undefined && { port }) });
        if (JSON.stringify(flow) !== JSON.stringify(want)) return `${where}: verdict ${JSON.stringify(flow)}, verdictBetween ${JSON.stringify(want)}`;
      }
    }
  }
  return undefined;
}

const pairsArb = fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 });

const scenario = (maxClusterPolicies: number) =>
  fc.record({
    cluster: clusterArbitrary({ maxWorkloads: 5, maxClusterPolicies, maxPods: 6 }),
    options: evaluationOptionsArbitrary,
    pairs: pairsArb,
    // The per-direction memo as a typed table (the default) or, as for images too large for one, a Map.
    mapMemo: fc.boolean(),
  });

describe('ImageConnections = reference, port by port', () => {
  test.each([
    ['NetworkPolicy only, with workloads and pods without addresses', 0],
    ['with cluster-scoped tiers', 4],
  ])('%s', (_, maxClusterPolicies) => {
    fc.assert(
      fc.property(scenario(maxClusterPolicies), ({ cluster, options, pairs, mapMemo }) => {
        const d = disagreement(cluster, options, pairs, (r) => new ImageConnections(r, mapMemo ? { memoTableCells: 0 } : {}), true);
        if (d) expect.fail(`${d}\noptions ${JSON.stringify(options)}\n---\n${clusterToYaml(cluster)}`);
      }),
      { numRuns: runs(100) },
    );
  });

  test('a planted bug is caught: the Baseline tier denies nothing (its deny sets emptied in a copy of the image)', () => {
    const noBaselineDeny = (r: CompileResult): ImageConnections => {
      const image = r.image.slice(0);
      const decisions = sectionViews(image).tierDecisions;
      for (let k = 0; k < decisions.length; k += TIER_DECISION_STRIDE) decisions[k + TIER_DECISION.baselineDeny] = 0;
      return new ImageConnections({ image, provenance: r.provenance });
    };
    let found: { cluster: Cluster; options: EvaluationOptions; pairs: [number, number][] } | undefined;
    const result = fc.check(
      fc.property(scenario(4), (s) => {
        if (disagreement(s.cluster, s.options, s.pairs, noBaselineDeny, false) === undefined) return true;
        found = s;
        return false;
      }),
      { numRuns: 500, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
    // The case found shows the mutation at work: the reference denies by a Baseline rule where the mutant allows.
    const d = disagreement(found!.cluster, found!.options, found!.pairs, noBaselineDeny, false)!;
    expect(d).toMatch(/baseline-denied/);
  });
});
