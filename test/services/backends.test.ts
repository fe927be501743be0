// Which Service a destination hits and the backends kube-proxy translates it to: EndpointSlices
// before the selector, named target ports per pod, address lookups (ClusterIP, external IP,
// nodePort), headless and ExternalName; and the verdict per backend (allowed iff every one is).
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, formatIP, ReferenceEvaluator } from '@netpol/core';
import { serviceVerdict } from '../../packages/core/src/analysis/service-verdict.js';
import { parseFlowRecord } from '../../packages/core/src/flow/record.js';
import { ServiceIndex, type ServiceTarget } from '../../packages/core/src/model/services.js';
import { cluster, ip } from '../helpers.js';

const pod = (name: string, ipText: string, labels: string, ports = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop, labels: {${labels}}}
spec:
  nodeName: n1
  containers: [{name: c, ports: [${ports}]}]
status: {podIP: ${ipText}, phase: Running}
---
`;

const BASE = `apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}
---
${pod('client', '10.0.0.2', 'app: client')}${pod('web-a', '10.0.1.1', 'app: web', '{name: http, containerPort: 8080}')}${pod('web-b', '10.0.1.2', 'app: web', '{name: http, containerPort: 8081}, {name: admin, containerPort: 9000}')}${pod('web-c', '10.0.1.3', 'app: web', '{name: metrics, containerPort: 9100}')}apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  clusterIP: 10.96.0.10
  externalIPs: [203.0.113.5]
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http, nodePort: 30080}
  - {name: admin, port: 9000, protocol: UDP}
`;

const hit = (c: ReturnType<typeof cluster>, addr: string, protocol: number, port: number) => new ServiceIndex(c).at(ip(addr), protocol, port);

describe('which Service a destination hits', () => {
  const c = cluster(BASE);
  test('a ClusterIP, an external IP, a node address with a nodePort; protocol and number must match', () => {
    const at = (addr: string, proto: number, port: number) => {
      const h = hit(c, addr, proto, port);
      return h && ('port' in h ? `${h.service.name}:${h.port.port}/${h.port.protocol} via ${h.via}` : `${h.service.name} (no such port) via ${h.via}`);
    };
    expect(at('10.96.0.10', 6, 80)).toBe('web:80/TCP via cluster-ip');
    expect(at('203.0.113.5', 6, 80)).toBe('web:80/TCP via external-ip');
    expect(at('192.168.0.1', 6, 30080)).toBe('web:80/TCP via node-port');
    expect(at('10.96.0.10', 17, 9000)).toBe('web:9000/UDP via cluster-ip');
    expect(at('10.96.0.10', 6, 9000)).toBe('web (no such port) via cluster-ip');
    expect(at('192.168.0.1', 6, 80)).toBeUndefined();
    expect(at('10.0.1.1', 6, 8080)).toBeUndefined();
  });
});

describe('backends', () => {
  test('a named targetPort is resolved on each pod: two numbers for one name, and a pod without the name is no backend', () => {
    const c = cluster(BASE);
    const target = hit(c, '10.96.0.10', 6, 80) as ServiceTarget;
    const b = new ServiceIndex(c).backends(target, 4);
    expect(b.source).toBe('selector');
    expect(b.backends.map((x) => `${x.name} ${formatIP(x.address!)}:${x.port}`)).toEqual(['shop/web-a 10.0.1.1:8080', 'shop/web-b 10.0.1.2:8081']);
    expect(b.notes).toEqual(['shop/web-c has no TCP container port named http: not a backend of port http (80/TCP)']);
  });

  test('a numeric targetPort defaults to the port and applies to every selected pod', () => {
    const c = cluster(BASE);
    const b = new ServiceIndex(c).backends(hit(c, '10.96.0.10', 17, 9000) as ServiceTarget, 4);
    expect(b.backends.map((x) => `${x.name}:${x.port}`)).toEqual(['shop/web-a:9000', 'shop/web-b:9000', 'shop/web-c:9000']);
  });

  test('EndpointSlices are preferred over the selector: their ready endpoints, their port numbers', () => {
    const c = cluster(`${BASE}---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
