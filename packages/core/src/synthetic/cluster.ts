/**
 * Seeded synthetic clusters with a realistic shape: namespaces per team and environment,
 * deployments whose replicas share labels, named container ports, a default deny per
 * namespace plus allow rules (pod and namespace selectors, matchExpressions, ipBlocks with
 * excepts, endPort ranges), IPv4 with some dual-stack pods. Used by benchmarks and tests.
 */
import type { IPAddress } from '../ip/address.js';
import type { CIDR } from '../ip/cidr.js';
import type {
  Cluster,
  ClusterPeer,
  ClusterPolicy,
  ClusterPort,
  ClusterRule,
  ClusterSubject,
  ContainerPort,
  Namespace,
  NetworkPolicy,
  Node,
  Owner,
  Peer,
  Pod,
  PolicyPort,
  Rule,
  Selector,
  Tier,
  Workload,
} from '../model/types.js';
import { Random } from './random.js';
import { checkOptions, type OptionSpec } from '../model/check-options.js';

export interface ClusterShape {
  readonly pods: number;
  readonly policies: number;
  /** Share of pods with an IPv6 address too (default 0.1). */
  readonly dualStack?: number;
  /**
   * Cluster-scoped policies to add (default 0): Admin and Baseline ClusterNetworkPolicies
   * (guardrails, Pass rules delegating DNS, `networks` and `nodes` peers, per-team isolation)
   * and, from 5 on, a BaselineAdminNetworkPolicy. See clusterPolicies() below.
   */
  readonly clusterPolicies?: number;
  /**
   * The pods as workloads (default: bare pods, no `workloads`). `'pods'`: each deployment of
   * replicas (1-9, about 5 on average: L's 10k pods are about 2k workloads) becomes a Deployment
   * whose pods name it as their owner, the monitoring agents a DaemonSet and CoreDNS a
   * Deployment, as a `kubectl get -o yaml` dump of a running cluster would have them.
   * `'manifests'`: the same workloads with no pods and no nodes, hence no addresses at all, as
   * `helm template` or `kustomize build` output is. The pods, policies and random draws are the
   * same in all three, so a variant differs from the default only by what it adds or leaves out.
   */
  readonly workloads?: 'pods' | 'manifests';
  readonly seed?: number;
}

const CLUSTER_SHAPE: OptionSpec<ClusterShape> = {
  pods: 'number',
  policies: 'number',
  dualStack: 'number',
  clusterPolicies: 'number',
  workloads: ['pods', 'manifests'],
  seed: 'number',
};

export const SIZES = {
  S: { pods: 100, policies: 10 },
  M: { pods: 1_000, policies: 100 },
  L: { pods: 10_000, policies: 1_000 },
  XL: { pods: 50_000, policies: 5_000 },
} as const satisfies Record<string, ClusterShape>;

const TIERS = ['frontend', 'backend', 'db', 'cache', 'worker'] as const;
const ENVS = ['prod', 'staging', 'dev'] as const;
const TIER_PORTS: Record<string, ContainerPort[]> = {
  frontend: [
    { name: 'http', port: 8080, protocol: 'TCP', init: false },
    { name: 'metrics', port: 9090, protocol: 'TCP', init: false },
  ],
  backend: [
    { name: 'grpc', port: 50051, protocol: 'TCP', init: false },
    { name: 'metrics', port: 9100, protocol: 'TCP', init: false },
  ],
  db: [
    { name: 'postgres', port: 5432, protocol: 'TCP', init: false },
    { name: 'metrics', port: 9187, protocol: 'TCP', init: false },
  ],
  cache: [{ name: 'redis', port: 6379, protocol: 'TCP', init: false }],
  worker: [
    { name: 'metrics', port: 9090, protocol: 'TCP', init: false },
    { name: 'statsd', port: 8125, protocol: 'UDP', init: false },
  ],
};

const DNS_PORTS: ContainerPort[] = [
  { name: 'dns', port: 53, protocol: 'UDP', init: false },
  { name: 'dns-tcp', port: 53, protocol: 'TCP', init: false },
];

