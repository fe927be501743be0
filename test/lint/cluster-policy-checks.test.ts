// The cluster-policy lint checks (lint/checks/cluster-*.ts): for each, a manifest that triggers
// it (id, object, field path and line as written) and manifests that must not.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { lintFiles, lintText, type LintFinding } from '@netpol/core';
import { selectorWithin } from '../../packages/core/src/lint/checks/cluster-coverage.js';

const CLUSTER_IDS = [
  'cluster-subject-matches-nothing',
  'cluster-peer-matches-nothing',
  'cluster-networks-everything',
  'equal-priority-overlap',
  'pass-reaches-nothing',
  'deny-shadowed-by-accept',
  'cluster-rule-shadowed',
];

/** The findings of the cluster-policy checks only; fails the test when the input does not load. */
function lint(yaml: string, ids: readonly string[] = CLUSTER_IDS): readonly LintFinding[] {
  const r = lintText(yaml, { file: 'test.yaml', enableOnly: [...ids] });
  if (!r.cluster) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.findings;
}

const only = (fs: readonly LintFinding[], id: string) => fs.filter((f) => f.id === id);

const ns = (name: string, labels = ''): string => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}${labels === '' ? '' : `\n  labels: {${labels}}`}
`;

const pod = (namespace: string, name: string, ip: string, labels = ''): string => `apiVersion: v1
kind: Pod
metadata:
  namespace: ${namespace}
  name: ${name}
  labels: {${labels}}
spec:
  containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]
status:
  phase: Running
  podIP: ${ip}
`;

/** A ClusterNetworkPolicy; `body` is the spec after tier, priority and subject, indented by 2. */
const cnp = (
  name: string,
  tier: 'Admin' | 'Baseline',
  priority: number,
  body: string,
  subject = 'namespaces: {}',
): string => `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: ${name}
spec:
  tier: ${tier}
  priority: ${priority}
  subject:
    ${subject}
${body}`;

const docs = (...parts: string[]): string => parts.join('---\n');

/** Two namespaces with a pod each: prod/web (10.1.0.5), prod/db (10.1.0.6), dev/app (10.2.0.7). */
const PODS = docs(
  ns('prod'),
  ns('dev'),
  pod('prod', 'web', '10.1.0.5', 'app: web'),
  pod('prod', 'db', '10.1.0.6', 'app: db'),
  pod('dev', 'app', '10.2.0.7', 'app: app'),
);

/** The 1-based line of the first line of `text` containing `needle` (after `from`). */
function lineOf(text: string, needle: string, from = ''): number {
  const start = from === '' ? 0 : text.indexOf(from);
  return text.slice(0, text.indexOf(needle, start)).split('\n').length;
}

describe('cluster-networks-everything', () => {
  const denyAll = cnp(
    'deny-internet',
    'Admin',
    10,
    `  egress:
  - action: Deny
    to:
    - networks: ["0.0.0.0/0"]
`,
  );

  test('0.0.0.0/0 in an egress peer: at the networks entry, as written', () => {
    const text = docs(PODS, denyAll);
    const [f, ...rest] = only(lint(text), 'cluster-networks-everything');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', object: 'ClusterNetworkPolicy deny-internet', path: 'spec.egress[0].to[0].networks[0]' });
    expect(f!.line).toBe(lineOf(text, '0.0.0.0/0'));
    expect(f!.message).toMatch(/^0\.0\.0\.0\/0 in a Deny rule matches every address, so every pod too/);
    expect(f!.fix).toMatch(/namespaces: \{\}/);
  });

  test('0.0.0.0/0 fires without any pod, too (it catches pod traffic in every cluster)', () => {
    expect(only(lint(denyAll), 'cluster-networks-everything')).toHaveLength(1);
  });

  test('a block holding a pod address names the pod; one holding a Node address the node', () => {
    const node = 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n';
    const text = docs(
      PODS,
      node,
      cnp(
        'blocks',
        'Admin',
        10,
        `  egress:
  - action: Accept
    to:
    - networks: ["203.0.113.0/24", "10.1.0.0/16"]
    - networks: ["192.168.0.0/24"]