- addresses: [10.0.1.3]
  targetRef: {kind: Pod, name: web-c}
- addresses: [10.0.1.9]
  conditions: {ready: false}
- addresses: [10.0.1.8]
ports: [{name: http, port: 7070}]
`);
    const b = new ServiceIndex(c).backends(hit(c, '10.96.0.10', 6, 80) as ServiceTarget, 4);
    expect(b.source).toBe('endpoint-slices');
    expect(b.backends.map((x) => `${x.name} ${formatIP(x.address!)}:${x.port}`)).toEqual(['shop/web-c 10.0.1.3:7070', '10.0.1.8 10.0.1.8:7070']);
    expect(b.notes).toEqual(['1 endpoint(s) not ready: not backends (kube-proxy sends them nothing)']);
    // The slice has no `admin` port: no backend for it at all (not the selector's pods).
    const admin = new ServiceIndex(c).backends(hit(c, '10.96.0.10', 17, 9000) as ServiceTarget, 4);
    expect(admin.backends).toEqual([]);
    expect(admin.notes).toEqual(['EndpointSlice shop/web-1 has no port admin (9000/UDP): none of its endpoints is a backend of it']);
  });
});

describe('service verdicts', () => {
  const POLICY = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-a-only, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 8080}]
`;
  for (const [name, make] of [
    ['compiled', (c: ReturnType<typeof cluster>) => new CompiledDataplane(c)],
    ['reference', (c: ReturnType<typeof cluster>) => new ReferenceEvaluator(c)],
  ] as const) {
    test(`${name}: every backend judged at its own target port; allowed iff every backend allows, some says whether any does`, () => {
      const c = cluster(BASE + POLICY);
      const engine = make(c);
      const v = serviceVerdict(engine, { name: 'shop/client', end: { address: ip('10.0.0.2') } }, hit(c, '10.96.0.10', 6, 80) as ServiceTarget);
      expect(v).toMatchObject({ service: 'shop/web', via: 'cluster-ip', address: '10.96.0.10', backendSource: 'selector', allowed: false, some: true });
      expect(v.backends.map((b) => `${b.dst}:${b.port} ${b.allowed ? 'allowed' : 'denied'} ${b.egress}/${b.ingress}`)).toEqual([
        'shop/web-a:8080 allowed not-isolated/allowed',
        'shop/web-b:8081 denied not-isolated/denied',
      ]);
    });
  }

  test('a Service address on a port it does not have, and a Service without backends, are denied', () => {
    const c = cluster(BASE);
    const dp = new CompiledDataplane(c);
    const src = { name: 'shop/client', end: { address: ip('10.0.0.2') } };
    const miss = serviceVerdict(dp, src, hit(c, '10.96.0.10', 6, 443)!);
    expect(miss).toMatchObject({ allowed: false, some: false, backends: [], backendSource: 'none' });
    expect(miss.notes[0]).toMatch(/10.96.0.10 is shop\/web's, which has no port of this protocol and number there/);
    const empty = cluster(BASE.replace('selector: {app: web}', 'selector: {app: nobody}'));
    const none = serviceVerdict(new CompiledDataplane(empty), src, hit(empty, '10.96.0.10', 6, 80)!);
    expect(none).toMatchObject({ allowed: false, some: false, backends: [] });
    expect(none.notes).toEqual(['no backend: the connection is refused (kube-proxy rejects it)']);
  });
});

