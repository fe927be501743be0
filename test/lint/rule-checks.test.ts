// The rule lint checks (lint/checks/rule-checks.ts): for each, manifests that trigger it (id,
// object, field path, message) and manifests that must not; the broken manifests of
// test/fixtures/lint/broken/rule-*.yaml; the example stories and Online Boutique. The redundancy
// checks' promise (removing what they report changes no verdict) is rule-coverage.property.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { lintFiles, lintText, type LintFinding } from '@netpol/core';

const RULE_IDS = ['egress-without-dns', 'rule-cross-product', 'shadowed-rule', 'policy-changes-nothing', 'ipblock-covers-pods', 'named-port-unresolved'];

/** The findings of the rule checks only (or of `ids`); fails the test when the input does not load. */
function lint(yaml: string, ids: readonly string[] = RULE_IDS): readonly LintFinding[] {
  const r = lintText(yaml, { file: 'test.yaml', enableOnly: [...ids] });
  if (!r.cluster) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.findings;
}

const docs = (...parts: string[]): string => parts.join('---\n');

const ns = (name: string, labels = ''): string => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}${labels === '' ? '' : `\n  labels: {${labels}}`}
`;

/** A running pod; `ports` is the flow list of its container ports. */
const pod = (namespace: string, name: string, ip: string, labels = '', ports = '[]'): string => `apiVersion: v1
kind: Pod
metadata:
  namespace: ${namespace}
  name: ${name}
  labels: {${labels}}
spec:
  containers: [{name: c, image: x, ports: ${ports}}]
status:
  phase: Running
  podIP: ${ip}
`;

/** A NetworkPolicy; `spec` is the text after `spec:`, indented by 2. */
const netpol = (namespace: string, name: string, spec: string): string => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  namespace: ${namespace}
  name: ${name}
spec:
${spec}`;

/** prod/web-out: egress of the web pods; `rules` is the text of its egress list. */
const webOut = (rules: string): string => netpol('prod', 'web-out', `  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress:\n${rules}`);

const DNS_PODS = docs(
  pod('kube-system', 'coredns-a', '10.0.0.10', 'k8s-app: kube-dns', '[{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]'),
  pod('kube-system', 'coredns-b', '10.0.0.11', 'k8s-app: kube-dns', '[{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]'),
);

/** prod: web (10.1.0.5, http 8080), db (10.1.0.6, postgres 5432); dev: app (10.2.0.7); kube-system with CoreDNS. */
const BASE = docs(
  ns('prod', 'env: prod'),
  ns('dev', 'env: dev'),
  ns('kube-system'),
  DNS_PODS,
  pod('prod', 'web', '10.1.0.5', 'app: web', '[{name: http, containerPort: 8080}]'),
  pod('prod', 'db', '10.1.0.6', 'app: db', '[{name: postgres, containerPort: 5432}]'),
  pod('dev', 'app', '10.2.0.7', 'app: app', '[{name: http, containerPort: 8080}]'),
);

const DNS_RULE = `  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
`;