`,
      ),
    );
    const fs = only(lint(text), 'cluster-networks-everything');
    expect(fs.map((f) => f.path)).toEqual(['spec.egress[0].to[0].networks[1]', 'spec.egress[0].to[1].networks[0]']);
    expect(fs[0]!.message).toContain('pod prod/web (10.1.0.5)');
    expect(fs[0]!.severity).toBe('warning');
    expect(fs[1]!.message).toContain('node n1 (192.168.0.10)');
    expect(fs[1]).toMatchObject({ severity: 'info', fix: expect.stringContaining('nodes peer') });
  });

  test('not: an outside block, or 0.0.0.0/0 after a rule that takes all pod traffic first', () => {
    const text = docs(
      PODS,
      cnp(
        'outside',
        'Admin',
        10,
        `  egress:
  - action: Deny
    to:
    - networks: ["203.0.113.0/24"]
`,
      ),
      cnp(
        'pods-first',
        'Admin',
        20,
        `  egress:
  - action: Pass
    to:
    - namespaces: {}
  - action: Deny
    to:
    - networks: ["0.0.0.0/0", "::/0"]
`,
      ),
    );
    expect(only(lint(text), 'cluster-networks-everything')).toEqual([]);
  });
});

describe('equal-priority-overlap', () => {
  const pair = (bAction: string, bSubject = 'namespaces: {}'): string =>
    docs(
      cnp(
        'a',
        'Admin',
        10,
        `  ingress:
  - action: Deny
    from:
    - namespaces: {}
`,
      ),
      cnp(
        'b',
        'Admin',
        10,
        `  ingress:
  - action: ${bAction}
    from:
    - pods:
        podSelector: {matchLabels: {app: web}}
`,
        bSubject,
      ),
    );

  test('same tier and priority, a common subject and rules of different actions on one flow: at the later policy spec.priority', () => {
    const text = docs(PODS, pair('Accept'));
    const [f, ...rest] = only(lint(text), 'equal-priority-overlap');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', object: 'ClusterNetworkPolicy b', path: 'spec.priority' });
    expect(f!.line).toBe(lineOf(text, 'priority: 10', 'name: b'));
    expect(f!.message).toMatch(
      /cnp\/a and cnp\/b are both Admin-tier at priority 10 and both select pod prod\/\w+: for its ingress .* from prod\/web, cnp\/a spec.ingress\[0\] answers Deny and cnp\/b spec.ingress\[0\] Accept/,
    );
    expect(f!.fix).toBe('give them distinct priorities, e.g. spec.priority: 11 on cnp/b (the order netpol uses today)');
  });

  test('with ports: the flow named is one both rules match', () => {
    const withPorts = pair('Accept')
      .replace('    - namespaces: {}\n', '    - namespaces: {}\n    protocols:\n    - tcp: {destinationPort: {range: {start: 80, end: 90}}}\n')
      .replace('app: web}}\n', 'app: web}}\n    protocols:\n    - tcp: {destinationPort: {range: {start: 85, end: 100}}}\n');
    const [f] = only(lint(docs(PODS, withPorts)), 'equal-priority-overlap');
    expect(f?.message).toMatch(/for its ingress TCP (85|90) from prod\/web, cnp\/a spec.ingress\[0\] answers Deny and cnp\/b spec.ingress\[0\] Accept/);
    const apart = withPorts.replace('start: 85, end: 100', 'start: 91, end: 100');
    expect(only(lint(docs(PODS, apart)), 'equal-priority-overlap')).toEqual([]);
  });

  test('not: the same action (the loader still warns priority-tie: it names every overlapping pair)', () => {
    const text = docs(PODS, pair('Deny'));
    expect(only(lint(text), 'equal-priority-overlap')).toEqual([]);
    expect(lintText(text, { file: 'test.yaml' }).issues.map((i) => i.code)).toContain('priority-tie');
  });

  test('not: subjects with no common pod', () => {
    const text = docs(PODS, pair('Accept', 'pods: {podSelector: {matchLabels: {app: nothing}}}'));
    expect(only(lint(text), 'equal-priority-overlap')).toEqual([]);
  });

  test('without pods: proved from nested subjects and a peer inside the other rule’s', () => {
    const [f] = only(lint(pair('Accept')), 'equal-priority-overlap');
    expect(f?.message).toContain('their subjects nest and cnp/a spec.ingress[0] (Deny) and cnp/b spec.ingress[0] (Accept) match common ingress traffic');
    expect(only(lint(pair('Deny')), 'equal-priority-overlap')).toEqual([]);
    expect(only(lint(pair('Accept', 'namespaces: {matchLabels: {env: x}}')), 'equal-priority-overlap')).toHaveLength(1);
  });

  test('not: different priorities', () => {
    const text = docs(PODS, pair('Accept').replace(/priority: 10(?![\s\S]*priority: 10)/, 'priority: 11'));
    expect(only(lint(text), 'equal-priority-overlap')).toEqual([]);
  });
});

describe('pass-reaches-nothing', () => {
  const pass = cnp(
    'pass-egress',
    'Admin',
    10,
    `  egress:
  - action: Pass
    to:
    - namespaces: {}
