// §2.3 peer matching table, §1.4 combinations, §2.2 namespaces by kubernetes.io/metadata.name.
import { expect, test } from 'vitest';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, EXPLAINING, type Engine, node, np, ns, pod } from './fixtures.js';

// Subject: app/db. Sources in every interesting place.
const SUBJECT = '10.1.0.1';
const sources = {
  'app/web': '10.1.0.2', // role=web
  'app/job': '10.1.0.3', // role=job
  'other/web': '10.2.0.2', // role=web, namespace team=b
  'other/api': '10.2.0.3', // role=api, namespace team=b
  'third/web': '10.3.0.2', // role=web, namespace without labels
  'remote-node': '192.168.0.2',
  external: '203.0.113.9',
} as const;
type Source = keyof typeof sources;
const ALL = Object.keys(sources) as Source[];

const base = [
  ns('app', { team: 'a' }),
  ns('other', { team: 'b' }),
  ns('third'),
  node('n1', '192.168.0.1'),
  node('n2', '192.168.0.2'),
  pod('app', 'db', SUBJECT, { labels: { role: 'db' }, node: 'n1' }),
  pod('app', 'web', sources['app/web'], { labels: { role: 'web' }, node: 'n1' }),
  pod('app', 'job', sources['app/job'], { labels: { role: 'job' }, node: 'n2' }),
  pod('other', 'web', sources['other/web'], { labels: { role: 'web' }, node: 'n2' }),
  pod('other', 'api', sources['other/api'], { labels: { role: 'api' }, node: 'n2' }),
  pod('third', 'web', sources['third/web'], { labels: { role: 'web' }, node: 'n2' }),
];

/** The sources an ingress rule (YAML of the rule list) admits to app/db. */
function admitted(engine: Engine, rules: string): Source[] {
  const ev = engine.build([
    ...base,
    np(
      'app',
      'p',
      `
    podSelector: {matchLabels: {role: db}}
    policyTypes: [Ingress]
    ingress:
    ${rules.trim().split('\n').join('\n    ')}
  `,
    ),
  ]);
  return ALL.filter((s) => ev.verdict(flow(sources[s], SUBJECT, 'TCP', 80)).allowed);
}

describeEach(ENGINES, 'peer table §2.3 (ingress, source side)', (engine) => {
  test.each<[string, string, Source[]]>([
    ['from absent: anything', '- ports: [{port: 80}]', ALL],
    ['from []: anything', '- from: []', ALL],
    ['rule {}: anything', '- {}', ALL],
    ['podSelector {}: every pod of the policy namespace', '- from: [{podSelector: {}}]', ['app/web', 'app/job']],
    ['podSelector S: matching pods of the policy namespace only', '- from: [{podSelector: {matchLabels: {role: web}}}]', ['app/web']],
    [
      'namespaceSelector {}: every pod everywhere, no node, no external',
      '- from: [{namespaceSelector: {}}]',
      ['app/web', 'app/job', 'other/web', 'other/api', 'third/web'],
    ],
    ['namespaceSelector N: every pod of matching namespaces', '- from: [{namespaceSelector: {matchLabels: {team: b}}}]', ['other/web', 'other/api']],
    [
      'namespaceSelector N + podSelector S in one peer: AND',
      '- from: [{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {role: web}}}]',
      ['other/web'],
    ],
    [
      'namespaceSelector {} + podSelector S: S in every namespace',
      '- from: [{namespaceSelector: {}, podSelector: {matchLabels: {role: web}}}]',
      ['app/web', 'other/web', 'third/web'],
    ],
    [
      'namespaceSelector N and podSelector S as two peers: OR',
      '- from: [{namespaceSelector: {matchLabels: {team: b}}}, {podSelector: {matchLabels: {role: web}}}]',
      ['app/web', 'other/web', 'other/api'],
    ],
    ['ipBlock: any IP in cidr, pods included', '- from: [{ipBlock: {cidr: 10.2.0.0/16}}]', ['other/web', 'other/api']],
    ['ipBlock with except', '- from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.2.0.0/16, 10.1.0.3/32]}}]', ['app/web', 'third/web']],
    ['ipBlock matches node and external IPs', '- from: [{ipBlock: {cidr: 192.168.0.0/16}}, {ipBlock: {cidr: 203.0.113.0/24}}]', ['remote-node', 'external']],
    ['ipBlock 0.0.0.0/0: every IPv4 source', '- from: [{ipBlock: {cidr: 0.0.0.0/0}}]', ALL],
  ])('%s', (_name, rules, expected) => {
    expect(admitted(engine, rules)).toEqual(expected);
  });

  test('the YAML trap: one list item with both keys is AND, two items are OR', () => {
    const and = admitted(
      engine,
      `
- from:
  - namespaceSelector: {matchLabels: {team: b}}
    podSelector: {matchLabels: {role: api}}
`,
    );
    const or = admitted(
      engine,
      `
- from:
  - namespaceSelector: {matchLabels: {team: b}}
  - podSelector: {matchLabels: {role: api}}
`,
    );
    expect(and).toEqual(['other/api']);
    expect(or).toEqual(['other/web', 'other/api']);
  });
});

