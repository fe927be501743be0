/**
 * Correctness of the update path, not only its speed: after a change, the published
 * generation must judge flows that involve the changed object exactly as the reference
 * evaluator judges the same objects; after the whole run, the live generation must equal a
 * fresh compile of the final objects byte for byte over a trace. A mismatch throws
 * VerdictMismatchError (the bench exits 1).
 */
import { CompiledDataplane, decodeVerdict, type Flow, type FlowBatch, type IPAddress, type Pod, type Verdict } from '@netpol/core';
import type { Random } from '@netpol/core/internal';
import { VerdictMismatchError, describeFlow, describeVerdict, sampleIndices } from './engines.js';
import { flowAt } from './generators.js';
import type { ClusterModel } from './update-model.js';

/** What the benchmark needs of a published generation (`live.current`, or any dataplane). */
export interface Published {
  verdictCode(flow: Flow): number;
  verdictBatch(batch: FlowBatch, out: Uint8Array): void;
}

const COMMON_PORTS = [53, 80, 443, 5432, 6379, 8080, 8125, 9090, 50051];
// Public addresses (one is 8.8.8.8, outside every pod and node range) and an address inside
// the generator's default ipBlock excepts (10/8), which no pod holds.
const EXTERNALS: IPAddress[] = [0x08080808, 0x5db8d822, 0x0a000001].map((v) => ({ family: 4, value: BigInt(v) }));

const same = (a: Verdict, b: Verdict): boolean => a.allowed === b.allowed && a.egress === b.egress && a.ingress === b.ingress;

/**
 * Flows with each subject address at one end: the other end a pod of the same namespace, any
 * pod, a node or an external address; the port one the destination pod serves most of the
 * time, a common one otherwise, now and then ICMP.
 */
export function flowsAround(model: ClusterModel, subjects: readonly IPAddress[], perSubject: number, r: Random): Flow[] {
  const v4 = (p: Pod): IPAddress => p.ips.find((ip) => ip.family === 4)!;
  const pods = [...model.pods.values()].filter((p) => !p.hostNetwork && p.ips.some((ip) => ip.family === 4));
  const byIP = new Map<bigint, Pod>(pods.map((p) => [v4(p).value, p]));
  const nodes = [...model.nodes.values()].flatMap((n) => n.ips.filter((ip) => ip.family === 4));
  const flows: Flow[] = [];
  for (const s of subjects.filter((ip) => ip.family === 4)) {
    const own = byIP.get(s.value);
    const local = own ? pods.filter((p) => p.namespace === own.namespace) : [];
    for (let j = 0; j < perSubject; j++) {
      const u = r.next();
      const other: IPAddress =
        u < 0.4 && local.length > 0 ? v4(r.pick(local)) : u < 0.8 ? v4(r.pick(pods)) : u < 0.9 && nodes.length > 0 ? r.pick(nodes) : r.pick(EXTERNALS);
      const [src, dst] = r.chance(0.5) ? [s, other] : [other, s];
      const served = byIP.get(dst.value)?.ports ?? [];
      const v = r.next();
      if (v < 0.05) flows.push({ src, dst, protocol: 1, icmpType: 8 });
      else if (v < 0.75 && served.length > 0) {
        const p = r.pick(served);
        flows.push({ src, dst, protocol: p.protocol === 'TCP' ? 6 : p.protocol === 'UDP' ? 17 : 132, port: p.port });
      } else flows.push({ src, dst, protocol: r.chance(0.8) ? 6 : 17, port: r.pick(COMMON_PORTS) });
    }
  }
  return flows;
}

/**
 * Checks the flows on `gen` against the reference over the model's objects. `corrupt`
 * flips the expected verdict of the first flow: the self-test that the check can fail.
 */
export function checkFlows(where: string, gen: Published, model: ClusterModel, flows: readonly Flow[], corrupt = false): void {
  const ref = model.reference();
  flows.forEach((f, i) => {
    const want0 = ref.verdict(f);
    const want = corrupt && i === 0 ? { ...want0, allowed: !want0.allowed } : want0;
    const got = decodeVerdict(gen.verdictCode(f));
    if (!same(want, got)) {
      const planted = want !== want0 ? ' [planted: the expected verdict was flipped on purpose]' : '';
      throw new VerdictMismatchError(
        `${where}: the live generation disagrees with the reference evaluator on ${describeFlow(f)}: reference ${describeVerdict(want)}, live ${describeVerdict(got)}${planted}`,
      );
    }
  });
}

/**
 * The end state: the live generation's verdict bytes over the whole trace equal those of a
 * fresh compile of the model's objects, and those equal the reference on an evenly spread sample.
 */
export function checkFinal(
  where: string,
  gen: Published,
  model: ClusterModel,
  trace: FlowBatch,
  referenceSample: number,
): { flows: number; referenceSample: number } {
  const fresh = new CompiledDataplane(model.cluster());
  const got = new Uint8Array(trace.count);
  const want = new Uint8Array(trace.count);
  gen.verdictBatch(trace, got);
  fresh.verdictBatch(trace, want);
  for (let i = 0; i < trace.count; i++) {
    if (got[i] !== want[i]) {
      const f = flowAt(trace, i);
      throw new VerdictMismatchError(
        `${where}: the live generation disagrees with a fresh compile of the same objects on flow #${i} ${describeFlow(f)}: live ${describeVerdict(decodeVerdict(got[i]!))}, fresh ${describeVerdict(decodeVerdict(want[i]!))}, reference ${describeVerdict(model.reference().verdict(f))}`,
      );
    }
  }
  const idx = sampleIndices(trace.count, referenceSample);
  checkFlows(
    `${where} (end state)`,
    gen,
    model,
    idx.map((i) => flowAt(trace, i)),
  );
  return { flows: trace.count, referenceSample: idx.length };
}
