// §1.7 label selectors, as used by spec.podSelector and by peers.
import { describe, expect, test } from 'vitest';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, np, ns, pod, type Engine } from './fixtures.js';

// Pods of namespace `app`, by label set. The subject of each test is `dst`.
const pods: Record<string, Record<string, string>> = {
  'tier-web': { tier: 'web' },
  'tier-db': { tier: 'db' },
  'tier-cache-env-prod': { tier: 'cache', env: 'prod' },
  'env-dev': { env: 'dev' },
  none: {},
};
const names = Object.keys(pods);
const ipOf = (i: number): string => `10.0.0.${i + 1}`;
const DST = '10.0.1.1';
const base = [ns('app'), pod('app', 'dst', DST, { labels: { dst: 'yes' } }), ...names.map((n, i) => pod('app', n, ipOf(i), { labels: pods[n]! }))];

/** Sources admitted by `from: [{podSelector: <selector>}]`. */
function admittedBy(engine: Engine, selector: string): string[] {
  const ev = engine.build([
    ...base,
    np(
      'app',
      'p',
      `
    podSelector: {matchLabels: {dst: 'yes'}}
    ingress:
    - from: [{podSelector: ${selector}}]
  `,
    ),
  ]);
  return names.filter((_, i) => ev.verdict(flow(ipOf(i), DST, 'TCP', 80)).allowed);
}

/** Pods isolated by a deny-all whose spec.podSelector is <selector>. */
function isolatedBy(engine: Engine, selector: string): string[] {
  const ev = engine.build([
    ...base,
    np(
      'app',
      'p',
      `
    podSelector: ${selector}
    policyTypes: [Ingress]
  `,
    ),
  ]);
  return names.filter((_, i) => ev.verdict(flow('203.0.113.1', ipOf(i), 'TCP', 80)).ingress === 'denied');
}

describeEach(ENGINES, 'label selectors', (engine) =>
  describe.each([
    ['peer podSelector', admittedBy],
    ['spec.podSelector', isolatedBy],
  ])('%s', (_where, select) => {
    test.each<[string, string, string[]]>([
      ['{} matches every pod', '{}', names],
      ['matchLabels equality', '{matchLabels: {tier: web}}', ['tier-web']],
      ['matchLabels entries are ANDed', '{matchLabels: {tier: cache, env: prod}}', ['tier-cache-env-prod']],
      ['In: key present and value listed', '{matchExpressions: [{key: tier, operator: In, values: [web, db]}]}', ['tier-web', 'tier-db']],
      [
        'NotIn: value not listed, or key absent',
        '{matchExpressions: [{key: tier, operator: NotIn, values: [web, db]}]}',
        ['tier-cache-env-prod', 'env-dev', 'none'],
      ],
      ['Exists: key present', '{matchExpressions: [{key: env, operator: Exists}]}', ['tier-cache-env-prod', 'env-dev']],
      ['DoesNotExist: key absent', '{matchExpressions: [{key: env, operator: DoesNotExist}]}', ['tier-web', 'tier-db', 'none']],
      ['expressions are ANDed', '{matchExpressions: [{key: tier, operator: Exists}, {key: env, operator: NotIn, values: [prod]}]}', ['tier-web', 'tier-db']],
      ['matchLabels AND matchExpressions', '{matchLabels: {env: dev}, matchExpressions: [{key: tier, operator: DoesNotExist}]}', ['env-dev']],
      ['values are case-sensitive', '{matchLabels: {tier: Web}}', []],
      ['a contradiction matches nothing', '{matchExpressions: [{key: tier, operator: Exists}, {key: tier, operator: DoesNotExist}]}', []],
    ])('%s', (_name, selector, expected) => {
      expect(select(engine, selector)).toEqual(expected);
    });
  }),
);

describeEach(ENGINES, 'namespaceSelector expressions', (engine) => {
  test('NotIn on a namespace label matches namespaces without the key', () => {
    const ev = engine.build([
      ns('a', { env: 'prod' }),
      ns('b', { env: 'dev' }),
      ns('c'),
      pod('a', 's', '10.0.0.1'),
      pod('b', 's', '10.0.0.2'),
      pod('c', 's', '10.0.0.3'),
      pod('a', 'dst', '10.0.0.9'),
      np(
        'a',
        'p',
        `
        podSelector: {}
        ingress:
        - from: [{namespaceSelector: {matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}}]
      `,
      ),
    ]);
    expect(['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((s) => ev.verdict(flow(s, '10.0.0.9')).allowed)).toEqual([false, true, true]);
  });
});
