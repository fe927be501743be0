// connectivity(): endpoints, external blocks, workload vs pod level, the dataplane view vs
// netpol-analyzer's, focus options, and the connection sets checked against verdicts.
import { describe, expect, test } from 'vitest';
import { connectivity, type ConnectivityOptions } from '../../packages/core/src/analysis/connectivity.js';
import { formatConnlist } from '../../packages/core/src/analysis/connlist-format.js';
import { ReferenceEvaluator } from '../../packages/core/src/index.js';
import { PROTOCOL_NUMBERS } from '../../packages/core/src/model/protocol.js';
import { cluster } from '../helpers.js';

const txt = (yaml: string, options: ConnectivityOptions = {}): string[] => {
  const r = connectivity(cluster(yaml), options);
  return formatConnlist(r.connections(), 'txt', { ignoreOtherProtocols: r.ignoreOtherProtocols })
    .split('\n')
    .filter((l) => l !== '');
};

const ns = (name: string, labels = ''): string => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
${labels ? `  labels: {${labels}}\n` : ''}---
`;
const deployment = (namespace: string, name: string, app: string, ports = '[{containerPort: 8080}]', extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${app}}}
  template:
    metadata: {labels: {app: ${app}}}
    spec:
      ${extra}containers: [{name: c, image: i, ports: ${ports}}]
---
`;
const pod = (namespace: string, name: string, app: string, ip: string, extra = ''): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}, labels: {app: ${app}}${extra}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
status: {phase: Running, podIP: ${ip}, podIPs: [{ip: ${ip}}]}
---
`;
const policy = (namespace: string, name: string, spec: string): string => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec}
---
`;

const APP = ns('app') + deployment('app', 'web', 'web') + deployment('app', 'db', 'db', '[{containerPort: 5432, name: pg}]');

describe('manifests without pods: workloads as endpoints', () => {
  test('no policy: every workload pair and the whole IPv4 space, both ways; no self pair', () => {
    expect(txt(APP)).toEqual([
      '0.0.0.0-255.255.255.255[External] => app/db[Deployment] : All Connections',
      '0.0.0.0-255.255.255.255[External] => app/web[Deployment] : All Connections',
      'app/db[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections',
      'app/db[Deployment] => app/web[Deployment] : All Connections',
      'app/web[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections',
      'app/web[Deployment] => app/db[Deployment] : All Connections',
    ]);
  });

  test('a named port resolves on the template; ipBlocks cut the sources and never match a workload without pods', () => {
    const yaml =
      APP +
      policy(
        'app',
        'db',
        `  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: pg}]
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 5432}]`,
      );
    expect(txt(yaml).filter((l) => l.includes('=> app/db'))).toEqual([
      '10.0.0.0-10.0.255.255[External] => app/db[Deployment] : TCP 5432',
      '10.2.0.0-10.255.255.255[External] => app/db[Deployment] : TCP 5432',
      'app/web[Deployment] => app/db[Deployment] : TCP 5432',
    ]);
    // the other sources are blocks of their own, with no connection to db
    expect(txt(yaml).filter((l) => l.startsWith('0.0.0.0-9.255.255.255[External]'))).toEqual([
      '0.0.0.0-9.255.255.255[External] => app/web[Deployment] : All Connections',
    ]);
  });

  test('cluster-scoped tiers are part of the sets (an Admin Deny of one port)', () => {
    const yaml =
      APP +
      `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-ssh}
spec:
  priority: 10
  subject: {namespaces: {}}
  ingress:
  - {name: ssh, action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {protocol: TCP, port: 22}}]}
`;
    expect(txt(yaml)).toContain('app/web[Deployment] => app/db[Deployment] : SCTP 1-65535,TCP 1-21,23-65535,UDP 1-65535,other protocols');
    expect(txt(yaml, { compat: 'netpol-analyzer' })).toContain('app/web[Deployment] => app/db[Deployment] : SCTP 1-65535,TCP 1-21,23-65535,UDP 1-65535');
  });
});

