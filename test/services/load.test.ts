// Service and EndpointSlice loading: what is read and defaulted, and every problem the API
// server would refuse, with file, line and Go field path.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { formatIP, formatIssue, loadFiles, loadObjects, loadText } from '@netpol/core';
import { join } from 'node:path';

const load = (yaml: string) => {
  const r = loadText(yaml, { file: 'svc.yaml' });
  // The namespaces are not in these inputs: that warning is not what is tested here.
  return { ...r, issues: r.issues.filter((i) => i.code !== 'namespace-not-found') };
};
const errors = (yaml: string) =>
  load(yaml)
    .issues.filter((i) => i.severity === 'error')
    .map((i) => `${i.line}: ${i.path}: ${i.message}`);

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.96.0.10
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: metrics, port: 9090, protocol: TCP}
`;

describe('Service loading', () => {
  test('a ClusterIP service: addresses, selector, ports defaulted (protocol TCP, targetPort = port)', () => {
    const r = load(SERVICE);
    expect(r.issues).toEqual([]);
    const s = r.cluster!.services![0]!;
    expect(s).toMatchObject({ namespace: 'shop', name: 'web', type: 'ClusterIP', headless: false, selector: { app: 'web' } });
    expect(s.clusterIPs.map(formatIP)).toEqual(['10.96.0.10']);
    expect(s.ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' },
      { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 9090 },
    ]);
  });

  test('headless, NodePort with external and load-balancer addresses, ExternalName', () => {
    const r = load(`apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: front}
spec:
  type: LoadBalancer
  clusterIPs: [10.96.0.20, "fd00::20"]
  externalIPs: [192.0.2.7]
  selector: {app: front}
  ports: [{port: 443, targetPort: 8443, nodePort: 30443}]
status: {loadBalancer: {ingress: [{ip: 203.0.113.9}, {hostname: lb.example.com}]}}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: db.example.com}
`);
    expect(r.issues).toEqual([]);
    const [db, front, ext] = r.cluster!.services!;
    expect(db).toMatchObject({ headless: true, clusterIPs: [], namespace: 'default' });
    expect(front!.clusterIPs.map(formatIP)).toEqual(['10.96.0.20', 'fd00::20']);
    expect(front!.externalIPs.map(formatIP)).toEqual(['192.0.2.7', '203.0.113.9']);
    expect(front!.ports[0]).toEqual({ protocol: 'TCP', port: 443, targetPort: 8443, nodePort: 30443 });
    expect(ext).toMatchObject({ type: 'ExternalName', externalName: 'db.example.com', clusterIPs: [], ports: [] });
  });

  test('every problem of a bad Service, with line and field path', () => {
    expect(
      errors(`apiVersion: v1
kind: Service
metadata: {name: 1web}
spec:
  type: Cluster
  clusterIP: 10.96.0.1
  clusterIPs: [10.96.0.2, 10.96.0.3]
  selector: {"bad key!": x}
  externalIPs: [127.0.0.1, nope]
  ports:
  - {port: 80, protocol: ICMP, targetPort: 70000}
  - {name: http, port: 0, targetPort: "8080"}
  - {name: http, port: 81, nodePort: 30000}
`),
    ).toEqual([
      "3: metadata.name: metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      '5: spec.type: spec.type: Unsupported value: "Cluster": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"',
      '7: spec.clusterIPs[0]: spec.clusterIPs[0]: Invalid value: "10.96.0.2": must be equal to clusterIP',
      '7: spec.clusterIPs[1]: spec.clusterIPs[1]: Invalid value: "10.96.0.3": may not have the same family as clusterIPs[0]',
      '11: spec.ports[0].name: spec.ports[0].name: Required value: every port needs a name when a Service has more than one',
      '11: spec.ports[0].protocol: spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      '11: spec.ports[0].targetPort: spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      '12: spec.ports[1].port: spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      '12: spec.ports[1].targetPort: spec.ports[1].targetPort: Invalid value: "8080": must contain at least one letter (a-z)',
      '13: spec.ports[2].name: spec.ports[2].name: Duplicate value: "http": port names must be unique',
      "13: spec.ports[2].nodePort: spec.ports[2].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
      "8: spec.selector: spec.selector: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      '9: spec.externalIPs[0]: spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      '9: spec.externalIPs[1]: spec.externalIPs[1]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });

  test('headless NodePort, ports missing, ExternalName without a name or with a ClusterIP; nodePort outside the default range warns', () => {
    expect(
      errors(`apiVersion: v1
