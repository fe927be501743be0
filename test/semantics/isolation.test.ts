// §2.1: isolation is per pod and per direction; pod→pod needs both ends; one-pod flows.
import { expect, test } from 'vitest';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, np, ns, pod, short } from './fixtures.js';

const A = '10.0.0.1'; // app/a
const B = '10.0.0.2'; // app/b
const C = '10.0.1.3'; // other/c
const EXT = '203.0.113.9';

const base = [ns('app'), ns('other'), pod('app', 'a', A, { labels: { role: 'a' } }), pod('app', 'b', B, { labels: { role: 'b' } }), pod('other', 'c', C)];

describeEach(ENGINES, 'isolation per direction', (engine) => {
  test('an ingress-only policy isolates ingress and leaves egress open', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'deny-in',
        `
      podSelector: {matchLabels: {role: b}}
      policyTypes: [Ingress]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=not-isolated ingress=denied');
    expect(short(ev.verdict(flow(B, A)))).toBe('ALLOW egress=not-isolated ingress=not-isolated');
    expect(short(ev.verdict(flow(B, EXT)))).toBe('ALLOW egress=not-isolated ingress=not-applicable');
    expect(short(ev.verdict(flow(EXT, B)))).toBe('DENY egress=not-applicable ingress=denied');
  });

  test('an egress-only policy isolates egress and leaves ingress open', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'deny-out',
        `
      podSelector: {matchLabels: {role: b}}
      policyTypes: [Egress]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(B, A)))).toBe('DENY egress=denied ingress=not-isolated');
    expect(short(ev.verdict(flow(B, EXT)))).toBe('DENY egress=denied ingress=not-applicable');
    expect(short(ev.verdict(flow(A, B)))).toBe('ALLOW egress=not-isolated ingress=not-isolated');
    expect(short(ev.verdict(flow(EXT, B)))).toBe('ALLOW egress=not-applicable ingress=not-isolated');
  });

  test('only pods selected by spec.podSelector are isolated', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'deny-b',
        `
      podSelector: {matchLabels: {role: b}}
      policyTypes: [Ingress, Egress]
    `,
      ),
    ]);
    expect(ev.verdict(flow(C, A)).ingress).toBe('not-isolated');
    expect(ev.verdict(flow(C, B)).ingress).toBe('denied');
    expect(ev.verdict(flow(A, C)).egress).toBe('not-isolated');
    expect(ev.verdict(flow(B, C)).egress).toBe('denied');
  });

  test('a policy only isolates pods of its own namespace', () => {
    const ev = engine.build([
      ...base,
      np(
        'other',
        'deny-all',
        `
      podSelector: {}
      policyTypes: [Ingress, Egress]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, B)))).toBe('ALLOW egress=not-isolated ingress=not-isolated');
    expect(short(ev.verdict(flow(A, C)))).toBe('DENY egress=not-isolated ingress=denied');
    expect(short(ev.verdict(flow(C, A)))).toBe('DENY egress=denied ingress=not-isolated');
  });
});

describeEach(ENGINES, 'empty rules are a default deny, attributed to the isolating policies', (engine) => {
  test('absent and [] rules both isolate and allow nothing; explain names every isolating policy', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p1',
        `
        podSelector: {}
        policyTypes: [Ingress]
      `,
      ),
      np(
        'app',
        'p2',
        `
        podSelector: {matchLabels: {role: b}}
        policyTypes: [Ingress, Egress]
        ingress: []
        egress: []
      `,
      ),
      np(
        'app',
        'unrelated',
        `
        podSelector: {matchLabels: {role: a}}
        policyTypes: [Ingress]
      `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=not-isolated ingress=denied');
    expect(ev.verdict(flow(B, EXT)).egress).toBe('denied');
    if (!engine.explains) return;
    const e = ev.explain(flow(A, B));
    expect(e.allowed).toBe(false);
    expect(e.ingressDetail.decision).toBe('denied');
    expect(e.ingressDetail.reason).toBe('no-rule-matched');
    expect(e.ingressDetail.endpoint).toBe('app/b');
    expect([...e.ingressDetail.isolatedBy].sort()).toEqual(['app/p1', 'app/p2']);
    expect(e.ingressDetail.allowedBy).toEqual([]);
    expect(e.ingressDetail.rejected.map((r) => [r.policy, r.ruleIndex, r.peerMatched, r.portMatched]).sort()).toEqual([
      ['app/p1', null, false, false],
      ['app/p2', null, false, false],
    ]);
    expect(e.egressDetail.decision).toBe('not-isolated');
    expect(e.egressDetail.reason).toBe('no-policy');

    const out = ev.explain(flow(B, EXT));
    expect(out.egressDetail.decision).toBe('denied');
    expect(out.egressDetail.isolatedBy).toEqual(['app/p2']);
    expect(out.egressDetail.rejected.map((r) => [r.policy, r.direction, r.ruleIndex])).toEqual([['app/p2', 'egress', null]]);
    expect(out.ingressDetail.reason).toBe('not-a-pod');
  });
});

describeEach(ENGINES, 'pod → pod needs the egress of the source and the ingress of the destination', (engine) => {
  const allowBToA = np(
    'app',
    'a-in-from-b',
    `
    podSelector: {matchLabels: {role: a}}
    policyTypes: [Ingress]
    ingress:
    - from: [{podSelector: {matchLabels: {role: b}}}]
  `,
  );
  const allowBOutToA = np(
    'app',
    'b-out-to-a',
    `
    podSelector: {matchLabels: {role: b}}
    policyTypes: [Egress]
    egress:
    - to: [{podSelector: {matchLabels: {role: a}}}]
  `,
  );
  const denyAIn = np(
    'app',
    'deny-a-in',
    `
    podSelector: {matchLabels: {role: a}}
    policyTypes: [Ingress]
  `,
  );
  const denyBOut = np(
    'app',
    'deny-b-out',
    `
    podSelector: {matchLabels: {role: b}}
    policyTypes: [Egress]
  `,
  );

  test.each([
    ['egress allowed, ingress allowed', [allowBOutToA, allowBToA], 'ALLOW egress=allowed ingress=allowed'],
    ['egress allowed, ingress denied', [allowBOutToA, denyAIn], 'DENY egress=allowed ingress=denied'],
    ['egress denied, ingress allowed', [denyBOut, allowBToA], 'DENY egress=denied ingress=allowed'],
    ['egress denied, ingress denied', [denyBOut, denyAIn], 'DENY egress=denied ingress=denied'],
    ['egress allowed, ingress not isolated', [allowBOutToA], 'ALLOW egress=allowed ingress=not-isolated'],
    ['egress not isolated, ingress allowed', [allowBToA], 'ALLOW egress=not-isolated ingress=allowed'],
  ])('%s', (_name, policies, expected) => {
    const ev = engine.build([...base, ...policies]);
    expect(short(ev.verdict(flow(B, A)))).toBe(expected);
  });
});

describeEach(ENGINES, 'only one end is a pod: only that end’s direction applies', (engine) => {
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
  test('external → pod: only ingress of the pod', () => {
    expect(short(ev.verdict(flow(EXT, A)))).toBe('DENY egress=not-applicable ingress=denied');
    if (!engine.explains) return;
    const e = ev.explain(flow(EXT, A));
    expect(short(e)).toBe('DENY egress=not-applicable ingress=denied');
    expect(e.egressDetail.endpoint).toBeNull();
    expect(e.egressDetail.reason).toBe('not-a-pod');
  });
  test('pod → external: only egress of the pod', () => {
    expect(short(ev.verdict(flow(A, EXT)))).toBe('DENY egress=denied ingress=not-applicable');
  });
  test('external → external: no pod, nothing applies', () => {
    expect(short(ev.verdict(flow(EXT, '198.51.100.1')))).toBe('ALLOW egress=not-applicable ingress=not-applicable');
  });
  test('external → a non-isolated pod in another namespace', () => {
    expect(short(ev.verdict(flow(EXT, C)))).toBe('ALLOW egress=not-applicable ingress=not-isolated');
  });
});