describe('external blocks', () => {
  const v6 =
    APP +
    policy(
      'app',
      'db',
      `  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 2001:db8::/32}}]}]`,
    );

  test('IPv6 blocks appear when a rule names an IPv6 CIDR (the dataplane view), not in compat (netpol-analyzer cuts IPv4 only)', () => {
    expect(txt(v6).filter((l) => l.startsWith('app/db[Deployment] =>'))).toEqual([
      'app/db[Deployment] => 2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External] : All Connections',
    ]);
    expect(txt(v6).filter((l) => l.includes('::-2001:db7'))).toEqual([
      'app/web[Deployment] => ::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff[External] : All Connections',
    ]);
    expect(txt(v6, { compat: 'netpol-analyzer' }).some((l) => l.includes(':'.repeat(2)))).toBe(false);
  });

  test('external: false leaves them out', () => {
    expect(txt(v6, { external: false })).toEqual(['app/web[Deployment] => app/db[Deployment] : All Connections']);
  });
});

describe('pods with addresses', () => {
  const yaml =
    ns('app') +
    pod('app', 'web-1', 'web', '10.0.0.1') +
    pod('app', 'db-1', 'db', '10.0.0.2') +
    policy(
      'app',
      'db',
      `  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.1/32}}], ports: [{port: 5432}]}]`,
    );

  test('dataplane view: an ipBlock holding a pod IP matches the pod; compat: never', () => {
    expect(txt(yaml)).toContain('app/web-1[Pod] => app/db-1[Pod] : TCP 5432');
    expect(txt(yaml, { compat: 'netpol-analyzer' }).filter((l) => l.startsWith('app/web-1[Pod] => app/db-1'))).toEqual([]);
  });

  test("a pod's address is no external address: the /32 block has no connection of its own in the dataplane view", () => {
    expect(txt(yaml).filter((l) => l.startsWith('10.0.0.1-10.0.0.1'))).toEqual([]);
    expect(txt(yaml, { compat: 'netpol-analyzer' })).toContain('10.0.0.1-10.0.0.1[External] => app/db-1[Pod] : TCP 5432');
  });

  test('the sets agree with the reference evaluator on sampled ports', () => {
    const c = cluster(yaml);
    const ref = new ReferenceEvaluator(c);
    const report = connectivity(c);
    const [web, db] = [c.pods.find((p) => p.name === 'web-1')!, c.pods.find((p) => p.name === 'db-1')!];
    const conns = report.between('app/web-1[Pod]', 'app/db-1[Pod]');
    for (const port of [1, 80, 5431, 5432, 5433, 65535]) {
      const allowed = ref.verdict({ src: web.ips[0]!, dst: db.ips[0]!, protocol: PROTOCOL_NUMBERS.TCP, port }).allowed;
      expect(conns.tcp.some((r) => r.start <= port && port <= r.end)).toBe(allowed);
    }
  });
});

