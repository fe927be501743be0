// §2.2 which pods exist for policy purposes: hostNetwork pods, terminal pods, shared IPs.
import { expect, test } from 'vitest';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, node, np, ns, pod, short } from './fixtures.js';

const DB = '10.0.0.1';
const WEB = '10.0.0.2';
const HOST = '192.168.0.12'; // hostNetwork pod on n2, labelled role=web
const EXT = '203.0.113.9';

describeEach(ENGINES, 'hostNetwork pods', (engine) => {
  const base = [
    ns('app'),
    node('n1', '192.168.0.1'),
    node('n2', '192.168.0.2'),
    pod('app', 'db', DB, { labels: { role: 'db' }, node: 'n1' }),
    pod('app', 'web', WEB, { labels: { role: 'web' }, node: 'n1' }),
    pod('app', 'hostweb', HOST, { labels: { role: 'web' }, node: 'n2', hostNetwork: true }),
  ];

  test('are never subjects: a namespace-wide deny-all does not isolate them', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'deny-all',
        `
      podSelector: {}
      policyTypes: [Ingress, Egress]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(EXT, HOST, 'TCP', 22)))).toBe('ALLOW egress=not-applicable ingress=not-applicable');
    expect(short(ev.verdict(flow(HOST, EXT, 'TCP', 443)))).toBe('ALLOW egress=not-applicable ingress=not-applicable');
    if (engine.explains) expect(ev.explain(flow(EXT, HOST, 'TCP', 22)).ingressDetail.endpoint).toBeNull();
  });

  test('are never matched by a podSelector or namespaceSelector peer', () => {
    for (const peer of [
      '{podSelector: {matchLabels: {role: web}}}',
      '{podSelector: {}}',
      '{namespaceSelector: {}}',
      '{namespaceSelector: {}, podSelector: {matchLabels: {role: web}}}',
    ]) {
      const ev = engine.build([
        ...base,
        np(
          'app',
          'p',
          `
        podSelector: {matchLabels: {role: db}}
        ingress:
        - from: [${peer}]
      `,
        ),
      ]);
      expect(ev.verdict(flow(WEB, DB, 'TCP', 5432)).allowed).toBe(true);
      expect(ev.verdict(flow(HOST, DB, 'TCP', 5432)).allowed).toBe(false);
    }
  });

  test('are not egress destinations for selector peers either', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: db}}
      policyTypes: [Egress]
      egress:
      - to: [{podSelector: {matchLabels: {role: web}}}]
    `,
      ),
    ]);
    expect(ev.verdict(flow(DB, WEB, 'TCP', 80)).allowed).toBe(true);
    expect(ev.verdict(flow(DB, HOST, 'TCP', 80)).allowed).toBe(false);
  });

  test('their traffic is node traffic: matchable by ipBlock', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: db}}
      ingress:
      - from: [{ipBlock: {cidr: 192.168.0.12/32}}]
    `,
      ),
    ]);
    expect(ev.verdict(flow(HOST, DB, 'TCP', 5432)).allowed).toBe(true);
    expect(ev.verdict(flow('192.168.0.2', DB, 'TCP', 5432)).allowed).toBe(false);
  });
});

describeEach(ENGINES, 'terminal pods (Succeeded/Failed) are not pods', (engine) => {
  test.each(['Succeeded', 'Failed'])('a %s pod is neither a subject nor a selector peer', (phase) => {
    const ev = engine.build([
      ns('app'),
      pod('app', 'db', DB, { labels: { role: 'db' } }),
      pod('app', 'done', WEB, { labels: { role: 'web' }, phase }),
      np(
        'app',
        'p',
        `
        podSelector: {}
        policyTypes: [Ingress, Egress]
        ingress:
        - from: [{podSelector: {matchLabels: {role: web}}}]
      `,
      ),
    ]);
    expect(short(ev.verdict(flow(WEB, DB, 'TCP', 1)))).toBe('DENY egress=not-applicable ingress=denied');
    expect(short(ev.verdict(flow(EXT, WEB, 'TCP', 1)))).toBe('ALLOW egress=not-applicable ingress=not-applicable');
  });

  test('Pending and Unknown pods with an IP are pods', () => {
    for (const phase of ['Pending', 'Unknown']) {
      const ev = engine.build([
        ns('app'),
        pod('app', 'db', DB, { labels: { role: 'db' } }),
        pod('app', 'web', WEB, { labels: { role: 'web' }, phase }),
        np(
          'app',
          'p',
          `
          podSelector: {matchLabels: {role: db}}
          ingress:
          - from: [{podSelector: {matchLabels: {role: web}}}]
        `,
        ),
      ]);
      expect(ev.verdict(flow(WEB, DB, 'TCP', 1)).allowed).toBe(true);
    }
  });

  test('a terminal pod’s IP reused by a new pod belongs to the new pod', () => {
    const docs = [
      ns('app'),
      pod('app', 'db', DB, { labels: { role: 'db' } }),
      pod('app', 'old', WEB, { labels: { role: 'web' }, phase: 'Failed' }),
      pod('app', 'new', WEB, { labels: { role: 'api' }, phase: 'Pending' }),
      np(
        'app',
        'p',
        `
        podSelector: {matchLabels: {role: db}}
        ingress:
        - from: [{podSelector: {matchLabels: {role: api}}}]
      `,
      ),
    ];
    expect(engine.build(docs).verdict(flow(WEB, DB, 'TCP', 1)).allowed).toBe(true);
  });
});

describeEach(ENGINES, 'two live pods sharing an IP: the Running one', (engine) => {
  const policy = np(
    'app',
    'p',
    `
    podSelector: {matchLabels: {role: db}}
    ingress:
    - from: [{podSelector: {matchLabels: {role: web}}}]
  `,
  );
  const running = pod('app', 'running', WEB, { labels: { role: 'web' }, phase: 'Running' });
  const pending = pod('app', 'pending', WEB, { labels: { role: 'job' }, phase: 'Pending' });
  const db = pod('app', 'db', DB, { labels: { role: 'db' } });

  test.each([
    ['Running listed first', [running, pending]],
    ['Running listed last', [pending, running]],
  ])('%s', (_name, pods) => {
    const ev = engine.build([ns('app'), db, ...pods, policy]);
    expect(ev.verdict(flow(WEB, DB, 'TCP', 1)).allowed).toBe(true);
    if (engine.explains) expect(ev.explain(flow(WEB, DB, 'TCP', 1)).egressDetail.endpoint).toBe('app/running');
  });

  test('the Running owner is also the subject', () => {
    const ev = engine.build([
      ns('app'),
      db,
      pending,
      running,
      np(
        'app',
        'deny',
        `
      podSelector: {matchLabels: {role: job}}
      policyTypes: [Ingress]
    `,
      ),
    ]);
    expect(ev.verdict(flow(DB, WEB, 'TCP', 1)).ingress).toBe('not-isolated');
    if (engine.explains) expect(ev.explain(flow(DB, WEB, 'TCP', 1)).ingressDetail.endpoint).toBe('app/running');
  });
});
