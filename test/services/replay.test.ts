// `netpol replay --services` on a small generated capture taken before kube-proxy's DNAT:
// connections to a ClusterIP (and a nodePort) judged per backend at each one's target port,
// replies from the Service address matching the connection, a port the Service does not have
// denied; without --services the same packets are judged as to an external address.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, scratchFile } from '../helpers.js';

const pod = (name: string, ipText: string, labels: string, ports = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop, labels: {${labels}}}
spec: {nodeName: n1, containers: [{name: c, ports: [${ports}]}]}
status: {podIP: ${ipText}, phase: Running}
---
`;
const CLUSTER = scratchFile(
  'cluster.yaml',
  `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}
---
${pod('client', '10.0.0.2', 'app: client')}${pod('intruder', '10.0.0.3', 'app: intruder')}${pod('web-a', '10.0.1.1', 'app: web', '{name: http, containerPort: 8080}')}${pod('web-b', '10.0.1.2', 'app: web', '{name: http, containerPort: 8081}')}apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  clusterIP: 10.96.0.10
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http, nodePort: 30080}]
`,
);
const policy = (port: string) =>
  scratchFile(
    'policy.yaml',
    `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: ${port}}]
`,
  );

import { capturePackets } from './capture.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/services');
const CAPTURE = join(FIXTURES, 'pre-dnat.pcap');

interface Line {
  allowed: boolean;
  state: string;
  ingress?: string;
  service?: { name: string; port: string; via: string; backends: { backend: string; port: number; allowed: boolean }[] };
}
const replay = async (...extra: string[]) => {
  const r = await runCli('replay', CAPTURE, '-f', CLUSTER, ...extra);
  expect(r.code).toBe(0);
  return r.out.map((l) => JSON.parse(l) as Line);
};
const brief = (l: Line) =>
  `${l.allowed ? 'allow' : 'deny'}/${l.state}${l.service ? ` ${l.service.name} ${l.service.via} [${l.service.backends.map((b) => `${b.backend}:${b.port}:${b.allowed ? 'Y' : 'N'}`).join(' ')}]` : ''}`;

test('the fixture capture is what capturePackets writes', () => {
  expect(new Uint8Array(readFileSync(CAPTURE))).toEqual(capturePackets());
});

describe('replay --services', () => {
  test('per backend at its target port; replies from the Service address pass; a port the Service lacks is denied', async () => {
    const lines = await replay('-f', policy('http'), '--services');
    expect(lines.map(brief)).toEqual([
      'allow/new shop/web cluster-ip [shop/web-a:8080:Y shop/web-b:8081:Y]',
      'allow/reply',
      'allow/established',
      'deny/new shop/web cluster-ip [shop/web-a:8080:N shop/web-b:8081:N]',
      'allow/new shop/web node-port [shop/web-a:8080:Y shop/web-b:8081:Y]',
      'deny/new shop/web cluster-ip []',
    ]);
    expect(lines[5]!.ingress).toBe('denied');
  });

  test('one backend denying is enough to deny the connection', async () => {
    const lines = await replay('-f', policy('8080'), '--services');
    expect(brief(lines[0]!)).toBe('deny/new shop/web cluster-ip [shop/web-a:8080:Y shop/web-b:8081:N]');
  });

  test('without --services the Service address is judged as an external address (what the capture shows)', async () => {
    const lines = await replay('-f', policy('http'));
    expect(lines.map(brief)).toEqual(['allow/new', 'allow/reply', 'allow/established', 'allow/new', 'allow/new', 'allow/new']);
  });

  test("a running cluster's EndpointSlices give the backends and their numbers", async () => {
    const r = await runCli('replay', CAPTURE, '-f', join(FIXTURES, 'cluster.yaml'), '--services');
    expect(r.out.map((l) => brief(JSON.parse(l) as Line))).toEqual([
      'allow/new shop/web cluster-ip [shop/web-1:8080:Y shop/web-2:8081:Y]',
      'allow/reply',
      'allow/established',
      'deny/new shop/web cluster-ip [shop/web-1:8080:N shop/web-2:8081:N]',
      'allow/new shop/web node-port [shop/web-1:8080:Y shop/web-2:8081:Y]',
      'deny/new shop/web cluster-ip []',
    ]);
  });

  test('the summary names the Service of a denied flow', async () => {
    const r = await runCli('replay', CAPTURE, '-f', CLUSTER, '-f', policy('http'), '--services', '-o', 'summary');
    expect(r.out).toContain(
      '  10.0.0.3:40001 (shop/intruder) -> 10.96.0.10:80 (shop/web-a) (Service shop/web http (80/TCP)) TCP: 1 packet(s), ingress denied by shop/web-from-client',
    );
    expect(r.out).toContain(
      '  10.0.0.2:40003 (shop/client) -> 10.96.0.10:443 (Service shop/web without this port) TCP: 1 packet(s), ingress denied by kube-proxy (no backend)',
    );
    // Flows and packets counted alike: the decisions are the verdict's, not one backend's explanation's.
    expect(r.out).toContain('  ingress allowed 2 packet(s) / 2 flow(s); denied 2 packet(s) / 2 flow(s)');
  });
});