describeEach(EXPLAINING, 'peer table §2.3: explanations', (engine) => {
  test('explain gives the index of the first matching peer', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: db}}
      ingress:
      - from:
        - podSelector: {matchLabels: {role: job}}
        - namespaceSelector: {matchLabels: {team: b}}
        - ipBlock: {cidr: 10.0.0.0/8}
    `,
      ),
    ]);
    const e = ev.explain(flow(sources['other/api'], SUBJECT, 'TCP', 1));
    expect(e.ingressDetail.allowedBy).toEqual([{ policy: 'app/p', direction: 'ingress', ruleIndex: 0, peerIndex: 1, portIndex: null }]);
    const e2 = ev.explain(flow(sources['third/web'], SUBJECT, 'TCP', 1));
    expect(e2.ingressDetail.allowedBy).toEqual([{ policy: 'app/p', direction: 'ingress', ruleIndex: 0, peerIndex: 2, portIndex: null }]);
    const e3 = ev.explain(flow(sources.external, SUBJECT, 'TCP', 1));
    expect(e3.ingressDetail.rejected).toMatchObject([{ policy: 'app/p', ruleIndex: 0, peerMatched: false, portMatched: true }]);
  });
});

describeEach(ENGINES, 'peer table §2.3 (egress, destination side)', (engine) => {
  test.each<[string, string, Source[]]>([
    ['to absent: anything', '- ports: [{port: 80}]', ALL],
    ['to []: anything', '- to: []', ALL],
    ['podSelector {}: every pod of the policy namespace', '- to: [{podSelector: {}}]', ['app/web', 'app/job']],
    ['podSelector S: scoped to the policy namespace', '- to: [{podSelector: {matchLabels: {role: web}}}]', ['app/web']],
    ['namespaceSelector {}: all pods', '- to: [{namespaceSelector: {}}]', ['app/web', 'app/job', 'other/web', 'other/api', 'third/web']],
    ['namespaceSelector N', '- to: [{namespaceSelector: {matchLabels: {team: a}}}]', ['app/web', 'app/job']],
    ['both in one peer: AND', '- to: [{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {role: api}}}]', ['other/api']],
    ['ipBlock with except', '- to: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.8/29]}}, {ipBlock: {cidr: 192.168.0.2/32}}]', ['remote-node']],
  ])('%s', (_name, rules, expected) => {
    // Flows use TCP/80 so that the ports-only row matches.
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: db}}
      policyTypes: [Egress]
      egress:
      ${rules}
    `,
      ),
    ]);
    expect(ALL.filter((s) => ev.verdict(flow(SUBJECT, sources[s], 'TCP', 80)).allowed)).toEqual(expected);
  });
});

describeEach(ENGINES, 'a podSelector-only peer is scoped to the policy namespace', (engine) => {
  test('a policy in `other` selecting role=web peers sees other/web, not app/web', () => {
    const ev = engine.build([
      ...base,
      np(
        'other',
        'p',
        `
      podSelector: {matchLabels: {role: api}}
      ingress:
      - from: [{podSelector: {matchLabels: {role: web}}}]
    `,
      ),
    ]);
    expect(ev.verdict(flow(sources['other/web'], sources['other/api'])).allowed).toBe(true);
    expect(ev.verdict(flow(sources['app/web'], sources['other/api'])).allowed).toBe(false);
    expect(ev.verdict(flow(sources['third/web'], sources['other/api'])).allowed).toBe(false);
  });
});

describeEach(ENGINES, 'namespaces are selected by labels, and by name only via kubernetes.io/metadata.name', (engine) => {
  test('kubernetes.io/metadata.name selects the namespace by name', () => {
    expect(admitted(engine, '- from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: third}}}]')).toEqual(['third/web']);
    expect(
      admitted(
        engine,
        `
- from:
  - namespaceSelector:
      matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [other, third]}]
    podSelector: {matchLabels: {role: web}}
`,
      ),
    ).toEqual(['other/web', 'third/web']);
  });

  test('the name label cannot be overridden in the manifest', () => {
    const ev = engine.build([
      ns('real', { 'kubernetes.io/metadata.name': 'fake', team: 'x' }),
      pod('real', 'src', '10.9.0.1'),
      pod('app', 'dst', '10.9.0.2'),
      np(
        'app',
        'p',
        `
        podSelector: {}
        ingress:
        - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: real}}}]
      `,
      ),
      np(
        'app',
        'q',
        `
        podSelector: {}
        ingress:
        - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: fake}}}]
      `,
      ),
    ]);
    expect(ev.verdict(flow('10.9.0.1', '10.9.0.2')).allowed).toBe(true);
    if (engine.explains) expect(ev.explain(flow('10.9.0.1', '10.9.0.2')).ingressDetail.allowedBy.map((r) => r.policy)).toEqual(['app/p']);
  });

  test('a namespace missing from the input still carries its name label', () => {
    const ev = engine.build([
      pod('ghost', 'src', '10.9.0.1'),
      pod('app', 'dst', '10.9.0.2'),
      pod('app', 'other', '10.9.0.3'),
      np(
        'app',
        'p',
        `
        podSelector: {}
        ingress:
        - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ghost}}}]
      `,
      ),
    ]);
    expect(ev.verdict(flow('10.9.0.1', '10.9.0.2')).allowed).toBe(true);
    expect(ev.verdict(flow('10.9.0.3', '10.9.0.2')).allowed).toBe(false);
  });

  test('namespace labels, not pod labels, are what namespaceSelector sees', () => {
    const ev = engine.build([
      ns('x', { team: 'b' }),
      ns('z'),
      pod('x', 'plain', '10.9.0.1'),
      pod('z', 'impostor', '10.9.0.2', { labels: { team: 'b' } }),
      pod('z', 'dst', '10.9.0.3'),
      np(
        'z',
        'p',
        `
        podSelector: {}
        ingress:
        - from: [{namespaceSelector: {matchLabels: {team: b}}}]
      `,
      ),
    ]);
    expect(ev.verdict(flow('10.9.0.1', '10.9.0.3')).allowed).toBe(true);
    expect(ev.verdict(flow('10.9.0.2', '10.9.0.3')).allowed).toBe(false);
  });
});