describe('egress-without-dns', () => {
  const ids = ['egress-without-dns'];

  test('a default-deny egress with no DNS rule: one finding at its policyTypes, naming the pods', () => {
    const fs = lint(docs(BASE, netpol('prod', 'default-deny', '  podSelector: {}\n  policyTypes: [Ingress, Egress]\n')), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ id: 'egress-without-dns', severity: 'warning', object: 'NetworkPolicy prod/default-deny', path: 'spec.policyTypes' });
    expect(fs[0]!.message).toContain('2 pods');
    expect(fs[0]!.message).toContain('UDP 53 and TCP 53');
    expect(fs[0]!.fix).toContain('k8s-app: kube-dns');
  });

  test('reported once, at the policy isolating the most pods (the default-deny), not at every policy isolating them', () => {
    const fs = lint(
      docs(
        BASE,
        netpol('prod', 'default-deny', '  podSelector: {}\n  policyTypes: [Egress]\n'),
        netpol('prod', 'web-to-db', '  podSelector: {matchLabels: {app: web}}\n  egress:\n  - to: [{podSelector: {matchLabels: {app: db}}}]\n'),
      ),
      ids,
    );
    expect(fs.map((f) => f.object)).toEqual(['NetworkPolicy prod/default-deny']);
  });

  test('only UDP allowed: the finding says TCP 53 is missing', () => {
    const fs = lint(docs(BASE, netpol('prod', 'deny', `  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{protocol: UDP, port: 53}]\n`)), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.path).toBe('spec.egress');
    expect(fs[0]!.message).toContain('cannot reach TCP 53');
    expect(fs[0]!.message).not.toContain('UDP 53');
  });

  test('a DNS rule to kube-dns, a rule without peers on 53, or an egress policy not isolating: no finding', () => {
    expect(lint(docs(BASE, netpol('prod', 'deny', `  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n${DNS_RULE}`)), ids)).toEqual([]);
    expect(
      lint(
        docs(
          BASE,
          netpol('prod', 'deny', `  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]\n`),
        ),
        ids,
      ),
    ).toEqual([]);
    expect(lint(docs(BASE, netpol('prod', 'ingress-only', '  podSelector: {}\n  policyTypes: [Ingress]\n')), ids)).toEqual([]);
  });

  test('a rule to the DNS pods by address counts; without kube-dns pods in the input, any address on 53 does', () => {
    const byIP = `  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{ipBlock: {cidr: 10.0.0.0/24}}]\n    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]\n`;
    expect(lint(docs(BASE, netpol('prod', 'deny', byIP)), ids)).toEqual([]);
    const noDns = docs(ns('prod'), pod('prod', 'web', '10.1.0.5', 'app: web'));
    expect(lint(docs(noDns, netpol('prod', 'deny', byIP)), ids)).toEqual([]);
    const fs = lint(docs(noDns, netpol('prod', 'deny', '  podSelector: {}\n  policyTypes: [Egress]\n')), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toContain('no kube-system pod labelled k8s-app=kube-dns in the input');
  });

  test('a workload without pods (manifests only) is checked on its template', () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {namespace: prod, name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: x}]}
`;
    const fs = lint(docs(ns('prod'), deployment, netpol('prod', 'deny', '  podSelector: {}\n  policyTypes: [Egress]\n')), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toContain('prod/api');
  });

  test('an Admin-tier Deny of all egress is reported at its rule', () => {
    const deny = `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: lockdown}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  egress:
  - name: deny-all
    action: Deny
    to: [{networks: [0.0.0.0/0]}, {namespaces: {}}]
`;
    const fs = lint(docs(BASE, deny), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ object: 'ClusterNetworkPolicy lockdown', path: 'spec.egress[0]' });
    expect(fs[0]!.message).toContain('denies egress');
  });
});

describe('rule-cross-product', () => {
  const ids = ['rule-cross-product'];

  test("the issue's example: DNS to kube-dns and HTTPS to an external /32 in one rule", () => {
    const rule = `  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    - ipBlock: {cidr: 203.0.113.7/32}
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}, {protocol: TCP, port: 443}]
`;
    for (const input of [docs(BASE, webOut(rule)), docs(ns('prod'), pod('prod', 'web', '10.1.0.5', 'app: web'), webOut(rule))]) {
      const fs = lint(input, ids);
      expect(fs).toHaveLength(1);
      expect(fs[0]).toMatchObject({ id: 'rule-cross-product', object: 'NetworkPolicy prod/web-out', path: 'spec.egress[0]' });
      expect(fs[0]!.message).toBe(
        'every port applies to every peer, so it also allows TCP 443 to to[0] (namespaces kubernetes.io/metadata.name=kube-system, pods k8s-app=kube-dns); UDP 53, TCP 53 to to[1] (ipBlock 203.0.113.7/32)',
      );
      expect(fs[0]!.fix).toBe(
        'split it into one rule per peer, each with its own ports: egress: [{to: [{podSelector: {matchLabels: {k8s-app: kube-dns}}, namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], ports: [{protocol: UDP, port: 53}, {port: 53}]}, {to: [{ipBlock: {cidr: 203.0.113.7/32}}], ports: [{port: 443}]}]',
      );
    }
  });

  test('two pod selectors whose pods serve different ports', () => {
    const rule = `  - to: [{podSelector: {matchLabels: {app: db}}}, {namespaceSelector: {matchLabels: {env: dev}}, podSelector: {matchLabels: {app: app}}}]
    ports: [{port: 5432}, {port: 8080}]
`;
    const fs = lint(docs(BASE, webOut(rule)), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toContain('TCP 8080 to to[0]');
    expect(fs[0]!.message).toContain('TCP 5432 to to[1]');
  });

  test('peers nothing in the input tells about (no pods, no declared ports) but of different kinds', () => {
    const rule = `  - to: [{ipBlock: {cidr: 192.0.2.10/32}}, {namespaceSelector: {matchLabels: {team: payments}}}]
    ports: [{port: 443}, {port: 8443}]
