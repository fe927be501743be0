// ImageConnections: the connection set of a pair of entries from the image's port sets (ranges
// per protocol, merged and clipped to 1-65535, other protocols as class 0), one object per
// distinct set, everything for a pod and itself; the external regions the tries cut the
// address space into, host addresses left out.
import { describe, expect, test } from 'vitest';
import { compile, parseCIDR, type Cluster, type FlowEnd } from '@netpol/core';
import { ImageConnections } from '../../packages/core/src/analysis/pair-connections.js';
import { isAllConnections, isNoConnections } from '../../packages/core/src/analysis/connection-set.js';
import { templatePods } from '../../packages/core/src/model/endpoints.js';
import { ip } from '../helpers.js';
import { cluster, ns, pod, policy, sel, tcp, workload } from './builders.js';

function cidr(text: string) {
  const c = parseCIDR(text);
  if (!c.ok) throw new Error(text);
  return c.cidr;
}

const base = cluster({
  namespaces: [ns('prod')],
  workloads: [
    workload('Deployment', 'prod', 'web', { app: 'web' }),
    workload('Deployment', 'prod', 'api', { app: 'api' }),
    workload('StatefulSet', 'prod', 'db', { app: 'db' }, { ports: [tcp(5432, 'pg')] }),
  ],
});
const tpl = (c: Cluster, name: string): FlowEnd => ({ pod: templatePods(c).find((p) => p.name === name)! });

describe('connections', () => {
  const c: Cluster = {
    ...base,
    policies: [
      policy('prod', 'db-in', sel({ app: 'db' }), {
        ingress: [
          {
            peers: [{ kind: 'selector', podSelector: sel({ app: 'web' }) }],
            ports: [
              { protocol: 'TCP', port: 'pg' },
              { protocol: 'TCP', port: 80, endPort: 90 },
              { protocol: 'TCP', port: 91, endPort: 100 },
              { protocol: 'UDP', port: 1 },
              { protocol: 'SCTP' },
            ],
          },
        ],
      }),
    ],
  };
  const ic = new ImageConnections(compile(c));

  test('the ports both directions allow, as merged ranges per protocol', () => {
    expect(ic.between(tpl(c, 'web'), tpl(c, 'db'))).toEqual({
      tcp: [
        { start: 80, end: 100 },
        { start: 5432, end: 5432 },
      ],
      udp: [{ start: 1, end: 1 }],
      sctp: [{ start: 1, end: 65535 }],
      otherProtocols: false,
    });
    expect(isNoConnections(ic.between(tpl(c, 'api'), tpl(c, 'db')))).toBe(true);
  });

  test('a pair no policy isolates has every connection; a pod and itself too; equal sets are one object', () => {
    const open = ic.between(tpl(c, 'db'), tpl(c, 'web'));
    expect(isAllConnections(open)).toBe(true);
    expect(ic.between(tpl(c, 'web'), tpl(c, 'api'))).toBe(open);
    expect(ic.between(tpl(c, 'db'), tpl(c, 'db'))).toBe(open);
    expect(ic.between(tpl(c, 'api'), tpl(c, 'db'))).toBe(ic.between(tpl(c, 'api'), tpl(c, 'db')));
    expect(Object.isFrozen(open)).toBe(true);
  });

  test('a rule with no ports allows other protocols (port class 0) too', () => {
    const all: Cluster = {
      ...base,
      policies: [policy('prod', 'db-in', sel({ app: 'db' }), { ingress: [{ peers: [{ kind: 'selector', podSelector: sel({ app: 'web' }) }], ports: [] }] })],
    };
    const conns = new ImageConnections(compile(all));
    expect(isAllConnections(conns.between(tpl(all, 'web'), tpl(all, 'db')))).toBe(true);
    expect(conns.between(tpl(all, 'api'), tpl(all, 'db')).otherProtocols).toBe(false);
  });

  test('the Admin tier accepts and denies over NetworkPolicy, the Baseline tier decides only what nothing isolates', () => {
    const tiers: Cluster = {
      ...base,
      policies: [policy('prod', 'db-in', sel({ app: 'db' }), { ingress: [{ peers: [], ports: [{ protocol: 'TCP', port: 5432 }] }] })],
      clusterPolicies: [
        {
          kind: 'ClusterNetworkPolicy',
          name: 'admin',
          tier: 'Admin',
          priority: 1,
          subject: { kind: 'pods', namespaceSelector: sel(), podSelector: sel({ app: 'db' }) },
          ingress: [
            {
              action: 'Accept',
              peers: [{ kind: 'pods', namespaceSelector: sel(), podSelector: sel({ app: 'api' }) }],
              ports: [{ kind: 'range', protocol: 'TCP', start: 22, end: 22 }],
            },
            { action: 'Deny', peers: [{ kind: 'namespaces', namespaceSelector: sel() }], ports: [{ kind: 'range', protocol: 'TCP', start: 5432, end: 5432 }] },
          ],
          egress: [],
        },
        {
          kind: 'ClusterNetworkPolicy',
          name: 'baseline',
          tier: 'Baseline',
          priority: 1,
          subject: { kind: 'namespaces', namespaceSelector: sel() },
          ingress: [
            { action: 'Deny', peers: [{ kind: 'namespaces', namespaceSelector: sel() }], ports: [{ kind: 'range', protocol: 'UDP', start: 53, end: 53 }] },
          ],
          egress: [],
        },
      ],
    };
    const conns = new ImageConnections(compile(tiers));
    // db: isolated by NetworkPolicy (5432 only), which the Admin tier denies; api gets 22 from the Admin tier.
    expect(conns.between(tpl(tiers, 'api'), tpl(tiers, 'db'))).toEqual({ tcp: [{ start: 22, end: 22 }], udp: [], sctp: [], otherProtocols: false });
    // web: not isolated, so the Baseline tier denies UDP 53 and allows the rest.
    const toWeb = conns.between(tpl(tiers, 'api'), tpl(tiers, 'web'));
    expect(toWeb.udp).toEqual([
      { start: 1, end: 52 },
      { start: 54, end: 65535 },
    ]);
    expect(toWeb.tcp).toEqual([{ start: 1, end: 65535 }]);
    expect(toWeb.otherProtocols).toBe(true);
  });

  test('entries out of range are refused', () => {
    expect(() => ic.connections(-1, 0)).toThrow(RangeError);
    expect(() => ic.connections(0, 1e9)).toThrow(RangeError);
  });
});