const v4 = (a: number, b: number, c: number, d: number): IPAddress => ({ family: 4, value: BigInt(((a << 24) | (b << 16) | (c << 8) | d) >>> 0) });
const cidr4 = (a: number, b: number, c: number, d: number, prefix: number): CIDR => ({ family: 4, prefix, base: v4(a, b, c, d).value });
const sel = (matchLabels: Record<string, string>, matchExpressions: Selector['matchExpressions'] = []): Selector => ({ matchLabels, matchExpressions });

export interface SyntheticCluster extends Cluster {
  /** Deployment (app label) names per namespace, for flow generation. */
  readonly apps: readonly { readonly namespace: string; readonly app: string; readonly tier: string }[];
}

export function syntheticCluster(shape: ClusterShape): SyntheticCluster {
  checkOptions('syntheticCluster shape', shape, CLUSTER_SHAPE);
  const r = new Random(shape.seed ?? 1);
  const nsCount = Math.max(3, Math.round(shape.pods / 200));
  const nodeCount = Math.max(1, Math.ceil(shape.pods / 110));
  const namespaces: Namespace[] = [];
  for (let i = 0; i < nsCount; i++) {
    const name = i === 0 ? 'monitoring' : `team-${i}-${ENVS[i % 3]}`;
    namespaces.push({ name, labels: { 'kubernetes.io/metadata.name': name, env: i === 0 ? 'infra' : ENVS[i % 3]!, team: `t${i % 17}` } });
  }
  namespaces.push({ name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } });
  const nodes: Node[] = [];
  // Node i: 172.18.0.0/16 from .0.1 on, one address each.
  for (let i = 0; i < nodeCount; i++)
    nodes.push({
      name: `node-${i}`,
      ips: [v4(172, 18, (i + 1) >> 8, (i + 1) & 255)],
      labels: {
        'kubernetes.io/hostname': `node-${i}`,
        'topology.kubernetes.io/zone': `zone-${i % 3}`,
        ...(i % 10 === 0 && { 'node-role.kubernetes.io/infra': '' }),
      },
    });

  // Deployments with replicas; pod IPs come from the node's /24 (node i: 10.(i>>8).(i&255).x).
  const pods: Pod[] = [];
  const apps: { namespace: string; app: string; tier: string }[] = [];
  const workloads: Workload[] = [];
  const nextHost = new Array<number>(nodeCount).fill(2);
  let d = 0;
  while (pods.length < shape.pods) {
    const ns = namespaces[1 + (d % (nsCount - 1))]!;
    const tier = TIERS[d % TIERS.length]!;
    const app = `${tier}-${d}`;
    apps.push({ namespace: ns.name, app, tier });
    const replicas = Math.min(shape.pods - pods.length, r.int(1, 9));
    const hash = ((d * 2654435761) >>> 0).toString(16).slice(0, 8);
    const labels = { app, tier, version: `v${d % 3}` };
    workloads.push({ kind: 'Deployment', namespace: ns.name, name: app, labels, ports: TIER_PORTS[tier]!, hostNetwork: false });
    for (let k = 0; k < replicas; k++) {
      let node = r.int(0, nodeCount - 1);
      for (let tries = 0; nextHost[node]! > 250 && tries < nodeCount; tries++) node = (node + 1) % nodeCount;
      const host = nextHost[node]!++;
      const ips: IPAddress[] = [v4(10, 100 + (node >> 8), node & 255, host)];
      if (r.chance(shape.dualStack ?? 0.1)) ips.push({ family: 6, value: (0xfd00n << 112n) | (BigInt(node) << 16n) | BigInt(host) });
      pods.push({
        namespace: ns.name,
        name: `${app}-${hash}-${k}`,
        labels: { ...labels, 'pod-template-hash': hash },
        ips,
        nodeName: `node-${node}`,
        hostNetwork: false,
        phase: 'Running',
        ports: TIER_PORTS[tier]!,
      });
    }
    d++;
  }
  // A monitoring agent per node, in the monitoring namespace, scraping metrics everywhere.
  for (let i = 0; i < Math.min(nodeCount, 50); i++) {
    const host = nextHost[i]!++;
    pods.push({
      namespace: 'monitoring',
      name: `prometheus-${i}`,
      labels: { app: 'prometheus' },
      ips: [v4(10, 100 + (i >> 8), i & 255, host)],
      nodeName: `node-${i}`,
      hostNetwork: false,
      phase: 'Running',
      ports: [],
    });
  }
  workloads.push({ kind: 'DaemonSet', namespace: 'monitoring', name: 'prometheus', labels: { app: 'prometheus' }, ports: [], hostNetwork: false });

  for (let i = 0; i < 2; i++) {
    const host = nextHost[i % nodeCount]!++;
    pods.push({
      namespace: 'kube-system',
      name: `coredns-${i}`,
      labels: { 'k8s-app': 'kube-dns' },
      ips: [v4(10, 100, i % nodeCount, host)],
      nodeName: `node-${i % nodeCount}`,
      hostNetwork: false,
      phase: 'Running',
      ports: DNS_PORTS,
    });
  }
  workloads.push({
    kind: 'Deployment',
    namespace: 'kube-system',
    name: 'coredns',
    labels: { 'k8s-app': 'kube-dns' },
    ports: DNS_PORTS,
    hostNetwork: false,
  });

  const policies: NetworkPolicy[] = [];
  const add = (namespace: string, name: string, podSelector: Selector, ingress: Rule[] | null, egress: Rule[] | null): void => {
    if (policies.length >= shape.policies) return;
    policies.push({
      namespace,
      name,
      podSelector,
      affects: { ingress: ingress !== null, egress: egress !== null },
      ingress: ingress ?? [],
      egress: egress ?? [],
    });
  };
  const tcp = (port: number | string, endPort?: number): PolicyPort => ({ protocol: 'TCP', port, ...(endPort !== undefined && { endPort }) });
  const external: Peer = {
    kind: 'ipBlock',
    ipBlock: { cidr: cidr4(0, 0, 0, 0, 0), except: [cidr4(10, 0, 0, 0, 8), cidr4(172, 16, 0, 0, 12), cidr4(192, 168, 0, 0, 16)] },
  };
  const dnsPeer: Peer = {
    kind: 'selector',
    namespaceSelector: sel({ 'kubernetes.io/metadata.name': 'kube-system' }),
    podSelector: sel({ 'k8s-app': 'kube-dns' }),
  };
  // Policies cycle over namespaces so that every namespace gets a default deny first.
  let round = 0;
  while (policies.length < shape.policies) {
    for (let i = 1; i < nsCount && policies.length < shape.policies; i++) {
      const ns = namespaces[i]!.name;
      const nsApps = apps.filter((a) => a.namespace === ns);
      const a = nsApps[round % Math.max(1, nsApps.length)];
      switch (round) {
        case 0:
          add(ns, 'default-deny', sel({}), [], r.chance(0.5) ? [] : null);
          break;
        case 1:
          add(
            ns,
            'allow-dns-and-monitoring',
            sel({}),
            [
              {
                peers: [{ kind: 'selector', namespaceSelector: sel({ 'kubernetes.io/metadata.name': 'monitoring' }), podSelector: sel({ app: 'prometheus' }) }],
                ports: [tcp('metrics')],
              },
            ],
            [{ peers: [dnsPeer], ports: [{ protocol: 'UDP', port: 53 }, tcp(53)] }],
          );
          break;
        default: {
          if (!a) break;
          const peerTier = TIERS[(TIERS.indexOf(a.tier as (typeof TIERS)[number]) + 4) % TIERS.length]!;
          const kind = (round + i) % 6;
          const name = `allow-${a.app}-r${round}`;
          if (kind === 0)
            add(
              ns,
              name,
              sel({ app: a.app }),
              [
                {
                  peers: [{ kind: 'selector', podSelector: sel({ tier: peerTier }) }],
                  ports: TIER_PORTS[a.tier]!.map((p) => ({ protocol: p.protocol, port: p.name! })),
                },
              ],
              null,
            );
          else if (kind === 1)
            add(
              ns,
              name,
              sel({ app: a.app }),
              [
                {
                  peers: [
                    {
                      kind: 'selector',
                      namespaceSelector: sel({ env: ENVS[round % 3]! }),
                      podSelector: sel({}, [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }]),
                    },
                  ],
                  ports: [tcp(8000, 8100)],
                },
              ],
              null,
            );
          else if (kind === 2)
            add(
              ns,
              name,
              sel({}, [
                { key: 'tier', operator: 'In', values: [a.tier] },
                { key: 'version', operator: 'NotIn', values: ['v2'] },
              ]),
              null,
              [
                { peers: [external], ports: [tcp(443), tcp(80)] },
                { peers: [{ kind: 'selector', podSelector: sel({}) }], ports: [] },
              ],
            );
          else if (kind === 3) {
            // A partner network (a /20 of public space) minus one of its /24s.
            const a1 = r.int(11, 223);
            const b = r.int(0, 15) << 4;
            add(
              ns,
              name,
              sel({ app: a.app }),
              [{ peers: [{ kind: 'ipBlock', ipBlock: { cidr: cidr4(a1, b, 0, 0, 20), except: [cidr4(a1, b, 1, 0, 24)] } }], ports: [tcp(5432)] }],
              null,
            );
          } else if (kind === 4)
            add(
              ns,
              name,
              sel({ tier: a.tier }, [{ key: 'canary', operator: 'DoesNotExist', values: [] }]),
              [
                {
                  peers: [{ kind: 'selector', namespaceSelector: sel({ team: `t${r.int(0, 16)}` }) }],
                  ports: [{ protocol: 'UDP', port: 8125 }, tcp(30000, 32767)],
                },
              ],
              null,
            );
          else
            add(
              ns,
              name,
              sel({ app: a.app }),
              [{ peers: [{ kind: 'ipBlock', ipBlock: { cidr: cidr4(r.int(1, 220), r.int(0, 255), 0, 0, 16), except: [] } }], ports: [] }],
              [{ peers: [{ kind: 'selector', podSelector: sel({ tier: 'db' }) }], ports: [tcp(5432), tcp('postgres')] }],
            );
        }
      }
    }
    round++;
  }
  const cnps = clusterPolicies(shape.clusterPolicies ?? 0, r);
  const tiers = cnps.length > 0 ? { clusterPolicies: cnps } : {};
  if (shape.workloads === 'manifests') return { namespaces, nodes: [], pods: [], policies, apps, workloads, ...tiers };
  if (shape.workloads === 'pods') return { namespaces, nodes, pods: pods.map((p) => ({ ...p, owner: ownerOf(p) })), policies, apps, workloads, ...tiers };
  return { namespaces, nodes, pods, policies, apps, ...tiers };
}

