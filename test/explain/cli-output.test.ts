// `netpol explain`: the JSON output carries the decision steps and the rule misses as data; the
// text output is rendered from that data (cli/explain-text.ts), naming the peer and the label.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { run } from '../../packages/core/src/cli/run.js';

const ex = (p: string) => join(import.meta.dirname, '../../examples', p);
const ARGS = [
  '-f',
  ex('production-db/cluster.yaml'),
  '-f',
  ex('production-db/and'),
  '--src',
  'production/frontend',
  '--dst',
  'production/db',
  '--port',
  '5432',
];

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: () => {} });
  return { code, out: out.join('\n') };
}

test('-o json: the steps and which peer failed, why, as data', async () => {
  const r = await cli('explain', '-o', 'json', ...ARGS);
  expect(r.code).toBe(0);
  const e = JSON.parse(r.out);
  expect(e.ingressDetail.steps.map((s: { step: string; answer: string }) => `${s.step}:${s.answer}`)).toEqual([
    'reply:next',
    'self:next',
    'icmpv6-nd:next',
    'endpoint:next',
    'isolation:next',
    'local-node:next',
    'rules:deny',
  ]);
  expect(e.ingressDetail.rejected).toEqual([
    {
      policy: 'production/db-allow-production-backend',
      direction: 'ingress',
      ruleIndex: 0,
      peerMatched: false,
      portMatched: true,
      peers: {
        side: 'source',
        address: '10.244.2.22',
        pod: 'production/frontend',
        misses: [{ kind: 'pod-labels', label: { key: 'app', operator: 'Equals', values: ['backend'], actual: 'frontend' } }],
      },
    },
  ]);
});

test('text: the same miss, rendered', async () => {
  const r = await cli('explain', ...ARGS);
  expect(r.out).toContain(
    'production/db-allow-production-backend ingress[0]: source production/frontend (10.244.2.22) matches none of its 1 peer(s): from[0] podSelector: needs app=backend, has app=frontend',
  );
});
