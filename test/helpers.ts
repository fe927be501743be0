/** Small builders so tests read like the scenarios they check. */
import { loadText, ReferenceEvaluator, parseIP, type Cluster, type EvaluationOptions, type Flow, type Issue } from '@netpol/core';

export function ip(text: string) {
  const a = parseIP(text);
  if (!a) throw new Error(`bad IP in test: ${text}`);
  return a;
}

export function flow(src: string, dst: string, protocol: number | 'TCP' | 'UDP' | 'SCTP' | 'ICMP' | 'ICMPv6' = 'TCP', port?: number, extra: Partial<Flow> = {}): Flow {
  const numbers = { TCP: 6, UDP: 17, SCTP: 132, ICMP: 1, ICMPv6: 58 } as const;
  const p = typeof protocol === 'number' ? protocol : numbers[protocol];
  return { src: ip(src), dst: ip(dst), protocol: p, ...(port !== undefined && { port }), ...extra };
}

/** Loads YAML text that must be valid; fails the test with every issue otherwise. */
export function cluster(yaml: string, opts: { strict?: boolean } = {}): Cluster {
  const r = loadText(yaml, { file: 'test.yaml', ...opts });
  if (!r.cluster) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.cluster;
}

export function evaluator(yaml: string, options: EvaluationOptions = {}): ReferenceEvaluator {
  return new ReferenceEvaluator(cluster(yaml), options);
}

/** Loads YAML text and returns the issues (the load may or may not fail). */
export function issuesOf(yaml: string, opts: { strict?: boolean } = {}): readonly Issue[] {
  return loadText(yaml, { file: 'test.yaml', ...opts }).issues;
}

/** A test's run count, overridden by FC_NUM_RUNS for long fuzzing sessions. */
export const runs = (n: number): number => Number(process.env['FC_NUM_RUNS'] ?? n);