describe('externalRegions', () => {
  test('the ipBlock cidr and except cut the space; pod and node addresses are holes; IPv6 hosts too', () => {
    const c: Cluster = {
      ...cluster({ namespaces: [ns('prod')] }),
      nodes: [{ name: 'n1', ips: [ip('192.168.0.1')] }],
      pods: [pod('prod', 'a', { app: 'a' }, ['10.2.0.5', 'fd00::5'])],
      policies: [
        policy('prod', 'out', sel(), {
          egress: [{ peers: [{ kind: 'ipBlock', ipBlock: { cidr: cidr('10.0.0.0/8'), except: [cidr('10.1.0.0/16')] } }], ports: [] }],
        }),
      ],
    };
    const ic = new ImageConnections(compile(c));
    const regions = ic.externalRegions();
    const text = regions.map((r) => `${r.family}:${r.first.toString(16)}-${r.last.toString(16)}`);
    expect(text).toEqual([
      '4:0-9ffffff',
      '4:a000000-a00ffff',
      '4:a010000-a01ffff',
      '4:a020000-a020004',
      '4:a020006-affffff',
      '4:b000000-c0a80000',
      '4:c0a80002-ffffffff',
      '6:0-fd000000000000000000000000000004',
      '6:fd000000000000000000000000000006-ffffffffffffffffffffffffffffffff',
    ]);
    // The entries: inside 10/8 one, outside it (and in its except, which no peer tells apart) another.
    const [outside, inside] = [regions[0]!.entry, regions[1]!.entry];
    expect(outside).not.toBe(inside);
    expect(regions.map((r) => r.entry)).toEqual([outside, inside, outside, inside, inside, outside, outside, regions[7]!.entry, regions[7]!.entry]);
    expect(ic.entryOf({ address: ip('10.200.0.1') })).toBe(inside);
    expect(ic.externalRegions()).toBe(regions);
  });
});