kind: Service
metadata: {name: a}
spec: {type: NodePort, clusterIP: None, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: b}
spec: {selector: {app: b}}
---
apiVersion: v1
kind: Service
metadata: {name: c}
spec: {type: ExternalName, clusterIP: 10.96.0.9}
`),
    ).toEqual([
      '4: spec.clusterIP: spec.clusterIP: Invalid value: "None": may not be set to \'None\' for NodePort services',
      '9: spec.ports: spec.ports: Required value: a Service needs at least one port unless it is headless or ExternalName',
      '14: spec.clusterIP: spec.clusterIP: Forbidden: may not be set for ExternalName services',
      '14: spec.externalName: spec.externalName: Required value: an ExternalName Service needs the DNS name it points to',
    ]);
    const r = load(`apiVersion: v1
kind: Service
metadata: {name: a}
spec: {type: NodePort, ports: [{port: 80, nodePort: 8080}]}
`);
    expect(r.cluster!.services![0]!.ports[0]!.nodePort).toBe(8080);
    expect(r.issues.map(formatIssue)).toEqual([expect.stringMatching(/^warning: svc.yaml:4 .*spec\.ports\[0\]\.nodePort: .*30000-32767/)]);
  });

  test('a duplicate Service is an error naming the first', () => {
    expect(errors(`${SERVICE}---\n${SERVICE}`)).toEqual([
      expect.stringMatching(/^13: metadata.name: .*Duplicate value: "shop\/web": Service shop\/web is also defined at svc.yaml:3/),
    ]);
  });
});

const SLICE = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: shop
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- addresses: [10.244.1.5]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: web-1, namespace: shop}
- addresses: [10.244.1.6]
  conditions: {ready: false}
- addresses: [10.244.1.7]
ports:
- {name: http, port: 8080, protocol: TCP}
- {name: metrics, port: 9090}
`;

