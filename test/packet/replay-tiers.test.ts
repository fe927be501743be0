// `netpol replay` on a cluster with cluster-scoped policies: packets denied by an Admin or a
// Baseline rule count as denied in the summary, per direction, and name the policy that denied
// (the summary once counted only NetworkPolicy's 'denied').
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { run } from '../../packages/core/src/cli/run.js';
import { ethernet, ipv4, pcap, tcp } from './build.js';

const STORY = join(import.meta.dirname, '../../examples/cluster-tiers');

test('Admin and Baseline denials are counted and attributed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-replay-tiers-'));
  const file = join(dir, 'tiers.pcap');
  const syn = (src: string, dst: string, port: number) => ({ data: ethernet(ipv4({ protocol: 6, src, dst }, tcp(40000, port))) });
  writeFileSync(
    file,
    pcap([
      syn('10.244.1.10', '169.254.169.254', 80), // prod/web → metadata: Admin deny (egress)
      syn('10.244.2.20', '10.244.1.10', 80), // prometheus → prod/web: Baseline deny (ingress)
      syn('10.244.1.10', '10.244.1.11', 8080), // prod/web → prod/api: NetworkPolicy allows
    ]),
  );
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(['replay', file, '-f', join(STORY, 'cluster.yaml'), '-f', join(STORY, 'guardrails'), '-o', 'json'], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  expect(err).toEqual([]);
  expect(code).toBe(0);
  const s = JSON.parse(out.join('\n'));
  expect(s.packets.denied).toBe(2);
  expect(s.directions.egress.denied).toEqual({ packets: 1, flows: 1 });
  expect(s.directions.ingress.denied).toEqual({ packets: 1, flows: 1 });
  expect(s.policies['cnp/deny-cloud-metadata'].denied).toEqual({ packets: 1, flows: 1 });
  expect(s.policies['cnp/baseline-deny-pod-ingress'].denied).toEqual({ packets: 1, flows: 1 });
  expect(s.policies['prod/api-from-web'].allowed).toEqual({ packets: 1, flows: 1 });
  const denied = Object.fromEntries(s.deniedFlows.map((f: { dst: string; policies: string[] }) => [f.dst, f.policies]));
  expect(denied).toEqual({ '169.254.169.254': ['cnp/deny-cloud-metadata'], '10.244.1.10': ['cnp/baseline-deny-pod-ingress'] });
});