`;
    const fs = lint(docs(BASE, webOut(rule)), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toBe(
      'its peers are unrelated (to[0] (ipBlock 192.0.2.10/32), to[1] (namespaces team=payments)) and every port (TCP 443, TCP 8443) applies to every peer',
    );
    expect(fs[0]!.fix).toBe('split it into one egress rule per peer (or group of related peers), each with only the ports that peer needs');
  });

  test('not reported: one service (UDP and TCP 53), peers that all serve every port, related peers, ingress rules', () => {
    const dnsTwice = `  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}, {ipBlock: {cidr: 8.8.8.8/32}}]
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
`;
    expect(lint(docs(BASE, webOut(dnsTwice)), ids)).toEqual([]);
    const sameApp = `  - to: [{podSelector: {matchLabels: {app: web}}}, {namespaceSelector: {matchLabels: {env: dev}}, podSelector: {matchLabels: {app: app}}}]
    ports: [{port: 8080}, {port: 9090}]
`;
    expect(lint(docs(BASE, webOut(sameApp)), ids)).toEqual([]);
    // db serves 5432; the dev pods serve 5432 and 8080 (a superset): one service and more of it, not two.
    const superset = `  - to: [{podSelector: {matchLabels: {app: db}}}, {namespaceSelector: {matchLabels: {env: dev}}}]
    ports: [{port: 5432}, {port: 8080}]
`;
    const devDb = pod('dev', 'pg', '10.2.0.8', 'app: app', '[{name: postgres, containerPort: 5432}, {name: http, containerPort: 8080}]');
    expect(lint(docs(BASE.replace(pod('dev', 'app', '10.2.0.7', 'app: app', '[{name: http, containerPort: 8080}]'), devDb), webOut(superset)), ids)).toEqual(
      [],
    );
    const twoBlocks = `  - to: [{ipBlock: {cidr: 192.0.2.0/24}}, {ipBlock: {cidr: 198.51.100.0/24}}]
    ports: [{port: 80}, {port: 443}]
`;
    expect(lint(docs(BASE, webOut(twoBlocks)), ids)).toEqual([]);
    const ingress = netpol(
      'prod',
      'web-in',
      `  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{ipBlock: {cidr: 192.0.2.0/24}}, {podSelector: {matchLabels: {app: db}}}]\n    ports: [{port: 8080}, {port: 9090}]\n`,
    );
    expect(lint(docs(BASE, ingress), ids)).toEqual([]);
  });
});

describe('shadowed-rule', () => {
  const ids = ['shadowed-rule'];

  test('TCP 80 from app=web next to a rule allowing every port from the namespace', () => {
    const p = netpol(
      'prod',
      'db-in',
      `  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 80}]
  - from: [{podSelector: {}}]
`,
    );
    const fs = lint(docs(BASE, p), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ id: 'shadowed-rule', object: 'NetworkPolicy prod/db-in', path: 'spec.ingress[0]' });
    expect(fs[0]!.message).toContain('already allowed by ingress[1]');
  });

  test('a rule of another policy selecting a superset of the pods covers it; of two identical rules the later one is reported', () => {
    const wide = netpol('prod', 'all-from-ns', '  podSelector: {}\n  ingress:\n  - from: [{podSelector: {}}]\n');
    const narrow = netpol(
      'prod',
      'db-in',
      '  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 5432}]\n',
    );
    const fs = lint(docs(BASE, wide, narrow), ['shadowed-rule', 'policy-changes-nothing']);
    // db-in's only rule is covered and its isolation too: the whole policy changes nothing (reported once, as the policy).
    expect(fs.map((f) => `${f.id} ${f.object} ${f.path}`)).toEqual(['policy-changes-nothing NetworkPolicy prod/db-in ']);
    const twice = netpol(
      'prod',
      'db-in',
      '  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 5432}]\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 5432}]\n',
    );
    expect(lint(docs(BASE, twice), ids).map((f) => f.path)).toEqual(['spec.ingress[1]']);
  });

  test('a named port covered on some pods but not others: not reported', () => {
    const p = netpol(
      'prod',
      'all-in',
      `  podSelector: {}
  ingress:
  - from: [{podSelector: {}}]
    ports: [{port: http}]
  - from: [{podSelector: {}}]
    ports: [{port: 8080}]