describe('EndpointSlice loading', () => {
  test('endpoints (absent ready is ready), target pods, ports', () => {
    const r = load(`${SERVICE}---\n${SLICE}`);
    expect(r.issues).toEqual([]);
    const s = r.cluster!.endpointSlices![0]!;
    expect(s).toMatchObject({ namespace: 'shop', name: 'web-abc', service: 'web', addressType: 'IPv4' });
    expect(s.endpoints.map((e) => [e.addresses.map(formatIP), e.ready, e.pod])).toEqual([
      [['10.244.1.5'], true, 'shop/web-1'],
      [['10.244.1.6'], false, undefined],
      [['10.244.1.7'], true, undefined],
    ]);
    expect(s.ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 8080 },
      { name: 'metrics', protocol: 'TCP', port: 9090 },
    ]);
  });

  test('every problem of a bad slice', () => {
    expect(
      errors(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s, labels: {kubernetes.io/service-name: web}}
addressType: IPv5
endpoints:
- addresses: []
- addresses: ["fd00::1"]
ports:
- {name: HTTP, port: 70000, protocol: ICMP}
- {name: HTTP, port: 0}
`),
    ).toEqual([
      '4: addressType: addressType: Unsupported value: "IPv5": supported values: "IPv4", "IPv6", "FQDN"',
      '6: endpoints[0].addresses: endpoints[0].addresses: Required value: must contain at least 1 address',
      expect.stringMatching(/^9: ports\[0\]\.name: .*Invalid value: "HTTP": a lowercase RFC 1123 label/),
      '9: ports[0].protocol: ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      '9: ports[0].port: ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      expect.stringMatching(/^10: ports\[1\]\.name: .*Invalid value: "HTTP"/),
      '10: ports[1].name: ports[1].name: Duplicate value: "HTTP": port names must be unique',
      '10: ports[1].port: ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    expect(errors(SLICE.replace('addressType: IPv4', 'addressType: IPv6'))).toEqual([
      '9: endpoints[0].addresses[0]: endpoints[0].addresses[0]: Invalid value: "10.244.1.5": must be an IPv6 address',
      '12: endpoints[1].addresses[0]: endpoints[1].addresses[0]: Invalid value: "10.244.1.6": must be an IPv6 address',
      '14: endpoints[2].addresses[0]: endpoints[2].addresses[0]: Invalid value: "10.244.1.7": must be an IPv6 address',
    ]);
  });

  test('a slice without the service-name label, or naming a Service not in the input, is a warning', () => {
    const r = load(SLICE.replace('labels: {kubernetes.io/service-name: web}', 'labels: {}'));
    expect(r.cluster).toBeDefined();
    expect(r.issues.map((i) => [i.severity, i.code])).toEqual([['warning', 'endpoint-slice-without-service']]);
    const orphan = load(SLICE);
    expect(orphan.issues.map((i) => i.message)).toEqual(['names Service shop/web, which is not in the input: the slice is not used']);
  });
});

test("Online Boutique's manifests: every Service loads", () => {
  const r = loadFiles([join(import.meta.dirname, '../fixtures/online-boutique/manifests')], { recursive: true });
  expect(r.issues.filter((i) => i.object?.startsWith('Service '))).toEqual([]);
  expect(r.cluster?.services?.length).toBeGreaterThan(10);
});

describe('hostile input', () => {
  // Any JSON value in any field the loader reads: problems, never an exception.
  const SERVICE_FIELDS = [
    ['spec'],
    ['spec', 'type'],
    ['spec', 'clusterIP'],
    ['spec', 'clusterIPs'],
    ['spec', 'ports'],
    ['spec', 'ports', 0],
    ['spec', 'ports', 0, 'targetPort'],
    ['spec', 'ports', 0, 'nodePort'],
    ['spec', 'ports', 0, 'protocol'],
    ['spec', 'selector'],
    ['spec', 'externalIPs'],
    ['spec', 'externalName'],
    ['status', 'loadBalancer', 'ingress'],
  ] as const;
  const SLICE_FIELDS = [
    ['addressType'],
    ['endpoints'],
    ['endpoints', 0],
    ['endpoints', 0, 'addresses'],
    ['endpoints', 0, 'conditions'],
    ['endpoints', 0, 'targetRef'],
    ['ports'],
    ['ports', 0, 'port'],
  ] as const;
  const set = (obj: Record<string, unknown>, path: readonly (string | number)[], value: unknown): Record<string, unknown> => {
    const copy = structuredClone(obj);
    let o = copy as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) {
      if (typeof o[k] !== 'object' || o[k] === null) o[k] = typeof path[path.indexOf(k) + 1] === 'number' ? [] : {};
      o = o[k] as Record<string | number, unknown>;
    }
    o[path.at(-1)!] = value;
    return copy;
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }], selector: { app: 'web' } },
  };
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 's', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'] }],
    ports: [{ port: 8080 }],
  };
  test('a Service or an EndpointSlice with any JSON value in any field it reads loads or lists problems', () => {
    fc.assert(
      fc.property(fc.nat(SERVICE_FIELDS.length + SLICE_FIELDS.length - 1), fc.jsonValue(), (i, value) => {
        const object = i < SERVICE_FIELDS.length ? set(service, SERVICE_FIELDS[i]!, value) : set(slice, SLICE_FIELDS[i - SERVICE_FIELDS.length]!, value);
        const r = loadObjects([{ file: 'x.json', document: 0, value: object, locate: () => undefined }]);
        expect(r.cluster !== undefined || r.issues.some((issue) => issue.severity === 'error')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