/** The workload a generated pod belongs to: its deployment's `app` label names it (CoreDNS and the monitoring agents aside). */
function ownerOf(p: Pod): Owner {
  if (p.namespace === 'kube-system') return { kind: 'Deployment', name: 'coredns' };
  if (p.labels['app'] === 'prometheus') return { kind: 'DaemonSet', name: 'prometheus' };
  return { kind: 'Deployment', name: p.labels['app']! };
}

const nsSel = (labels: Record<string, string>, expressions: Selector['matchExpressions'] = []): Selector => sel(labels, expressions);
const nsName = (name: string): Selector => sel({ 'kubernetes.io/metadata.name': name });

/**
 * `count` cluster-scoped policies in the shapes cluster admins write: Admin-tier guardrails
 * (deny the cloud metadata address, Pass DNS to the namespaces' own policies, always let
 * monitoring in, let pods reach the infra nodes' exporters, per-team isolation by Deny), Baseline-tier defaults that
 * NetworkPolicies may open (deny ingress from other teams, deny egress to the internet for dev),
 * and from 5 policies on a BaselineAdminNetworkPolicy. Priorities are distinct within a tier.
 */
function clusterPolicies(count: number, r: Random): ClusterPolicy[] {
  const out: ClusterPolicy[] = [];
  const all: ClusterSubject = {
    kind: 'namespaces',
    namespaceSelector: nsSel({}, [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }]),
  };
  const dns: ClusterPeer = { kind: 'pods', namespaceSelector: nsName('kube-system'), podSelector: sel({ 'k8s-app': 'kube-dns' }) };
  const tcp = (start: number, end = start): ClusterPort => ({ kind: 'range', protocol: 'TCP', start, end });
  const udp = (start: number): ClusterPort => ({ kind: 'range', protocol: 'UDP', start, end: start });
  const cnp = (name: string, tier: Tier, priority: number, subject: ClusterSubject, ingress: ClusterRule[], egress: ClusterRule[]): ClusterPolicy => ({
    kind: 'ClusterNetworkPolicy',
    name,
    tier,
    priority,
    subject,
    ingress,
    egress,
  });
  const fixed: ClusterPolicy[] = [
    cnp(
      'deny-cloud-metadata',
      'Admin',
      1,
      all,
      [],
      [{ name: 'metadata', action: 'Deny', peers: [{ kind: 'networks', networks: [cidr4(169, 254, 169, 254, 32)] }], ports: [] }],
    ),
    cnp('pass-dns', 'Admin', 2, all, [], [{ name: 'pass-dns', action: 'Pass', peers: [dns], ports: [udp(53), tcp(53)] }]),
    cnp(
      'allow-monitoring',
      'Admin',
      3,
      all,
      [
        {
          name: 'prometheus',
          action: 'Accept',
          peers: [{ kind: 'pods', namespaceSelector: nsName('monitoring'), podSelector: sel({ app: 'prometheus' }) }],
          ports: [{ kind: 'named', name: 'metrics' }, tcp(9090, 9190)],
        },
      ],
      [],
    ),
    cnp(
      'allow-infra-nodes',
      'Admin',
      4,
      all,
      [],
      [
        {
          name: 'node-exporter',
          action: 'Accept',
          peers: [{ kind: 'nodes', nodeSelector: sel({}, [{ key: 'node-role.kubernetes.io/infra', operator: 'Exists', values: [] }]) }],
          ports: [tcp(9100)],
        },
      ],
    ),
  ];
  const banp: ClusterPolicy = {
    kind: 'BaselineAdminNetworkPolicy',
    name: 'default',
    tier: 'Baseline',
    priority: 1001,
    subject: all,
    ingress: [],
    egress: [{ name: 'deny-smtp', action: 'Deny', peers: [{ kind: 'networks', networks: [cidr4(0, 0, 0, 0, 0)] }], ports: [tcp(25)] }],
  };
  for (let i = 0; out.length < count; i++) {
    if (i < fixed.length) {
      out.push(fixed[i]!);
      continue;
    }
    if (i === fixed.length && count >= 5) {
      out.push(banp);
      continue;
    }
    const team = `t${i % 17}`;
    const subject: ClusterSubject = { kind: 'namespaces', namespaceSelector: nsSel({ team }) };
    if (i % 3 === 0) {
      // Admin: a team's namespaces refuse other teams, except their frontends on HTTP.
      out.push(
        cnp(
          `isolate-${team}-${i}`,
          'Admin',
          10 + i,
          subject,
          [
            {
              name: 'frontends',
              action: 'Accept',
              peers: [{ kind: 'pods', namespaceSelector: nsSel({}), podSelector: sel({ tier: 'frontend' }) }],
              ports: [tcp(8080)],
            },
            {
              name: 'other-teams',
              action: 'Deny',
              peers: [{ kind: 'namespaces', namespaceSelector: nsSel({}, [{ key: 'team', operator: 'NotIn', values: [team] }]) }],
              ports: [],
            },
          ],
          [],
        ),
      );
    } else if (i % 3 === 1) {
      // Baseline: dev namespaces of a team get no internet egress unless a NetworkPolicy says so.
      const a = r.int(11, 223);
      out.push(
        cnp(
          `dev-egress-${team}-${i}`,
          'Baseline',
          10 + i,
          { kind: 'pods', namespaceSelector: nsSel({ team, env: 'dev' }), podSelector: sel({}) },
          [],
          [
            { name: 'partner', action: 'Accept', peers: [{ kind: 'networks', networks: [cidr4(a, 0, 0, 0, 16)] }], ports: [tcp(443)] },
            { action: 'Deny', peers: [{ kind: 'networks', networks: [cidr4(0, 0, 0, 0, 0)] }], ports: [] },
          ],
        ),
      );
    } else {
      // Baseline: ingress between teams denied by default, NetworkPolicies may open it.
      out.push(
        cnp(
          `team-baseline-${team}-${i}`,
          'Baseline',
          10 + i,
          subject,
          [
            {
              name: 'other-teams',
              action: 'Deny',
              peers: [{ kind: 'namespaces', namespaceSelector: nsSel({}, [{ key: 'team', operator: 'NotIn', values: [team] }]) }],
              ports: [],
            },
          ],
          [],
        ),
      );
    }
  }
  return out;
}