`,
    );
    // http is 8080 on web but nothing on db: ingress[0] is within ingress[1] everywhere, ingress[1] is not within ingress[0] (db).
    expect(lint(docs(BASE, p), ids).map((f) => f.path)).toEqual(['spec.ingress[0]']);
  });

  test('not reported: a narrower rule next to a wider one on other ports, or peers the other misses', () => {
    const p = netpol(
      'prod',
      'db-in',
      `  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
  - from: [{podSelector: {}}]
    ports: [{port: 9187}]
  - from: [{ipBlock: {cidr: 192.0.2.0/24}}]
    ports: [{port: 5432}]
`,
    );
    expect(lint(docs(BASE, p), ids)).toEqual([]);
  });
});

describe('policy-changes-nothing', () => {
  const ids = ['policy-changes-nothing'];

  test('a second default-deny changes nothing (the later one is reported, not both)', () => {
    const fs = lint(
      docs(
        BASE,
        netpol('prod', 'deny-a', '  podSelector: {}\n  policyTypes: [Ingress]\n'),
        netpol('prod', 'deny-b', '  podSelector: {}\n  policyTypes: [Ingress]\n'),
      ),
      ids,
    );
    expect(fs.map((f) => f.object)).toEqual(['NetworkPolicy prod/deny-b']);
    expect(fs[0]!.message).toContain('stay isolated by prod/deny-a');
  });

  test('a policy allowing all ingress that alone isolates its pods changes nothing', () => {
    const fs = lint(docs(BASE, netpol('prod', 'allow-all', '  podSelector: {}\n  ingress:\n  - {}\n')), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toContain('allows everything and nothing else isolates its pods');
    expect(fs[0]!.fix).toContain('what no policy does');
  });

  test('not reported: a policy that alone isolates, a policy whose rules add something, a policy selecting nothing', () => {
    expect(lint(docs(BASE, netpol('prod', 'deny', '  podSelector: {}\n  policyTypes: [Ingress]\n')), ids)).toEqual([]);
    const allow = netpol('prod', 'web-in', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: db}}}]\n');
    expect(lint(docs(BASE, netpol('prod', 'deny', '  podSelector: {}\n  policyTypes: [Ingress]\n'), allow), ids)).toEqual([]);
    expect(lint(docs(BASE, netpol('prod', 'nobody', '  podSelector: {matchLabels: {app: nobody}}\n  policyTypes: [Ingress]\n')), ids)).toEqual([]);
  });

  test('a default deny whose pods all have allow policies today is kept: it is the safety net for pods to come', () => {
    const allow = (app: string): string =>
      netpol('prod', `${app}-in`, `  podSelector: {matchLabels: {app: ${app}}}\n  ingress:\n  - from: [{podSelector: {}}]\n`);
    const deny = netpol('prod', 'deny', '  podSelector: {}\n  policyTypes: [Ingress]\n');
    expect(lint(docs(BASE, deny, allow('web'), allow('db')), ids)).toEqual([]);
    // Behind a policy with an empty podSelector that isolates too, it is redundant for every pod, now and later.
    const wide = netpol('prod', 'from-monitoring', '  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {env: dev}}}]\n');
    expect(lint(docs(BASE, deny, wide), ids).map((f) => f.object)).toEqual(['NetworkPolicy prod/deny']);
  });
});

describe('ipblock-covers-pods', () => {
  const ids = ['ipblock-covers-pods'];

  test('an ipBlock over the pod range: how many pods, one example, and the except to add', () => {
    const p = webOut('  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]\n');
    const fs = lint(docs(BASE, p), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ object: 'NetworkPolicy prod/web-out', path: 'spec.egress[0].to[0].ipBlock' });
    expect(fs[0]!.message).toContain('5 pods (e.g. kube-system/coredns-a at 10.0.0.10)');
    expect(fs[0]!.fix).toContain('except: [10.0.0.0/14]');
  });

  test('node addresses count too', () => {
    const node = 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 172.18.0.2}]}\n';
    const p = netpol('prod', 'web-in', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{ipBlock: {cidr: 172.16.0.0/12}}]\n');
    const fs = lint(docs(BASE, node, p), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toContain('1 node (e.g. n1 at 172.18.0.2)');
  });

  test('not reported: the pod range carved out with except, or an external block', () => {
    const p = webOut('  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}, {ipBlock: {cidr: 203.0.113.0/24}}]\n');
    expect(lint(docs(BASE, p), ids)).toEqual([]);
  });
});

describe('named-port-unresolved', () => {
  const ids = ['named-port-unresolved'];

  test('an ingress named port no selected pod declares, with the name they do declare suggested', () => {
    const p = netpol('prod', 'web-in', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - ports: [{port: htp}]\n');
    const fs = lint(docs(BASE, p), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ object: 'NetworkPolicy prod/web-in', path: 'spec.ingress[0].ports[0]' });
    expect(fs[0]!.message).toContain('prod/web');
    expect(fs[0]!.fix).toContain('(http?)');
  });

  test("an egress named port resolves on the peers' pods; the wrong protocol is said", () => {
    const p = webOut('  - to: [{podSelector: {matchLabels: {app: db}}}]\n    ports: [{port: postgres, protocol: UDP}]\n');
    const fs = lint(docs(BASE, p), ids);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toContain('prod/db declares postgres with another protocol');
  });

  test('not reported: a name some destination declares, or a rule with no destination pod in the input', () => {
    const ok = webOut('  - to: [{podSelector: {}}]\n    ports: [{port: postgres}]\n');
    expect(lint(docs(BASE, ok), ids)).toEqual([]);
    const none = netpol('prod', 'x-in', '  podSelector: {matchLabels: {app: nobody}}\n  ingress:\n  - ports: [{port: nope}]\n');
    expect(lint(docs(BASE, none), ids)).toEqual([]);
  });
});

describe('the broken manifests (test/fixtures/lint/broken/rule-*.yaml)', () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/lint/broken');
  const files = readdirSync(dir).filter((f) => f.startsWith('rule-') && f.endsWith('.yaml'));
  const expectedIds = (path: string): string[] => {
    const m = /^# lint: (.+)$/.exec(readFileSync(path, 'utf8').split('\n', 1)[0]!);
    if (!m) throw new Error(`${path}: the first line must be "# lint: <check ids>"`);
    return m[1]!.trim().split(/\s+/);
  };

  test('there is one for each rule check', () => {
    expect([...new Set(files.flatMap((f) => expectedIds(join(dir, f))))].sort()).toEqual([...RULE_IDS].sort());
  });

  test.each(files)('%s: exactly the rule checks its first line names fire', (f) => {
    const r = lintFiles([join(dir, f)], { enableOnly: RULE_IDS });
    expect(r.cluster, r.issues.map((i) => i.message).join('\n')).toBeDefined();
    expect([...new Set(r.findings.map((x) => x.id))].sort()).toEqual(expectedIds(join(dir, f)).sort());
    for (const x of r.findings) expect(x.line, `${x.id} ${x.path}`).toBeGreaterThan(0);
  });
});

describe('the example stories and Online Boutique', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const run = (...paths: string[]): string[] =>
    lintFiles(
      paths.map((p) => join(root, p)),
      { enableOnly: RULE_IDS, recursive: true },
    ).findings.map((f) => `${f.id} ${f.object} ${f.path}`);

  test('each fires where the story says it breaks, and nowhere else', () => {
    // "the classic pitfall that the egress allow-list also blocks DNS"
    expect(run('examples/account-service/cluster.yaml', 'examples/account-service/lockdown')).toEqual([
      'egress-without-dns NetworkPolicy production/account-service spec.egress',
    ]);
    // "every port is opened to every peer ... and web, which has no DNS policy of its own here, loses DNS"
    expect(run('examples/my-ns/cluster.yaml', 'examples/my-ns/merged')).toEqual([
      'egress-without-dns NetworkPolicy my-ns/default-deny-all spec.policyTypes',
      'rule-cross-product NetworkPolicy my-ns/allow-cronjob-egress spec.egress[0]',
    ]);
    for (const clean of [
      ['examples/my-ns/cluster.yaml', 'examples/my-ns/correct'],
      ['examples/my-ns/cluster.yaml', 'examples/my-ns/ports-only'],
      ['examples/production-db/cluster.yaml', 'examples/production-db/and'],
      ['examples/production-db/cluster.yaml', 'examples/production-db/or'],
      ['examples/secure-pod/cluster.yaml', 'examples/secure-pod/allow-by-label'],
      ['examples/three-tier/cluster.yaml', 'examples/three-tier/tiers'],
      ['examples/three-tier/cluster.yaml', 'examples/three-tier/no-ports'],
      ['examples/cluster-tiers/cluster.yaml', 'examples/cluster-tiers/guardrails'],
      ['test/fixtures/online-boutique/manifests', 'test/fixtures/online-boutique/network-policies'],
    ]) {
      expect(run(...clean), clean.join(' ')).toEqual([]);
    }
  });
});
