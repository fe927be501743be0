// The policy checks (lint/checks/policy-*.ts): for each, a manifest that triggers it and one that
// must not, read through lintText so that the tests read like the manifests users write.
import { describe, expect, test } from 'vitest';
import { lintText } from '@netpol/core';

/** The findings of one check over `yaml`: [object, path, severity] and the messages. */
function run(id: string, yaml: string) {
  const r = lintText(yaml, { enableOnly: [id], file: 't.yaml' });
  if (!r.cluster) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.findings;
}
const where = (id: string, yaml: string) => run(id, yaml).map((f) => [f.object, f.path, f.severity]);

const ns = (name: string, labels = '') => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n${labels ? `  labels: {${labels}}\n` : ''}---\n`;
const pod = (namespace: string, name: string, labels: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${namespace}, labels: {${labels}}}\nspec: {containers: [{name: c, image: i}]}\nstatus: {phase: Running, podIP: 10.0.0.${name.length}}\n---\n`;
const deployment = (namespace: string, name: string, labels: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  selector: {matchLabels: {${labels}}}\n  template:\n    metadata: {labels: {${labels}}}\n    spec: {containers: [{name: c, image: i}]}\n---\n`;
const policy = (namespace: string | undefined, name: string, spec: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n${spec}\n---\n`;

describe('policy-selects-no-pods', () => {
  const base = ns('shop') + deployment('shop', 'web', 'app: web') + pod('shop', 'api-1', 'app: api, tier: backend');

  test('a podSelector with a typo in a namespace whose workloads are given: error at the label, with the value meant', () => {
    const yaml = base + policy('shop', 'web-ingress', '  podSelector: {matchLabels: {app: wbe}}\n  policyTypes: [Ingress]');
    const f = run('policy-selects-no-pods', yaml);
    expect(f.map((x) => [x.object, x.path, x.severity])).toEqual([['NetworkPolicy shop/web-ingress', 'spec.podSelector.matchLabels.app', 'error']]);
    expect(f[0]!.message).toContain('no pod has app=wbe; pods carry app=web');
    expect(f[0]!.fix).toBe('did you mean app: web?');
    expect(f[0]!.line).toBe(yaml.split('\n').findIndex((l) => l.includes('app: wbe')) + 1);
  });

  test('a label key no pod carries: the closest key', () => {
    const f = run('policy-selects-no-pods', base + policy('shop', 'api', '  podSelector: {matchLabels: {teir: backend}}'));
    expect(f.map((x) => x.fix)).toEqual(['did you mean tier: backend?']);
  });

  test('terms each matching some pod, never one pod', () => {
    const f = run('policy-selects-no-pods', base + policy('shop', 'api', '  podSelector: {matchLabels: {app: web, tier: backend}}'));
    expect(f.map((x) => [x.path, x.message.includes('no single pod satisfies all of app=web, tier=backend')])).toEqual([['spec.podSelector', true]]);
  });

  test('a policy written without metadata.namespace, -n default, whose selector picks pods of another namespace: a warning naming it', () => {
    expect(where('policy-selects-no-pods', base + policy(undefined, 'web-ingress', '  podSelector: {matchLabels: {app: web}}'))).toEqual([
      ['NetworkPolicy default/web-ingress', 'metadata.namespace', 'warning'],
    ]);
  });

  test('must not fire: a selector that matches a pod or a workload template; a namespace with nothing in the input; an input with no pod at all', () => {
    const ok = base + policy('shop', 'web', '  podSelector: {matchLabels: {app: web}}') + policy('shop', 'all', '  podSelector: {}');
    expect(where('policy-selects-no-pods', ok)).toEqual([]);
    // An explicit namespace without pods in the input: its pods may just not be given.
    expect(where('policy-selects-no-pods', base + policy('other', 'web', '  podSelector: {matchLabels: {app: web}}'))).toEqual([]);
    expect(where('policy-selects-no-pods', base + policy('other', 'x', '  podSelector: {matchLabels: {app: nothing}}'))).toEqual([]);
    // Policies alone: nothing to judge against.
    expect(where('policy-selects-no-pods', policy('shop', 'web', '  podSelector: {matchLabels: {app: wbe}}'))).toEqual([]);
  });

  test('Succeeded pods and hostNetwork pods are no endpoint: a policy selecting only them selects nothing', () => {
    const done = `apiVersion: v1\nkind: Pod\nmetadata: {name: job-1, namespace: shop, labels: {app: job}}\nspec: {containers: [{name: c, image: i}]}\nstatus: {phase: Succeeded}\n---\n`;
    expect(where('policy-selects-no-pods', base + done + policy('shop', 'job', '  podSelector: {matchLabels: {app: job}}'))).toEqual([
      ['NetworkPolicy shop/job', 'spec.podSelector.matchLabels.app', 'error'],
    ]);
    const host = `apiVersion: v1\nkind: Pod\nmetadata: {name: agent-1, namespace: shop, labels: {app: agent}}\nspec: {hostNetwork: true, nodeName: n1, containers: [{name: c, image: i}]}\nstatus: {phase: Running, podIP: 192.0.2.1}\n---\n`;
    expect(where('policy-selects-no-pods', base + host + policy('shop', 'agent', '  podSelector: {matchLabels: {app: agent}}'))).toEqual([
      ['NetworkPolicy shop/agent', 'spec.podSelector.matchLabels.app', 'error'],
    ]);
  });
});

describe('peer-matches-nothing', () => {
  const base = ns('shop') + ns('monitoring', 'team: ops') + pod('shop', 'web-1', 'app: web') + pod('monitoring', 'prom-1', 'app: prometheus');
  const from = (peer: string) => policy('shop', 'web', `  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from:\n    - ${peer}`);

  test('the classic: namespaceSelector name: monitoring, where the namespace carries kubernetes.io/metadata.name only (and team: ops)', () => {
    const f = run('peer-matches-nothing', base + from('namespaceSelector: {matchLabels: {name: monitoring}}'));
    expect(f.map((x) => [x.path, x.severity])).toEqual([['spec.ingress[0].from[0].namespaceSelector.matchLabels.name', 'warning']]);
    expect(f[0]!.message).toContain('namespace monitoring exists but has no label name=monitoring');
    expect(f[0]!.fix).toContain('matchLabels: {kubernetes.io/metadata.name: monitoring}');
  });

  test('the classic with a namespace only referred to (not in the input): it is assumed to carry only its name label', () => {
    const f = run(
      'peer-matches-nothing',
      pod('shop', 'web-1', 'app: web') + policy('shop', 'web', '  podSelector: {}\n  egress:\n  - to:\n    - namespaceSelector: {matchLabels: {name: shop}}'),
    );
    expect(
      f.map((x) => [x.path, x.fix.startsWith('select it by the label every namespace carries: matchLabels: {kubernetes.io/metadata.name: shop}')]),
    ).toEqual([['spec.egress[0].to[0].namespaceSelector.matchLabels.name', true]]);
  });

  test('a namespace label value typo, and a pod label typo inside the selected namespaces', () => {
    expect(run('peer-matches-nothing', base + from('namespaceSelector: {matchLabels: {team: opps}}')).map((x) => x.fix)).toEqual(['did you mean team: ops?']);
    const f = run('peer-matches-nothing', base + from('{namespaceSelector: {matchLabels: {team: ops}}, podSelector: {matchLabels: {app: prometeus}}}'));
    expect(f.map((x) => [x.path, x.fix])).toEqual([['spec.ingress[0].from[0].podSelector.matchLabels.app', 'did you mean app: prometheus?']]);
    // A podSelector alone looks in the policy's namespace: prometheus is not there.
    expect(where('peer-matches-nothing', base + from('podSelector: {matchLabels: {app: prometheus}}'))).toEqual([
      ['NetworkPolicy shop/web', 'spec.ingress[0].from[0].podSelector.matchLabels.app', 'warning'],
    ]);
  });

  test('must not fire: peers that match; pods of namespaces the input gives no pod of; ipBlocks; rules policyTypes ignores', () => {
    for (const peer of [
      'namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}',
      'namespaceSelector: {matchLabels: {team: ops}}',
      '{namespaceSelector: {}, podSelector: {matchLabels: {app: prometheus}}}',
      'podSelector: {matchLabels: {app: web}}',
      'ipBlock: {cidr: 192.0.2.0/24}',
      // kube-system is referred to only: nothing is known of its pods.
      '{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}',
    ])
      expect(where('peer-matches-nothing', base + from(peer)), peer).toEqual([]);
    const ignored = policy('shop', 'web', '  podSelector: {}\n  policyTypes: [Ingress]\n  egress:\n  - to:\n    - namespaceSelector: {matchLabels: {name: x}}');
    expect(where('peer-matches-nothing', base + ignored)).toEqual([]);
  });
});

describe('ports-without-peers', () => {
  test('an ingress rule with ports and no from, an egress DNS rule with no to (the fix names kube-dns)', () => {
    const yaml =
      policy('shop', 'web', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - ports: [{port: 8080}]') +
      policy(
        'shop',
        'dns',
        '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n    to: []',
      );
    const f = run('ports-without-peers', yaml);
    expect(f.map((x) => [x.object, x.path, x.severity])).toEqual([
      ['NetworkPolicy shop/web', 'spec.ingress[0].ports', 'warning'],
      ['NetworkPolicy shop/dns', 'spec.egress[0].ports', 'warning'],
    ]);
    expect(f[0]!.message).toBe('ingress rule 0 lists ports but no from: any source, in the cluster or outside it, may reach the selected pods on TCP 8080');
    expect(f[1]!.fix).toContain('k8s-app: kube-dns');
  });

  test('must not fire: ports with peers, peers without ports, a rule with neither, ignored rules', () => {
    const yaml =
      policy(
        'shop',
        'a',
        '  podSelector: {}\n  ingress:\n  - from: [{podSelector: {}}]\n    ports: [{port: 80}]\n  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n  - {}',
      ) + policy('shop', 'b', '  podSelector: {}\n  policyTypes: [Ingress]\n  egress:\n  - ports: [{port: 53}]');
    expect(where('ports-without-peers', yaml)).toEqual([]);
  });
});

describe('allow-all-pods-policy', () => {
  test('podSelector: {} with a rule of no peers and no ports, and one to every namespace or every address with all ports', () => {
    const yaml =
      policy('shop', 'open-ingress', '  podSelector: {}\n  ingress:\n  - {}') +
      policy(
        'shop',
        'egress-everywhere',
        '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {matchLabels: {app: x}}\n    - namespaceSelector: {}',
      ) +
      policy('shop', 'egress-internet', '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]');
    expect(where('allow-all-pods-policy', yaml)).toEqual([
      ['NetworkPolicy shop/open-ingress', 'spec.ingress[0]', 'warning'],
      ['NetworkPolicy shop/egress-everywhere', 'spec.egress[0].to[1]', 'warning'],
      ['NetworkPolicy shop/egress-internet', 'spec.egress[0].to[0]', 'warning'],
    ]);
  });

  test('must not fire: a pod-selecting policy allowing all; namespace-wide rules limited to ports, to some namespaces, or within the namespace; a default deny', () => {
    const yaml =
      policy('shop', 'frontend', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - {}') +
      policy(
        'shop',
        'dns',
        '  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{namespaceSelector: {}}]\n    ports: [{port: 53, protocol: UDP}]',
      ) +
      policy('shop', 'same-ns', '  podSelector: {}\n  ingress:\n  - from: [{podSelector: {}}]') +
      policy('shop', 'monitoring', '  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {team: ops}}}]') +
      policy('shop', 'pods-everywhere', '  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: prom}}}]') +
      policy('shop', 'deny', '  podSelector: {}\n  policyTypes: [Ingress, Egress]') +
      policy('shop', 'ignored', '  podSelector: {}\n  policyTypes: [Ingress]\n  egress:\n  - {}');
    expect(where('allow-all-pods-policy', yaml)).toEqual([]);
  });
});

describe('policy-types-missing-direction', () => {
  test('egress rules under policyTypes: [Ingress], ingress rules under [Egress]: error at policyTypes, the fix lists both', () => {
    const yaml =
      policy('shop', 'a', '  podSelector: {}\n  policyTypes: [Ingress]\n  egress:\n  - to: [{podSelector: {}}]') +
      policy('shop', 'b', '  podSelector: {}\n  policyTypes:\n  - Egress\n  ingress:\n  - from: [{podSelector: {}}]\n  egress: []');
    const f = run('policy-types-missing-direction', yaml);
    expect(f.map((x) => [x.object, x.path, x.severity, x.fix])).toEqual([
      ['NetworkPolicy shop/a', 'spec.policyTypes', 'error', 'policyTypes: [Ingress, Egress] (or remove the egress rules if they are not meant)'],
      ['NetworkPolicy shop/b', 'spec.policyTypes', 'error', 'policyTypes: [Ingress, Egress] (or remove the ingress rules if they are not meant)'],
    ]);
  });

  test('must not fire: policyTypes absent (defaulted from the rules), both listed, or an empty list of rules', () => {
    const yaml =
      policy('shop', 'a', '  podSelector: {}\n  egress:\n  - to: [{podSelector: {}}]') +
      policy('shop', 'b', '  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  egress:\n  - {}') +
      policy('shop', 'c', '  podSelector: {}\n  policyTypes: [Ingress]\n  egress: []');
    expect(where('policy-types-missing-direction', yaml)).toEqual([]);
  });
});

describe('meaningless-policy-name', () => {
  test('generic names: info at metadata.name', () => {
    const names = ['my-network-policy', 'policy1', 'test', 'networkpolicy', 'np-1', 'example', 'netpol-v2', 'new.policy', 'x'];
    const yaml = names.map((n) => policy('shop', n, '  podSelector: {}')).join('');
    expect(where('meaningless-policy-name', yaml)).toEqual(names.map((n) => [`NetworkPolicy shop/${n}`, 'metadata.name', 'info']));
  });

  test('must not fire: names that say what the policy does', () => {
    const names = ['default-deny-all', 'allow-frontend-to-api', 'web', 'deny-egress', 'test-runner-egress', 'policy-for-db'];
    expect(where('meaningless-policy-name', names.map((n) => policy('shop', n, '  podSelector: {}')).join(''))).toEqual([]);
  });
});

describe('peer-matches-nothing when the input holds only part of the cluster', () => {
  const web = pod('shop', 'web-1', 'app: web');
  const to = (peer: string) => policy('shop', 'web', `  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ${peer}`);

  test('a namespace named by kubernetes.io/metadata.name one typo from a namespace of the input: fires with the name meant', () => {
    const f = run('peer-matches-nothing', ns('shop') + ns('payments') + web + to('namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: paymnts}}'));
    expect(f.map((x) => x.fix)).toEqual(['did you mean kubernetes.io/metadata.name: payments?']);
  });

  test('must not fire: a namespace named that the input does not hold; other labels when no Namespace object is given', () => {
    expect(where('peer-matches-nothing', ns('shop') + web + to('namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}'))).toEqual([]);
    expect(where('peer-matches-nothing', web + to('namespaceSelector: {matchLabels: {team: ops}}'))).toEqual([]);
    // ...but with the namespaces declared, their labels are known: no namespace has team=ops.
    expect(where('peer-matches-nothing', ns('shop') + web + to('namespaceSelector: {matchLabels: {team: ops}}'))).toEqual([
      ['NetworkPolicy shop/web', 'spec.egress[0].to[0].namespaceSelector.matchLabels.team', 'warning'],
    ]);
  });
});
