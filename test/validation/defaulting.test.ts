/**
 * Server-side defaulting (§1.2 SetDefaults_NetworkPolicy, §1.6 SetDefaults_NetworkPolicyPort),
 * checked on the model the loader produces.
 */
import { describe, expect, it } from 'vitest';
import { cluster } from '../helpers.js';
import { expectOnlyErrors, load, policyJson, policyYaml } from './util.js';

const policy = (yaml: string) => cluster(yaml).policies[0]!;

describe('policyTypes defaulting (§1.2)', () => {
  it('absent → Ingress only', () => {
    expect(policy(policyYaml('podSelector: {}\ningress:\n- from: [{podSelector: {}}]')).affects).toEqual({ ingress: true, egress: false });
  });

  it('absent with a non-empty egress list → Ingress and Egress', () => {
    expect(policy(policyYaml('podSelector: {}\negress:\n- to: [{podSelector: {}}]')).affects).toEqual({ ingress: true, egress: true });
  });

  it('absent with egress: [{}] (one allow-all rule) → Ingress and Egress', () => {
    expect(policy(policyYaml('podSelector: {}\negress:\n- {}')).affects).toEqual({ ingress: true, egress: true });
  });

  it('absent with egress: [] → does NOT add Egress', () => {
    expect(policy(policyYaml('podSelector: {}\negress: []')).affects).toEqual({ ingress: true, egress: false });
  });

  it('an explicit empty list is defaulted like an absent one', () => {
    expect(policy(policyYaml('podSelector: {}\npolicyTypes: []\negress:\n- {}')).affects).toEqual({ ingress: true, egress: true });
    expect(policy(policyYaml('podSelector: {}\npolicyTypes: []')).affects).toEqual({ ingress: true, egress: false });
  });

  it('explicit [Egress] → Egress only, even with ingress rules', () => {
    const p = policy(policyYaml('podSelector: {}\npolicyTypes: [Egress]\ningress:\n- {}'));
    expect(p.affects).toEqual({ ingress: false, egress: true });
    // The rules are kept (but ignored) and the loader says so.
    expect(p.ingress).toHaveLength(1);
    const r = load(policyYaml('podSelector: {}\npolicyTypes: [Egress]\ningress:\n- {}'));
    expect(r.issues.some((i) => i.severity === 'warning' && i.code === 'rules-ignored' && i.path === 'spec.ingress')).toBe(true);
  });

  it('explicit [Ingress] with egress rules → Ingress only', () => {
    expect(policy(policyYaml('podSelector: {}\npolicyTypes: [Ingress]\negress:\n- {}')).affects).toEqual({ ingress: true, egress: false });
  });

  it('explicit [Egress, Ingress] and duplicates are kept as written', () => {
    expect(policy(policyYaml('podSelector: {}\npolicyTypes: [Egress, Ingress]')).affects).toEqual({ ingress: true, egress: true });
    expect(policy(policyYaml('podSelector: {}\npolicyTypes: [Egress, Egress]')).affects).toEqual({ ingress: false, egress: true });
  });

  it('a policy with no spec is deny-all ingress for podSelector {}', () => {
    const p = policy('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: ns\n');
    expect(p).toEqual({
      namespace: 'ns',
      name: 'deny',
      podSelector: { matchLabels: {}, matchExpressions: [] },
      affects: { ingress: true, egress: false },
      ingress: [],
      egress: [],
    });
  });

  it('spec: null and spec: {} are the same as no spec', () => {
    for (const spec of ['spec: null', 'spec: {}']) {
      const p = policy(`apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: ns}\n${spec}\n`);
      expect(p.podSelector).toEqual({ matchLabels: {}, matchExpressions: [] });
      expect(p.affects).toEqual({ ingress: true, egress: false });
      expect(p.ingress).toEqual([]);
    }
  });
});

describe('port protocol defaulting (§1.6)', () => {
  const portsOf = (ports: unknown[]) => cluster(policyJson({ podSelector: {}, ingress: [{ ports }] })).policies[0]!.ingress[0]!.ports;

  it('protocol absent → TCP', () => {
    expect(portsOf([{ port: 80 }])[0]).toEqual({ protocol: 'TCP', port: 80 });
  });

  it('protocol null → TCP', () => {
    expect(portsOf([{ protocol: null, port: 80 }])[0]!.protocol).toBe('TCP');
  });

  it('ports: [{}] is "all TCP ports", not all traffic', () => {
    expect(portsOf([{}])).toEqual([{ protocol: 'TCP' }]);
  });

  it('explicit protocols are kept', () => {
    expect(portsOf([{ protocol: 'UDP', port: 53 }, { protocol: 'SCTP' }, { protocol: 'TCP', port: 'http' }, { port: 1000, endPort: 2000 }])).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'SCTP' },
      { protocol: 'TCP', port: 'http' },
      { protocol: 'TCP', port: 1000, endPort: 2000 },
    ]);
  });

  it('protocol "" is not defaulted: it is rejected (P1)', () => {
    const r = load(policyJson({ podSelector: {}, egress: [{}, { ports: [{ port: 80 }, { protocol: '', port: 80 }] }] }));
    expectOnlyErrors(r, [{ check: 'P1', path: 'spec.egress[1].ports[1].protocol', type: 'Unsupported value' }]);
    expect(r.issues.find((i) => i.check === 'P1')!.message).toBe(
      'spec.egress[1].ports[1].protocol: Unsupported value: "": supported values: "TCP", "UDP", "SCTP"',
    );
  });

  it('egress ports are defaulted the same way', () => {
    const p = cluster(policyJson({ podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53 }] }] })).policies[0]!;
    expect(p.egress[0]!.ports).toEqual([{ protocol: 'TCP', port: 53 }]);
  });
});

describe('other normalisations', () => {
  it('absent podSelector is {} (it is a non-pointer struct)', () => {
    expect(policy(policyYaml('ingress: []')).podSelector).toEqual({ matchLabels: {}, matchExpressions: [] });
  });

  it('absent and empty from/ports both mean "any"', () => {
    const p = policy(policyYaml('podSelector: {}\ningress:\n- {}\n- {from: [], ports: []}'));
    expect(p.ingress).toEqual([
      { ports: [], peers: [] },
      { ports: [], peers: [] },
    ]);
  });

  it('selectors keep their terms; a podSelector-only peer and a combined peer are distinct kinds', () => {
    const p = policy(
      policyYaml(`
        podSelector:
          matchLabels: {app: db}
          matchExpressions: [{key: tier, operator: In, values: [a, b]}]
        ingress:
        - from:
          - podSelector: {matchLabels: {app: web}}
          - namespaceSelector: {}
            podSelector: {}
      `),
    );
    expect(p.podSelector).toEqual({ matchLabels: { app: 'db' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] });
    expect(p.ingress[0]!.peers).toEqual([
      { kind: 'selector', podSelector: { matchLabels: { app: 'web' }, matchExpressions: [] } },
      { kind: 'selector', podSelector: { matchLabels: {}, matchExpressions: [] }, namespaceSelector: { matchLabels: {}, matchExpressions: [] } },
    ]);
  });
});
