/**
 * `verdict` and `explain` on flow records that are not one address to another: a flow to a
 * Service (judged per backend after kube-proxy's DNAT) and a flow between endpoints
 * (`namespace/name[Kind]`, pods without an address). The JSON line and the text each prints.
 */
import {
  explainEnds,
  explainService,
  endsVerdict,
  serviceVerdict,
  type PairExplainer,
  type PairVerdict,
  type ServiceVerdict,
} from '../analysis/service-verdict.js';
import type { BetweenEngine, Engine } from '../analysis/engine.js';
import type { FlowRecordParse } from '../flow/record.js';
import type { Explanation } from '../model/flow.js';
import { protocolName } from '../model/protocol.js';
import type { ServiceIndex } from '../model/services.js';
import { explanationText } from './explain-text.js';
import { UsageError } from './common.js';

/** A record parseFlowRecord did not make a plain flow of. */
export type ExpandedRecord = Exclude<Extract<FlowRecordParse, { ok: true }>, { kind: 'flow' }>;

/** The engine as one that judges ends without addresses; every engine the CLI makes is one. */
export function betweenEngine(engine: Engine): BetweenEngine {
  if (!('verdictBetween' in engine)) throw new UsageError('this engine cannot judge flows to Services or endpoints; use --engine compiled or reference');
  return engine as BetweenEngine;
}

/** The `service` object of a verdict line: the Service, how it was reached, the port and where the backends came from. */
function serviceField(v: ServiceVerdict): object {
  return {
    name: v.service,
    type: v.type,
    ...(v.headless && { headless: true }),
    via: v.via,
    ...(v.address !== undefined && { address: v.address }),
    ...(v.servicePort && { port: v.servicePort }),
    backendSource: v.backendSource,
  };
}

/** A ServiceVerdict as verdict lines carry it. */
const serviceFields = (v: ServiceVerdict) => ({
  allowed: v.allowed,
  some: v.some,
  service: serviceField(v),
  backends: v.backends,
  ...(v.notes.length > 0 && { notes: v.notes }),
});

/**
 * The verdict line's fields for an expanded record: `allowed` (every backend or pair allows,
 * and there is one), `some`, and `service` with `backends`, or `pairs`; `notes` when there are.
 */
export function expandedVerdict(engine: Engine, services: ServiceIndex, r: ExpandedRecord): { readonly allowed: boolean } {
  const e = betweenEngine(engine);
  if (r.kind === 'service') {
    return serviceFields(serviceVerdict(e, r.src, r.target, services));
  }
  return endsVerdict(e, r.src, r.dst, r.protocol, r.port);
}

const pairHead = (p: PairVerdict): string =>
  `${p.src} -> ${p.dst}${p.address && p.address !== p.dst ? ` (${p.address})` : ''}${p.port !== undefined ? ` port ${p.port}` : ''}`;

/** One pair: its explanation indented, or its verdict and why it has no explanation. */
function pairText(p: PairVerdict, e: Explanation | undefined, protocol: string): string[] {
  if (e) return explanationText(e, { src: p.src, dst: p.dst + (p.address && p.address !== p.dst ? ` (${p.address})` : '') }).split('\n');
  const why = p.error ?? `egress ${p.egress}, ingress ${p.ingress}`;
  return [`${pairHead(p)} ${protocol}: ${p.allowed ? 'ALLOWED' : 'DENIED'} (${why})`];
}

const verdictWord = (allowed: boolean, some: boolean, n: number): string =>
  allowed ? 'ALLOWED' : some ? `DENIED (allowed to some backends but not all: ${n} judged)` : 'DENIED';

/**
 * What `explain` prints for an expanded record: the text, and the JSON object (the verdict
 * line's fields plus `explanations`, one per backend or pair, null where the engine cannot
 * explain that pair).
 */
export function expandedExplanation(
  engine: Engine,
  services: ServiceIndex,
  r: ExpandedRecord,
  explainer?: PairExplainer,
): { allowed: boolean; text: string; json: object } {
  const e = betweenEngine(engine);
  const lines: string[] = [];
  if (r.kind === 'service') {
    const { verdict: v, explanations } = explainService(e, r.src, r.target, services, explainer);
    const sp = v.servicePort;
    const port = sp ? `port ${sp.name !== undefined ? `${sp.name} ` : ''}${sp.port}/${sp.protocol} -> targetPort ${sp.targetPort}` : 'no matching port';
    const reached = v.via === 'name' ? 'by name' : `via ${v.via} ${v.address}`;
    const from = [...new Set(v.backends.map((b) => b.src))].join(', ') || r.src.map((s) => s.name).join(', ');
    lines.push(
      `${from} -> Service ${v.service} (${v.type}${v.headless ? ', headless' : ''}) ${port}, ${reached}: ${verdictWord(v.allowed, v.some, v.backends.length)}`,
    );
    const source = v.backendSource === 'endpoint-slices' ? 'from EndpointSlices' : v.backendSource === 'selector' ? 'from the selector' : 'none';
    lines.push(`  backends (${source}): ${v.backends.length}, allowed to ${v.backends.filter((b) => b.allowed).length}; allowed only if every backend allows`);
    const protocol = sp?.protocol ?? 'TCP';
    v.backends.forEach((b, i) => lines.push(...pairText(b, explanations[i], protocol).map((l) => `  ${l}`)));
    for (const n of v.notes) lines.push(`  note: ${n}`);
    return { allowed: v.allowed, text: lines.join('\n'), json: { ...serviceFields(v), explanations: explanations.map((x) => x ?? null) } };
  }
  const { verdict: v, explanations } = explainEnds(e, r.src, r.dst, r.protocol, r.port, explainer);
  const what = r.port !== undefined ? `${protocolName(r.protocol)}/${r.port}` : protocolName(r.protocol);
  lines.push(`${r.src.map((s) => s.name).join(', ')} -> ${r.dst.map((d) => d.name).join(', ')} ${what}: ${verdictWord(v.allowed, v.some, v.pairs.length)}`);
  if (v.pairs.length > 1) lines.push(`  ${v.pairs.length} pod pairs, allowed for ${v.pairs.filter((p) => p.allowed).length}; allowed only if every pair is`);
  v.pairs.forEach((p, i) => lines.push(...pairText(p, explanations[i], protocolName(r.protocol)).map((l) => `  ${l}`)));
  return { allowed: v.allowed, text: lines.join('\n'), json: { ...v, explanations: explanations.map((x) => x ?? null) } };
}
