// LiveDataplane.explain across tiers: the Admin and Baseline steps come from the live image's
// provenance (its cluster-scoped policies) and are checked against the kernel's tier cells, so
// an image whose tier decision says otherwise makes explain fail as an internal error instead
// of explaining something the datapath does not do.
import { describe, expect, test } from 'vitest';
import { LiveDataplane, readText } from '@netpol/core';
import { sectionViews, TIER_DECISION } from '../../packages/core/src/compile/layout.js';
import { flow } from '../helpers.js';

const yaml = `
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
status: {podIP: 10.0.0.2}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: dns-first}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress:
  - {name: pass-dns, action: Pass, to: [{namespaces: {}}], protocols: [{udp: {destinationPort: {number: 53}}}]}
  - {name: no-db, action: Deny, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}]}
`;

describe('LiveDataplane.explain across tiers', () => {
  test('the deciding rule and every Pass, and after an apply the new policy', () => {
    const live = new LiveDataplane(readText(yaml, 'tiers.yaml').objects, { native: 'off' });
    const denied = live.explain(flow('10.0.0.1', '10.0.0.2', 'TCP', 5432));
    expect(denied).toMatchObject({ allowed: false, egress: 'admin-denied' });
    expect(denied.egressDetail.clusterRules).toEqual([
      {
        tier: 'admin',
        policy: 'cnp/dns-first',
        priority: 1,
        direction: 'egress',
        ruleIndex: 1,
        ruleName: 'no-db',
        action: 'Deny',
        peerIndex: 0,
        portIndex: null,
      },
    ]);
    const dns = live.explain(flow('10.0.0.1', '10.0.0.2', 'UDP', 53));
    expect(dns).toMatchObject({ allowed: true, egress: 'not-isolated' });
    expect(dns.egressDetail.clusterRules.map((r) => `${r.action} ${r.ruleName}`)).toEqual(['Pass pass-dns']);
    expect(dns.egressDetail.steps.map((s) => `${s.step}:${s.answer}`)).toEqual([
      'reply:next',
      'self:next',
      'icmpv6-nd:next',
      'endpoint:next',
      'admin:next',
      'isolation:allow',
    ]);
    // The policy deleted: no admin step any more.
    expect(live.apply([{ op: 'delete', kind: 'ClusterNetworkPolicy', name: 'dns-first' }]).applied).toBe(true);
    const after = live.explain(flow('10.0.0.1', '10.0.0.2', 'TCP', 5432));
    expect(after).toMatchObject({ allowed: true, egress: 'not-isolated' });
    expect(after.egressDetail.clusterRules).toEqual([]);
    expect(after.egressDetail.steps.some((s) => s.step === 'admin')).toBe(false);
  });

  test('a tier decision that disagrees with the policies is an internal error, not an explanation', () => {
    const live = new LiveDataplane(readText(yaml, 'tiers.yaml').objects, { native: 'off' });
    const f = flow('10.0.0.1', '10.0.0.2', 'TCP', 5432);
    expect(live.explain(f).egress).toBe('admin-denied');
    // Swap every tier decision's Admin accept and deny sets in the published copy.
    const d = sectionViews(live.current.image).tierDecisions;
    for (let k = 0; k < d.length; k += 4)
      [d[k + TIER_DECISION.adminAccept], d[k + TIER_DECISION.adminDeny]] = [d[k + TIER_DECISION.adminDeny]!, d[k + TIER_DECISION.adminAccept]!];
    expect(live.verdict(f).egress).toBe('admin-allowed');
    expect(() => live.explain(f)).toThrow(/internal error: explain \(admin-denied, admin-rule\) disagrees with the kernel \(admin-allowed\)/);
  });
});