`,
    'namespaces: {matchLabels: {kubernetes.io/metadata.name: prod}}',
  );

  test('no NetworkPolicy isolates the subjects for egress and no Baseline rule matches: at the rule action', () => {
    const text = docs(PODS, pass);
    const [f, ...rest] = only(lint(text), 'pass-reaches-nothing');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', object: 'ClusterNetworkPolicy pass-egress', path: 'spec.egress[0].action' });
    expect(f!.line).toBe(lineOf(text, 'action: Pass'));
    expect(f!.message).toMatch(/^this Pass hands egress of prod\/\w+ \(and 1 more\) to the lower tiers, .*as if the rule said Accept$/);
  });

  test('not: a NetworkPolicy isolates the subjects for egress', () => {
    const np = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: prod, name: egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{}]
`;
    expect(only(lint(docs(PODS, pass, np)), 'pass-reaches-nothing')).toEqual([]);
  });

  test('not: a Baseline rule decides what the Pass hands down', () => {
    const baseline = cnp(
      'baseline',
      'Baseline',
      10,
      `  egress:
  - action: Deny
    to:
    - pods:
        podSelector: {matchLabels: {app: app}}
`,
    );
    expect(only(lint(docs(PODS, pass, baseline)), 'pass-reaches-nothing')).toEqual([]);
  });

  test('still fires when the Baseline rules match none of the passed traffic (another port)', () => {
    const baseline = cnp(
      'baseline',
      'Baseline',
      10,
      `  egress:
  - action: Deny
    to:
    - namespaces: {}
    protocols:
    - tcp: {destinationPort: {number: 443}}
`,
    );
    const narrowPass = pass.replace('    - namespaces: {}\n', '    - namespaces: {}\n    protocols:\n    - tcp: {destinationPort: {number: 80}}\n');
    expect(only(lint(docs(PODS, narrowPass, baseline)), 'pass-reaches-nothing')).toHaveLength(1);
    expect(only(lint(docs(PODS, pass, baseline)), 'pass-reaches-nothing')).toEqual([]);
  });

  test('not: without pods or workloads (nothing to evaluate)', () => {
    expect(only(lint(pass), 'pass-reaches-nothing')).toEqual([]);
  });
});

