// Service flows end to end through the CLI on manifests as they are before deployment
// (Deployments and a Service, no pods, no IPs): a named target port resolved per workload, every
// backend listed with its verdict, the flow allowed only when every backend allows it.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { runCli, scratchFile } from '../helpers.js';

const deployment = (name: string, labels: string, port: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {matchLabels: {${labels}}}
  template:
    metadata: {labels: {${labels}}}
    spec: {containers: [{name: c, image: x, ports: [${port}]}]}
---
`;

const MANIFESTS = scratchFile(
  'shop.yaml',
  `${deployment('client', 'app: client', '')}${deployment('web-v1', 'app: web, version: v1', '{name: http, containerPort: 8080}')}${deployment('web-v2', 'app: web, version: v2', '{name: http, containerPort: 9090}')}apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: web, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-8080, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 8080}]
`,
);
const NAMED = scratchFile(
  'named.yaml',
  `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-http, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: http}]
`,
);

describe('netpol verdict on a Service flow', () => {
  test('one line: the Service, its port, every backend at its own target port; denied unless every backend allows', async () => {
    const flows = scratchFile('flows.jsonl', '{"src": "shop/client[Deployment]", "dst": "svc:shop/web:web"}\n');
    const r = await runCli('verdict', '-f', MANIFESTS, '--flows', flows, '--fail-on-deny');
    expect(r.code).toBe(1);
    expect(r.out.map((l) => JSON.parse(l))).toEqual([
      {
        src: 'shop/client[Deployment]',
        dst: 'svc:shop/web:web',
        allowed: false,
        some: true,
        service: {
          name: 'shop/web',
          type: 'ClusterIP',
          via: 'name',
          port: { name: 'web', protocol: 'TCP', port: 80, targetPort: 'http' },
          backendSource: 'selector',
        },
        backends: [
          { src: 'shop/client[Deployment]', dst: 'shop/web-v1[Deployment]', port: 8080, allowed: true, egress: 'not-isolated', ingress: 'allowed' },
          { src: 'shop/client[Deployment]', dst: 'shop/web-v2[Deployment]', port: 9090, allowed: false, egress: 'not-isolated', ingress: 'denied' },
        ],
      },
    ]);
  });

  test('a policy on the named port allows both backends, each at its own number', async () => {
    const flows = scratchFile('flows.jsonl', '{"src": "shop/client[Deployment]", "dst": "svc:shop/web:80"}\n');
    const r = await runCli('verdict', '-f', MANIFESTS, '-f', NAMED, '--flows', flows, '--fail-on-deny');
    expect(r.code).toBe(0);
    const line = JSON.parse(r.out[0]!);
    expect([line.allowed, line.some, line.backends.map((b: { dst: string; port: number; allowed: boolean }) => `${b.dst}:${b.port}:${b.allowed}`)]).toEqual([
      true,
      true,
      ['shop/web-v1[Deployment]:8080:true', 'shop/web-v2[Deployment]:9090:true'],
    ]);
  });
});

describe('netpol explain on a Service flow', () => {
  test('text: the Service and port, then each backend with its reasons', async () => {
    const r = await runCli('explain', '-f', MANIFESTS, '--src', 'shop/client[Deployment]', '--dst', 'svc:shop/web:web');
    expect(r.code).toBe(0);
    expect(r.out.join('\n').split('\n')).toEqual([
      'shop/client[Deployment] -> Service shop/web (ClusterIP) port web 80/TCP -> targetPort http, by name: DENIED (allowed to some backends but not all: 2 judged)',
      '  backends (from the selector): 2, allowed to 1; allowed only if every backend allows',
      '  shop/client[Deployment] -> shop/web-v1[Deployment] TCP/8080: ALLOWED',
      '    egress  (shop/client): not isolated: no policy selects the pod for egress',
      '    ingress (shop/web-v1): allowed by shop/web-8080 ingress[0] (from[0], ports[0])',
      '  shop/client[Deployment] -> shop/web-v2[Deployment] TCP/9090: DENIED',
      '    egress  (shop/client): not isolated: no policy selects the pod for egress',
      '    ingress (shop/web-v2): DENIED: isolated by shop/web-8080 and no ingress rule allows it',
      '        - shop/web-8080 ingress[0]: TCP/9090 matches none of its ports (TCP 8080)',
    ]);
  });

  test('json: the verdict line and one explanation per backend', async () => {
    const r = await runCli('explain', '-f', MANIFESTS, '--src', 'shop/client[Deployment]', '--dst', 'svc:shop/web:web', '-o', 'json', '--engine', 'reference');
    const j = JSON.parse(r.out[0]!);
    expect([j.allowed, j.some, j.backends.length, j.explanations.map((e: { allowed: boolean; ingress: string }) => `${e.allowed}/${e.ingress}`)]).toEqual([
      false,
      true,
      2,
      ['true/allowed', 'false/denied'],
    ]);
  });

  test('a bad Service flow is an error naming the problem (exit 2)', async () => {
    const r = await runCli('explain', '-f', MANIFESTS, '--src', 'shop/client[Deployment]', '--dst', 'svc:shop/web:81');
    expect(r.code).toBe(2);
    expect(r.err.at(-1)).toBe('"dst": Service shop/web has no port 81/TCP; its ports: web (80/TCP)');
  });
});

describe('netpol validate with Services', () => {
  const CLUSTER = join(import.meta.dirname, '../fixtures/services/cluster.yaml');

  test('the summary counts Services and EndpointSlices, each only when present', async () => {
    const r = await runCli('validate', '-f', CLUSTER);
    expect(r.out.at(-1)).toBe('valid: 1 namespaces, 4 pods, 1 services, 2 endpoint slices, 1 nodes, 1 network policies (0 warning(s))');
    const manifests = await runCli('validate', '-f', MANIFESTS);
    expect(manifests.out.at(-1)).toBe('valid: 1 namespaces, 0 pods, 3 workloads (3 Deployment), 1 services, 0 nodes, 1 network policies (1 warning(s))');
  });

  test('-o json: counts.services and counts.endpointSlices', async () => {
    const r = await runCli('validate', '-f', CLUSTER, '-o', 'json');
    expect(JSON.parse(r.out.join('\n')).counts).toEqual({ namespaces: 1, pods: 4, nodes: 1, policies: 1, clusterPolicies: 0, services: 1, endpointSlices: 2 });
    const manifests = JSON.parse((await runCli('validate', '-f', MANIFESTS, '-o', 'json')).out.join('\n'));
    expect(manifests.counts).not.toHaveProperty('endpointSlices');
    expect(manifests.counts).toMatchObject({ workloads: 3, services: 1 });
  });
});
