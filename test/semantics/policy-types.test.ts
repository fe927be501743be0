// §1.2 policyTypes defaulting and §2.1 "rules of a direction missing from policyTypes are ignored".
import { expect, test } from 'vitest';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, np, ns, pod, short } from './fixtures.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const EXT = '203.0.113.9';
const base = [ns('app'), pod('app', 'a', A, { labels: { role: 'a' } }), pod('app', 'b', B, { labels: { role: 'b' } })];

describeEach(ENGINES, 'policyTypes defaulting (absent or empty list)', (engine) => {
  test('ingress rules only → [Ingress]: egress stays open', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: b}}
      ingress:
      - from: [{podSelector: {matchLabels: {role: a}}}]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, B)))).toBe('ALLOW egress=not-isolated ingress=allowed');
    expect(short(ev.verdict(flow(EXT, B)))).toBe('DENY egress=not-applicable ingress=denied');
    expect(short(ev.verdict(flow(B, EXT)))).toBe('ALLOW egress=not-isolated ingress=not-applicable');
  });

  test('a non-empty egress list → [Ingress, Egress]: ingress is isolated too', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: b}}
      egress:
      - to: [{podSelector: {matchLabels: {role: a}}}]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(B, A)))).toBe('ALLOW egress=allowed ingress=not-isolated');
    expect(short(ev.verdict(flow(B, EXT)))).toBe('DENY egress=denied ingress=not-applicable');
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=not-isolated ingress=denied');
  });

  test('egress: [] (present but empty) does not add Egress', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: b}}
      egress: []
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(B, EXT)))).toBe('ALLOW egress=not-isolated ingress=not-applicable');
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=not-isolated ingress=denied');
  });

  test('policyTypes: [] is defaulted like an absent list', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: b}}
      policyTypes: []
      egress:
      - {}
    `,
      ),
    ]);
    // Defaulted to [Ingress, Egress]: the egress rule allows everything, ingress has no rule.
    expect(short(ev.verdict(flow(B, EXT)))).toBe('ALLOW egress=allowed ingress=not-applicable');
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=not-isolated ingress=denied');
  });

  test('a policy without spec denies all ingress in its namespace and nothing else', () => {
    const ev = engine.build([...base, np('app', 'bare')]);
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=not-isolated ingress=denied');
    expect(short(ev.verdict(flow(B, A)))).toBe('DENY egress=not-isolated ingress=denied');
    expect(short(ev.verdict(flow(A, EXT)))).toBe('ALLOW egress=not-isolated ingress=not-applicable');
  });

  test('spec: {podSelector: {}} alone is the same default deny of ingress', () => {
    const ev = engine.build([...base, np('app', 'p', 'podSelector: {}')]);
    expect(short(ev.verdict(flow(EXT, A)))).toBe('DENY egress=not-applicable ingress=denied');
    expect(short(ev.verdict(flow(A, EXT)))).toBe('ALLOW egress=not-isolated ingress=not-applicable');
  });
});

describeEach(ENGINES, 'an explicit policyTypes list is kept as written', (engine) => {
  test('[Ingress, Egress] with no rules denies both directions', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {}
      policyTypes: [Ingress, Egress]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=denied ingress=denied');
  });

  test('[Egress] only: egress-only deny even though egress is absent', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {}
      policyTypes: [Egress]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=denied ingress=not-isolated');
  });

  test('[Ingress, Ingress] (duplicates are legal) isolates ingress only', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {}
      policyTypes: [Ingress, Ingress]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=not-isolated ingress=denied');
  });

  test('[Egress, Ingress] (order does not matter)', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {}
      policyTypes: [Egress, Ingress]
      ingress: [{}]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, B)))).toBe('DENY egress=denied ingress=allowed');
  });
});

describeEach(ENGINES, 'rules of a direction missing from policyTypes are ignored', (engine) => {
  test('[Ingress] plus egress rules: no egress isolation at all', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {}
      policyTypes: [Ingress]
      ingress: [{}]
      egress:
      - to: [{podSelector: {matchLabels: {role: nobody}}}]
    `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, EXT)))).toBe('ALLOW egress=not-isolated ingress=not-applicable');
  });

  test('[Ingress] plus an allow-all egress rule does not open egress isolated by another policy', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'deny-egress',
        `
        podSelector: {}
        policyTypes: [Egress]
      `,
      ),
      np(
        'app',
        'ignored-egress',
        `
        podSelector: {}
        policyTypes: [Ingress]
        ingress: [{}]
        egress: [{}]
      `,
      ),
    ]);
    expect(short(ev.verdict(flow(A, EXT)))).toBe('DENY egress=denied ingress=not-applicable');
    if (engine.explains) expect(ev.explain(flow(A, EXT)).egressDetail.isolatedBy).toEqual(['app/deny-egress']);
  });

  test('[Egress] plus an allow-all ingress rule does not open ingress isolated by another policy', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'deny-ingress',
        `
        podSelector: {}
        policyTypes: [Ingress]
      `,
      ),
      np(
        'app',
        'ignored-ingress',
        `
        podSelector: {}
        policyTypes: [Egress]
        egress: [{}]
        ingress: [{}]
      `,
      ),
    ]);
    expect(short(ev.verdict(flow(EXT, A)))).toBe('DENY egress=not-applicable ingress=denied');
    expect(short(ev.verdict(flow(A, EXT)))).toBe('ALLOW egress=allowed ingress=not-applicable');
    if (engine.explains) expect(ev.explain(flow(EXT, A)).ingressDetail.isolatedBy).toEqual(['app/deny-ingress']);
  });
});