describe('deny-shadowed-by-accept and cluster-rule-shadowed', () => {
  const rules = (first: string, second: string): string =>
    cnp(
      'p',
      'Admin',
      10,
      `  ingress:
${first}${second}`,
    );
  const acceptAll = '  - action: Accept\n    from:\n    - namespaces: {}\n';
  const denyDb = '  - action: Deny\n    from:\n    - pods:\n        podSelector: {matchLabels: {app: db}}\n';

  test('a Deny after an Accept of every namespace: at the Deny rule action', () => {
    const text = rules(acceptAll, denyDb);
    const fs = lint(text);
    const [f, ...rest] = only(fs, 'deny-shadowed-by-accept');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', object: 'ClusterNetworkPolicy p', path: 'spec.ingress[1].action' });
    expect(f!.line).toBe(lineOf(text, 'action: Deny'));
    expect(f!.message).toBe('this Deny rule never takes effect: every ingress flow it matches is accepted first by cnp/p spec.ingress[0] (Accept)');
    expect(f!.fix).toBe('move it before spec.ingress[0], or narrow the Accept so it leaves out what this rule should stop');
    expect(only(fs, 'cluster-rule-shadowed')).toEqual([]);
  });

  test('across policies: a lower priority number whose subject contains this one’s', () => {
    const text = docs(
      cnp('allow-all', 'Admin', 5, `  ingress:\n${acceptAll}`),
      cnp('deny-db', 'Admin', 10, `  ingress:\n${denyDb}`, 'namespaces: {matchLabels: {team: x}}'),
    );
    const [f] = only(lint(text), 'deny-shadowed-by-accept');
    expect(f).toMatchObject({ object: 'ClusterNetworkPolicy deny-db', path: 'spec.ingress[0].action' });
    expect(f!.fix).toMatch(/^give cnp\/deny-db a lower spec.priority than cnp\/allow-all/);
  });

  test('a Baseline Deny behind an Admin Accept, unless an Admin Pass could hand traffic down', () => {
    const admin = cnp('admin', 'Admin', 5, `  ingress:\n${acceptAll}`);
    const base = cnp('base', 'Baseline', 5, `  ingress:\n${denyDb}`);
    expect(only(lint(docs(admin, base)), 'deny-shadowed-by-accept').map((f) => f.object)).toEqual(['ClusterNetworkPolicy base']);
    const passing = cnp('passing', 'Admin', 1, '  ingress:\n  - action: Pass\n    from:\n    - namespaces: {matchLabels: {team: other}}\n');
    expect(only(lint(docs(admin, base, passing)), 'deny-shadowed-by-accept')).toEqual([]);
  });

  test('not: the Accept is narrower, has fewer ports, comes later, or its policy selects fewer pods', () => {
    const acceptDbPort = '  - action: Accept\n    from:\n    - namespaces: {}\n    protocols:\n    - tcp: {destinationPort: {number: 80}}\n';
    const acceptWeb = '  - action: Accept\n    from:\n    - pods:\n        podSelector: {matchLabels: {app: web}}\n';
    for (const text of [
      rules(acceptWeb, denyDb),
      rules(acceptDbPort, denyDb),
      rules(denyDb, acceptAll),
      docs(
        cnp('allow-some', 'Admin', 5, `  ingress:\n${acceptAll}`, 'namespaces: {matchLabels: {team: x}}'),
        cnp('deny-db', 'Admin', 10, `  ingress:\n${denyDb}`),
      ),
      // equal priorities: implementation-defined order, not shadowing
      docs(cnp('a', 'Admin', 10, `  ingress:\n${acceptAll}`), cnp('b', 'Admin', 10, `  ingress:\n${denyDb}`)),
    ]) {
      expect(only(lint(text), 'deny-shadowed-by-accept'), text).toEqual([]);
    }
  });

  test('ports: a Deny of TCP 80-90 behind an Accept of TCP 1-100; not behind TCP 85-100', () => {
    const accept = (range: string) => `  - action: Accept\n    from:\n    - namespaces: {}\n    protocols:\n    - tcp: {destinationPort: {range: ${range}}}\n`;
    const deny = '  - action: Deny\n    from:\n    - namespaces: {}\n    protocols:\n    - tcp: {destinationPort: {range: {start: 80, end: 90}}}\n';
    expect(only(lint(rules(accept('{start: 1, end: 100}'), deny)), 'deny-shadowed-by-accept')).toHaveLength(1);
    expect(only(lint(rules(accept('{start: 85, end: 100}'), deny)), 'deny-shadowed-by-accept')).toEqual([]);
  });

  test('networks: a Deny of 10.1.0.0/16 behind an Accept of 10.0.0.0/8', () => {
    const text = cnp(
      'nets',
      'Admin',
      10,
      `  egress:
  - action: Accept
    to:
    - networks: ["10.0.0.0/8"]
  - action: Deny
    to:
    - networks: ["10.1.0.0/16"]
`,
    );
    expect(only(lint(text), 'deny-shadowed-by-accept').map((f) => f.path)).toEqual(['spec.egress[1].action']);
  });

  test('cluster-rule-shadowed: an Accept behind a Deny (warning), a Deny behind a Deny (info)', () => {
    const denyAll = '  - action: Deny\n    from:\n    - namespaces: {}\n';
    const acceptDb = denyDb.replace('Deny', 'Accept');
    const [w] = only(lint(rules(denyAll, acceptDb)), 'cluster-rule-shadowed');
    expect(w).toMatchObject({ severity: 'warning', path: 'spec.ingress[1].action' });
    expect(w!.message).toBe('this Accept rule never takes effect: every ingress flow it matches is taken first by cnp/p spec.ingress[0] (Deny)');
    const [i] = only(lint(rules(denyAll, denyDb)), 'cluster-rule-shadowed');
    expect(i).toMatchObject({ severity: 'info', path: 'spec.ingress[1].action', fix: 'remove the rule' });
    expect(i!.message).toMatch(/^this Deny rule is redundant: every ingress flow it matches is denied first by/);
    expect(only(lint(rules(acceptDb, denyAll)), 'cluster-rule-shadowed')).toEqual([]);
  });
});