describe('workload level and pod level', () => {
  const owned = (name: string, app: string, ip: string, tier: string): string =>
    pod(
      'app',
      name,
      app,
      ip,
      `, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9, uid: u1, controller: true}], annotations: {}`,
    ).replace(`labels: {app: ${app}}`, `labels: {app: ${app}, tier: ${tier}}`);
  const yaml =
    ns('app') +
    owned('web-5d9-a', 'web', '10.0.0.1', 'a') +
    owned('web-5d9-b', 'web', '10.0.0.2', 'b') +
    pod('app', 'db', 'db', '10.0.0.3') +
    policy(
      'app',
      'db',
      `  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {tier: a}}}]}]`,
    );

  test('a workload is allowed what every pod of it is allowed, with a warning when its pods differ', () => {
    const r = connectivity(cluster(yaml));
    expect([...r.connections()].filter((c) => c.dst.name === 'app/db[Pod]').map((c) => c.src.name)).toEqual([]); // pod b may not: neither may the workload
    expect(r.warnings).toEqual([expect.stringMatching(/^app\/web-5d9\[ReplicaSet\]: its pods are not all judged alike/)]);
  });

  test('pods that differ only where no policy looks are judged alike: no warning', () => {
    const plain = yaml
      .replace(/tier: b/g, 'tier: a')
      .replace('tier: a, ', 'tier: a, ')
      .replace(/(web-5d9-b[^\n]*labels: \{app: web, tier: a)/, '$1, extra: label');
    const r = connectivity(cluster(plain));
    expect(r.warnings).toEqual([]);
    expect([...r.connections()].map((c) => `${c.src.name} => ${c.dst.name}`)).toContain('app/web-5d9[ReplicaSet] => app/db[Pod]');
  });

  test('pod level: each pod on its own', () => {
    expect(txt(yaml, { level: 'pod' }).filter((l) => l.endsWith('app/db[Pod] : All Connections'))).toEqual([
      'app/web-5d9-a[Pod] => app/db[Pod] : All Connections',
    ]);
  });
});

describe('netpol-analyzer compat', () => {
  const hostNet = ns('kube-system') + deployment('kube-system', 'agent', 'agent', '[{containerPort: 9100}]', 'hostNetwork: true\n      ') + APP;

  test('hostNetwork workloads: node traffic by default, ordinary endpoints in compat', () => {
    expect(txt(hostNet).some((l) => l.includes('agent'))).toBe(false);
    expect(txt(hostNet, { compat: 'netpol-analyzer' })).toContain('kube-system/agent[Deployment] => app/web[Deployment] : All Connections');
  });

  test('every port of TCP, UDP and SCTP without ICMP: All Connections only in compat', () => {
    const yaml =
      APP +
      policy(
        'app',
        'all-ports',
        `  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{ports: [{protocol: TCP, port: 1, endPort: 65535}, {protocol: UDP, port: 1, endPort: 65535}, {protocol: SCTP, port: 1, endPort: 65535}]}]`,
      );
    expect(txt(yaml)).toContain('app/web[Deployment] => app/db[Deployment] : SCTP 1-65535,TCP 1-65535,UDP 1-65535');
    expect(txt(yaml, { compat: 'netpol-analyzer' })).toContain('app/web[Deployment] => app/db[Deployment] : All Connections');
  });
});

describe('focus', () => {
  const yaml = APP + ns('other') + deployment('other', 'web', 'web');

  test('--focus-workload by name (every workload of that name) or namespace/name', () => {
    expect(new Set(txt(yaml, { focusWorkload: ['db'] }).map((l) => l.includes('app/db[Deployment]')))).toEqual(new Set([true]));
    const byFull = txt(yaml, { focusWorkload: ['other/web'] });
    expect(byFull.every((l) => l.includes('other/web[Deployment]'))).toBe(true);
    expect(byFull.some((l) => l.includes('app/web[Deployment] =>') && !l.includes('other/web'))).toBe(false);
    expect(txt(yaml, { focusWorkload: ['web'] }).length).toBeGreaterThan(byFull.length);
  });

  test('--focus-workload-peer restricts the other side; an unknown focus is a warning and an empty report', () => {
    expect(txt(yaml, { focusWorkload: ['db'], focusWorkloadPeer: ['other/web'] })).toEqual([
      'app/db[Deployment] => other/web[Deployment] : All Connections',
      'other/web[Deployment] => app/db[Deployment] : All Connections',
    ]);
    const r = connectivity(cluster(yaml), { focusWorkload: ['nothing'] });
    expect([...r.connections()]).toEqual([]);
    expect(r.warnings).toEqual(['focus workload nothing: no such workload in the input']);
  });

  test('--focus-namespace: pairs with an endpoint of the namespace on one side', () => {
    const lines = txt(yaml, { focusNamespace: ['other'] });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes('other/'))).toBe(true);
  });
});

describe('streaming', () => {
  test('connections() computes pairs as they are read', () => {
    const r = connectivity(cluster(APP));
    const it = r.connections();
    expect(it.next().value?.src.name).toBe('0.0.0.0-255.255.255.255[External]');
    expect(r.endpoints.map((e) => e.name)).toEqual(['app/db[Deployment]', 'app/web[Deployment]', '0.0.0.0-255.255.255.255[External]']);
  });
});
