// The help a new user reads first names what netpol reads now: workloads with or without pods,
// Services and EndpointSlices (top level), and how matrix shows a workload without pods.
import { expect, test } from 'vitest';
import { runCli } from '../helpers.js';

test('netpol --help names workloads, Services and EndpointSlices among the inputs', async () => {
  const help = (await runCli('--help')).out.join('\n');
  expect(help).toMatch(/workloads \(Deployments, StatefulSets, Jobs\.\.\. with or without\s+pods\), Services and EndpointSlices/);
  expect(help).toContain('matrix     pod-to-pod (or workload-to-workload) connectivity grid per port');
});

test('netpol matrix --help says how a workload without pods appears', async () => {
  expect((await runCli('matrix', '--help')).out.join('\n')).toMatch(
    /A workload\s+with no pod in the input \(manifests before deployment\) is one row and column,\s+'namespace\/name\[Kind\]'/,
  );
});