describe('cluster-subject-matches-nothing and cluster-peer-matches-nothing', () => {
  const byName = cnp(
    'by-name',
    'Admin',
    10,
    `  ingress:
  - action: Deny
    from:
    - namespaces: {matchLabels: {name: dev}}
`,
    'namespaces: {matchLabels: {name: prod}}',
  );

  test('`name: prod` when namespaces carry only kubernetes.io/metadata.name: the subject and the peer, with the probable fix', () => {
    const text = docs(PODS, byName);
    const [s] = only(lint(text), 'cluster-subject-matches-nothing');
    expect(s).toMatchObject({ severity: 'warning', object: 'ClusterNetworkPolicy by-name', path: 'spec.subject.namespaces.matchLabels.name' });
    expect(s!.line).toBe(lineOf(text, 'namespaces: {matchLabels: {name: prod}}'));
    expect(s!.message).toContain('so the policy applies to nothing: namespace prod exists but has no label name=prod');
    expect(s!.fix).toMatch(/^select it by the label every namespace carries: matchLabels: \{kubernetes.io\/metadata.name: prod\}/);
    const [p] = only(lint(text), 'cluster-peer-matches-nothing');
    expect(p).toMatchObject({ path: 'spec.ingress[0].from[0].namespaces.matchLabels.name' });
    expect(p!.message).toContain('namespace dev exists but has no label name=dev');
  });

  test('not: the namespaces carry the label; and never without pods or workloads', () => {
    const labelled = docs(ns('prod', 'name: prod'), ns('dev', 'name: dev'), pod('prod', 'web', '10.1.0.5'), pod('dev', 'app', '10.2.0.7'), byName);
    expect(lint(labelled).filter((f) => f.id.endsWith('matches-nothing'))).toEqual([]);
    expect(lint(byName).filter((f) => f.id.endsWith('matches-nothing'))).toEqual([]);
  });

  test('a pods peer with a typo in its podSelector: at the label, with the value meant', () => {
    const typo = cnp('typo', 'Admin', 10, '  ingress:\n  - action: Accept\n    from:\n    - pods:\n        podSelector: {matchLabels: {app: wev}}\n');
    const [p] = only(lint(docs(PODS, typo)), 'cluster-peer-matches-nothing');
    expect(p).toMatchObject({ path: 'spec.ingress[0].from[0].pods.podSelector.matchLabels.app', fix: 'did you mean app: web?' });
  });

  test('a nodes peer matching none of the Nodes', () => {
    const node = 'apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {role: worker}}\nstatus: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n';
    const policy = (role: string) => cnp('to-nodes', 'Admin', 10, `  egress:\n  - action: Deny\n    to:\n    - nodes: {matchLabels: {role: ${role}}}\n`);
    expect(only(lint(docs(node, policy('control-plane'))), 'cluster-peer-matches-nothing').map((f) => f.path)).toEqual(['spec.egress[0].to[0].nodes']);
    expect(only(lint(docs(node, policy('worker'))), 'cluster-peer-matches-nothing')).toEqual([]);
  });
});