describe('flow records naming Services', () => {
  const HEADLESS = `${BASE}---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 5432, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: shop}
spec: {type: ExternalName, externalName: db.example.com}
`;
  const c = cluster(HEADLESS);
  const dp = new CompiledDataplane(c);
  const services = new ServiceIndex(c);
  const parse = (rec: object) => parseFlowRecord(rec, dp.index, services);

  test('svc:ns/name:port by number or name, and a Service address, give the same Service port', () => {
    for (const rec of [
      { src: 'shop/client', dst: 'svc:shop/web:80' },
      { src: 'shop/client', dst: 'svc:shop/web:http' },
      { src: 'shop/client', dst: 'svc:shop/web', port: 80 },
      { src: 'shop/client', dst: '10.96.0.10', port: 80 },
    ]) {
      const r = parse(rec);
      expect(r.ok && r.kind === 'service' && 'port' in r.target && `${r.target.service.name}:${r.target.port.name}`).toBe('web:http');
    }
  });

  test('a headless Service has no address; by name it stands for its backends at their target ports', () => {
    const r = parse({ src: 'shop/client', dst: 'svc:shop/db:5432' });
    if (!r.ok || r.kind !== 'service') throw new Error(JSON.stringify(r));
    const v = serviceVerdict(dp, r.src, r.target, services);
    expect(v.headless).toBe(true);
    expect(v.backends.map((b) => `${b.dst}:${b.port}`)).toEqual(['shop/web-a:8080', 'shop/web-b:8081']);
    expect(v.notes).toContain('headless: no virtual address and no DNAT; clients reach each backend directly (the Service name resolves to their addresses)');
  });

  test('ExternalName, unknown Services and ports are refused with a message naming what is there', () => {
    const error = (rec: object) => {
      const r = parse(rec);
      return r.ok ? 'ok' : r.error;
    };
    expect(error({ src: 'shop/client', dst: 'svc:shop/ext:80' })).toBe(
      '"dst": Service shop/ext is ExternalName, a DNS alias of db.example.com: kube-proxy translates nothing; judge a flow to the address that name resolves to (with "dstName": "db.example.com")',
    );
    expect(error({ src: 'shop/client', dst: 'svc:shop/nope:80' })).toBe('"dst": no Service shop/nope in the input');
    expect(error({ src: 'shop/client', dst: 'svc:shop/web:81' })).toBe(
      '"dst": Service shop/web has no port 81/TCP; its ports: http (80/TCP), admin (9000/UDP)',
    );
    expect(error({ src: 'shop/client', dst: 'svc:shop/web:admin', protocol: 'TCP' })).toBe('"dst": port admin of Service shop/web is UDP, not TCP');
    expect(error({ src: 'shop/client', dst: 'svc:shop/web' })).toBe('"dst": give the Service port as svc:shop/web:<port number or name>');
    expect(error({ src: 'svc:shop/web:80', dst: 'shop/client' })).toBe('"src": a Service is not a source (connections to it come from pods or addresses)');
  });

  test('a flow to a pod address stays a plain flow', () => {
    const r = parse({ src: 'shop/client', dst: 'shop/web-a', port: 8080 });
    expect(r.ok && r.kind).toBe('flow');
  });
});

