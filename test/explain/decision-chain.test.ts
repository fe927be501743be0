// model/decision.ts on hand-written facts: which steps are taken with and without the tiers, that
// each fact is asked lazily and at most once, and that an engine without tier facts gets the
// NetworkPolicy-only chain.
import { expect, test } from 'vitest';
import type { ClusterRuleRef } from '@netpol/core';
import type { TierOutcome } from '../../packages/core/src/model/cluster-tier.js';
import { decideDirection, type DirectionFacts } from '../../packages/core/src/model/decision.js';

const ref = (tier: 'admin' | 'baseline', action: ClusterRuleRef['action'], policy = `cnp/${tier}-${action}`): ClusterRuleRef => ({
  tier,
  policy,
  priority: 1,
  direction: 'egress',
  ruleIndex: 0,
  ruleName: null,
  action,
  peerIndex: 0,
  portIndex: null,
});

const never = (what: string) => (): never => {
  throw new Error(`${what} asked`);
};

/** Facts of a pod-network source; `o` overrides any of them. */
const facts = (o: Partial<DirectionFacts>): DirectionFacts => ({
  direction: 'egress',
  endpoint: 'prod/web',
  reply: () => false,
  self: () => false,
  neighborDiscovery: () => false,
  isolatedBy: () => [],
  localNode: () => false,
  rules: () => ({ allowedBy: [], rejected: [] }),
  ...o,
});

const steps = (f: DirectionFacts) => decideDirection(f).steps.map((s) => `${s.step}:${s.answer}`);
const selected = (o: Partial<TierOutcome> = {}): TierOutcome => ({ selected: true, passes: [], ties: [], ...o });

test('without tier facts (an engine that has none): the NetworkPolicy-only chain', () => {
  expect(steps(facts({}))).toEqual(['reply:next', 'self:next', 'icmpv6-nd:next', 'endpoint:next', 'isolation:allow']);
  expect(steps(facts({ isolatedBy: () => ['prod/p'] }))).toEqual([
    'reply:next',
    'self:next',
    'icmpv6-nd:next',
    'endpoint:next',
    'isolation:next',
    'local-node:next',
    'rules:deny',
  ]);
});

test('an Admin decision is final: isolation, rules and the Baseline tier are never asked', () => {
  const e = decideDirection(
    facts({
      admin: () => selected({ decided: ref('admin', 'Deny'), ties: ['cnp/b'] }),
      isolatedBy: never('isolatedBy'),
      rules: never('rules'),
      baseline: never('baseline'),
    }),
  );
  expect(e).toMatchObject({ decision: 'admin-denied', reason: 'admin-rule', isolatedBy: [], clusterRules: [ref('admin', 'Deny')], ties: ['cnp/b'] });
  expect(e.steps.at(-1)).toEqual({ step: 'admin', answer: 'deny' });
});

test('isolated by a NetworkPolicy: the Baseline tier is never asked; the Admin Pass stays in clusterRules', () => {
  const e = decideDirection(facts({ admin: () => selected({ passes: [ref('admin', 'Pass')] }), isolatedBy: () => ['prod/p'], baseline: never('baseline') }));
  expect(e).toMatchObject({ decision: 'denied', isolatedBy: ['prod/p'], clusterRules: [ref('admin', 'Pass')] });
});

test('each fact is asked at most once', () => {
  const asked = { admin: 0, baseline: 0, isolatedBy: 0 };
  decideDirection(
    facts({
      admin: () => (asked.admin++, selected()),
      baseline: () => (asked.baseline++, selected({ decided: ref('baseline', 'Accept') })),
      isolatedBy: () => (asked.isolatedBy++, []),
    }),
  );
  expect(asked).toEqual({ admin: 1, baseline: 1, isolatedBy: 1 });
});

test('a tier that selects the pod but does not decide: its step says next, and nothing decided is not-isolated', () => {
  const e = decideDirection(facts({ admin: () => selected(), baseline: () => selected({ passes: [ref('baseline', 'Pass')] }) }));
  expect(e.steps.map((s) => `${s.step}:${s.answer}`)).toEqual([
    'reply:next',
    'self:next',
    'icmpv6-nd:next',
    'endpoint:next',
    'admin:next',
    'isolation:next',
    'baseline:allow',
  ]);
  expect(e).toMatchObject({ decision: 'not-isolated', reason: 'no-policy', clusterRules: [ref('baseline', 'Pass')] });
});

test('not a pod, or a flow-wide allow: no tier is asked', () => {
  expect(decideDirection(facts({ endpoint: null, admin: never('admin'), baseline: never('baseline') })).decision).toBe('not-applicable');
  expect(decideDirection(facts({ self: () => true, admin: never('admin'), baseline: never('baseline') })).reason).toBe('self');
});