describe('the broken manifests (test/fixtures/lint/broken/cluster-*.yaml)', () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/lint/broken');
  const files = readdirSync(dir).filter((f) => f.startsWith('cluster-') && f.endsWith('.yaml'));

  test('there is one for each cluster-policy check', () => {
    const named = files.flatMap((f) => expectedIds(join(dir, f)));
    expect([...new Set(named)].sort()).toEqual([...CLUSTER_IDS].sort());
  });

  test.each(files)('%s: exactly the checks its first line names fire', (f) => {
    const r = lintFiles([join(dir, f)], { enableOnly: CLUSTER_IDS });
    expect(r.cluster, r.issues.map((i) => i.message).join('\n')).toBeDefined();
    expect([...new Set(r.findings.map((x) => x.id))].sort()).toEqual(expectedIds(join(dir, f)).sort());
  });
});

/** The ids on a broken manifest's first line: `# lint: id id ...`. */
function expectedIds(path: string): string[] {
  const first = readFileSync(path, 'utf8').split('\n', 1)[0]!;
  const m = /^# lint: (.+)$/.exec(first);
  if (!m) throw new Error(`${path}: the first line must be "# lint: <check ids>"`);
  return m[1]!.trim().split(/\s+/);
}

describe('selector containment (what the shadowing and overlap proofs rest on)', () => {
  const s = (matchLabels: Record<string, string>, ...exprs: [string, 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', string[]?][]) => ({
    matchLabels,
    matchExpressions: exprs.map(([key, operator, values]) => ({ key, operator, values: values ?? [] })),
  });
  test.each([
    ['anything is inside {}', s({ a: '1' }), s({}), true],
    ['{} is not inside a: 1', s({}), s({ a: '1' }), false],
    ['a: 1, b: 2 inside a: 1', s({ a: '1', b: '2' }), s({ a: '1' }), true],
    ['a: 1 inside a In (1, 2)', s({ a: '1' }), s({}, ['a', 'In', ['1', '2']]), true],
    ['a In (1, 3) not inside a In (1, 2)', s({}, ['a', 'In', ['1', '3']]), s({}, ['a', 'In', ['1', '2']]), false],
    ['a: 1 inside a Exists', s({ a: '1' }), s({}, ['a', 'Exists']), true],
    ['a: 3 inside a NotIn (1, 2)', s({ a: '3' }), s({}, ['a', 'NotIn', ['1', '2']]), true],
    ['a DoesNotExist inside a NotIn (1)', s({}, ['a', 'DoesNotExist']), s({}, ['a', 'NotIn', ['1']]), true],
    ['a NotIn (1, 2) inside a NotIn (1)', s({}, ['a', 'NotIn', ['1', '2']]), s({}, ['a', 'NotIn', ['1']]), true],
    ['a NotIn (1) not inside a NotIn (1, 2)', s({}, ['a', 'NotIn', ['1']]), s({}, ['a', 'NotIn', ['1', '2']]), false],
    ['b: 1 not inside a DoesNotExist', s({ b: '1' }), s({}, ['a', 'DoesNotExist']), false],
  ] as const)('%s', (_, inner, outer, expected) => {
    expect(selectorWithin(inner, outer)).toBe(expected);
  });
});