describe('families, endpoints of several pods, backends that cannot be judged', () => {
  const DUAL = `apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c}]}
status: {podIPs: [{ip: 10.0.0.2}, {ip: "fd00::2"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-a, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c}]}
status: {podIPs: [{ip: 10.0.1.1}, {ip: "fd00::1:1"}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIPs: [10.96.0.10, "fd00::10"], selector: {app: web}, ports: [{port: 80}]}
`;
  test('a dual-stack Service: each virtual address DNATs to backends of its own family', () => {
    const c = cluster(DUAL);
    const dp = new CompiledDataplane(c);
    for (const [vip, backend] of [
      ['10.96.0.10', '10.0.1.1'],
      ['fd00::10', 'fd00::1:1'],
    ] as const) {
      const r = parseFlowRecord({ src: 'shop/client', dst: vip, port: 80 }, dp.index, new ServiceIndex(c));
      if (!r.ok || r.kind !== 'service') throw new Error(JSON.stringify(r));
      expect(serviceVerdict(dp, r.src, r.target).backends.map((b) => b.address)).toEqual([backend]);
    }
  });

  test('an endpoint of several pods as the source: every pod to every backend', () => {
    const owned = (name: string, ipText: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop, labels: {app: client}, ownerReferences: [{kind: ReplicaSet, name: client-7d, controller: true, apiVersion: apps/v1, uid: x}]}
spec: {containers: [{name: c}]}
status: {podIP: ${ipText}}
---
`;
    const c = cluster(`${owned('client-7d-a', '10.0.0.4')}${owned('client-7d-b', '10.0.0.5')}${BASE}`);
    const dp = new CompiledDataplane(c);
    const r = parseFlowRecord({ src: 'shop/client-7d[ReplicaSet]', dst: 'svc:shop/web:http' }, dp.index, new ServiceIndex(c));
    if (!r.ok || r.kind !== 'service') throw new Error(JSON.stringify(r));
    expect(serviceVerdict(dp, r.src, r.target).backends.map((b) => `${b.src} -> ${b.dst}:${b.port}`)).toEqual([
      'shop/client-7d-a -> shop/web-a:8080',
      'shop/client-7d-a -> shop/web-b:8081',
      'shop/client-7d-b -> shop/web-a:8080',
      'shop/client-7d-b -> shop/web-b:8081',
    ]);
  });

  test('a hostNetwork workload without pods as a backend cannot be judged: it denies, saying why', () => {
    const c = cluster(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: shop}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {hostNetwork: true, containers: [{name: c, ports: [{containerPort: 9100}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: agent, namespace: shop}
spec: {selector: {app: agent}, ports: [{port: 9100}]}
---
${pod('client', '10.0.0.2', 'app: client')}`);
    const dp = new CompiledDataplane(c);
    const r = parseFlowRecord({ src: 'shop/client', dst: 'svc:shop/agent:9100' }, dp.index, new ServiceIndex(c));
    if (!r.ok || r.kind !== 'service') throw new Error(JSON.stringify(r));
    const v = serviceVerdict(dp, r.src, r.target);
    expect([v.allowed, v.some]).toEqual([false, false]);
    expect(v.backends).toEqual([
      {
        src: 'shop/client',
        dst: 'shop/agent[DaemonSet]',
        port: 9100,
        allowed: false,
        error: 'a hostNetwork pod without an address: its node, and so the address policy sees, is unknown',
      },
    ]);
  });
});

describe('flow records naming endpoints', () => {
  const c = cluster(`${BASE}---
apiVersion: v1
kind: Pod
metadata: {name: pending, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8082}]}]}
status: {phase: Pending}
`);
  const dp = new CompiledDataplane(c);
  const services = new ServiceIndex(c);
  test('a pod not yet given an address is an end without one, and a backend without one', () => {
    const r = parseFlowRecord({ src: 'shop/client', dst: 'shop/pending', port: 8082 }, dp.index, services);
    expect(r.ok && r.kind === 'ends' && r.dst.map((d) => [d.name, d.end.address, d.end.pod?.name])).toEqual([['shop/pending', undefined, 'pending']]);
    const s = parseFlowRecord({ src: 'shop/client', dst: 'svc:shop/web:http' }, dp.index, services);
    if (!s.ok || s.kind !== 'service') throw new Error(JSON.stringify(s));
    expect(serviceVerdict(dp, s.src, s.target, services).backends.map((b) => `${b.dst}:${b.port}${b.address ? '' : ' (no address)'}`)).toEqual([
      'shop/web-a:8080',
      'shop/web-b:8081',
      'shop/pending:8082 (no address)',
    ]);
  });

  test('an unknown endpoint is an error naming the form', () => {
    const r = parseFlowRecord({ src: 'shop/nope[Deployment]', dst: 'shop/client', port: 80 }, dp.index, services);
    expect(r).toEqual({
      ok: false,
      error: '"src": no endpoint shop/nope[Deployment] in the input (endpoints are namespace/name[Kind]: a workload, or a pod as namespace/pod[Pod])',
    });
    const pod = parseFlowRecord({ src: 'shop/client[Pod]', dst: 'shop/web-a', port: 8080 }, dp.index, services);
    expect(pod.ok && pod.kind === 'ends' && pod.src.map((e) => e.name)).toEqual(['shop/client']);
  });
});
