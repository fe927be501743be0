// ClusterNetworkPolicy (v1alpha2), AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1):
// every CRD rule broken by one manifest (code, Go field path, line), valid manifests loaded into
// the expected model, policies of other APIs refused or ignored, same-priority ties, List kinds,
// Node labels.
import { describe, expect, it } from 'vitest';
import { loadClusterPolicy, loadText, type ClusterPolicy, type Issue } from '@netpol/core';
import { brief, dedent, errorsOf, expectIssue, expectRejected, load, warningsOf } from './util.js';

const HEADS = {
  cnp: 'apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n',
  anp: 'apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n',
  banp: 'apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n',
} as const;
type Kind = keyof typeof HEADS;

const indent = (text: string): string =>
  dedent(text)
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l.trim() === '' ? l : `  ${l}`))
    .join('\n');

/** A cluster-scoped policy; line 5 + i holds line i of `spec` (1-based). */
function doc(kind: Kind, spec: string, name = kind === 'banp' ? 'default' : 'p'): string {
  return `${HEADS[kind]}metadata:\n  name: ${name}\nspec:\n${indent(spec)}\n`;
}

const ADMIN = 'tier: Admin\npriority: 10\nsubject:\n  namespaces: {}\n';
/** A CNP of the Admin tier whose spec goes on with `rest` (its first line is spec line 5). */
const cnp = (rest: string): string => doc('cnp', ADMIN + dedent(rest));
const ANP_HEAD = 'priority: 10\nsubject:\n  namespaces: {}\n';
const anp = (rest: string): string => doc('anp', ANP_HEAD + dedent(rest));
const banp = (rest: string): string => doc('banp', 'subject:\n  namespaces: {}\n' + dedent(rest));

const repeat = (n: number, item: string): string => `[${Array(n).fill(item).join(', ')}]`;

interface Case {
  readonly text: string;
  readonly path: string;
  readonly code: string;
  readonly line: number;
}

/** Asserts the load fails with this error at this path and line. */
function rejects(c: Case): Issue {
  const r = load(c.text);
  const e = expectRejected(r, { path: c.path, code: c.code });
  expect(e.line, brief(r.issues).join('\n')).toBe(c.line);
  expect(e.file).toBe('test.yaml');
  expect(e.object).toMatch(/^(ClusterNetworkPolicy|AdminNetworkPolicy|BaselineAdminNetworkPolicy) /);
  return e;
}

describe('ClusterNetworkPolicy v1alpha2: every CRD rule', () => {
  const cases: [string, Case][] = [
    ['spec is required', { text: `${HEADS.cnp}metadata:\n  name: p\n`, path: 'spec', code: 'field-required', line: 1 }],
    ['tier is required', { text: doc('cnp', 'priority: 1\nsubject: {namespaces: {}}'), path: 'spec.tier', code: 'field-required', line: 5 }],
    [
      'tier is Admin or Baseline',
      { text: doc('cnp', 'tier: NetworkPolicy\npriority: 1\nsubject: {namespaces: {}}'), path: 'spec.tier', code: 'unsupported-tier', line: 6 },
    ],
    ['priority is required', { text: doc('cnp', 'tier: Admin\nsubject: {namespaces: {}}'), path: 'spec.priority', code: 'field-required', line: 5 }],
    [
      'priority at most 1000',
      { text: doc('cnp', 'tier: Admin\npriority: 1001\nsubject: {namespaces: {}}'), path: 'spec.priority', code: 'priority-out-of-range', line: 7 },
    ],
    [
      'priority at least 0',
      { text: doc('cnp', 'tier: Admin\npriority: -1\nsubject: {namespaces: {}}'), path: 'spec.priority', code: 'priority-out-of-range', line: 7 },
    ],
    [
      'priority is an integer',
      { text: doc('cnp', 'tier: Admin\npriority: "5"\nsubject: {namespaces: {}}'), path: 'spec.priority', code: 'wrong-type', line: 7 },
    ],
    ['subject is required', { text: doc('cnp', 'tier: Admin\npriority: 1'), path: 'spec.subject', code: 'field-required', line: 5 }],
    ['subject needs one field', { text: doc('cnp', 'tier: Admin\npriority: 1\nsubject: {}'), path: 'spec.subject', code: 'one-of-required', line: 8 }],
    [
      'subject takes one field only',
      {
        text: doc('cnp', 'tier: Admin\npriority: 1\nsubject:\n  namespaces: {}\n  pods: {podSelector: {}}'),
        path: 'spec.subject',
        code: 'one-of-conflict',
        line: 8,
      },
    ],
    [
      'subject pods need podSelector',
      {
        text: doc('cnp', 'tier: Admin\npriority: 1\nsubject:\n  pods:\n    namespaceSelector: {}'),
        path: 'spec.subject.pods.podSelector',
        code: 'field-required',
        line: 9,
      },
    ],
    ['unknown spec field', { text: cnp('egres: []'), path: 'spec.egres', code: 'unknown-field', line: 10 }],
    ['unknown top-level field', { text: `${cnp('')}extra: 1\n`, path: 'extra', code: 'unknown-field', line: 10 }],
    [
      'at most 25 ingress rules',
      { text: cnp(`ingress: ${repeat(26, '{action: Deny, from: [{namespaces: {}}]}')}`), path: 'spec.ingress', code: 'too-many-items', line: 10 },
    ],
    [
      'at most 25 egress rules',
      { text: cnp(`egress: ${repeat(26, '{action: Deny, to: [{namespaces: {}}]}')}`), path: 'spec.egress', code: 'too-many-items', line: 10 },
    ],
    ['action is required', { text: cnp('egress:\n- to: [{namespaces: {}}]'), path: 'spec.egress[0].action', code: 'field-required', line: 11 }],
    [
      'action is Accept, Deny or Pass',
      { text: cnp('egress:\n- action: Allow\n  to: [{namespaces: {}}]'), path: 'spec.egress[0].action', code: 'unsupported-action', line: 11 },
    ],
    [
      'rule name at most 100 characters',
      { text: cnp(`egress:\n- name: ${'n'.repeat(101)}\n  action: Deny\n  to: [{namespaces: {}}]`), path: 'spec.egress[0].name', code: 'too-long', line: 11 },
    ],
    ['to is required', { text: cnp('egress:\n- action: Deny'), path: 'spec.egress[0].to', code: 'field-required', line: 11 }],
    ['from is required', { text: cnp('ingress:\n- action: Deny'), path: 'spec.ingress[0].from', code: 'field-required', line: 11 }],
    ['to has at least 1 peer', { text: cnp('egress:\n- action: Deny\n  to: []'), path: 'spec.egress[0].to', code: 'too-few-items', line: 12 }],
    [
      'from has at most 25 peers',
      { text: cnp(`ingress:\n- action: Deny\n  from: ${repeat(26, '{namespaces: {}}')}`), path: 'spec.ingress[0].from', code: 'too-many-items', line: 12 },
    ],
    ['a peer needs one field', { text: cnp('egress:\n- action: Deny\n  to:\n  - {}'), path: 'spec.egress[0].to[0]', code: 'one-of-required', line: 13 }],
    [
      'a peer takes one field only',
      {
        text: cnp('egress:\n- action: Deny\n  to:\n  - namespaces: {}\n    networks: [10.0.0.0/8]'),
        path: 'spec.egress[0].to[0]',
        code: 'one-of-conflict',
        line: 13,
      },
    ],
    [
      'an ingress peer has no networks',
      { text: cnp('ingress:\n- action: Deny\n  from:\n  - networks: [10.0.0.0/8]'), path: 'spec.ingress[0].from[0].networks', code: 'unknown-field', line: 13 },
    ],
    [
      'a peer with only an unknown field (a newer CRD) is refused',
      { text: cnp('egress:\n- action: Deny\n  to:\n  - services: {}'), path: 'spec.egress[0].to[0]', code: 'one-of-required', line: 13 },
    ],
    [
      'peer pods need podSelector',
      {
        text: cnp('ingress:\n- action: Deny\n  from:\n  - pods: {namespaceSelector: {}}'),
        path: 'spec.ingress[0].from[0].pods.podSelector',
        code: 'field-required',
        line: 13,
      },
    ],
    [
      'a selector is checked as LabelSelectorAsSelector does',
      {
        text: cnp('egress:\n- action: Deny\n  to:\n  - nodes:\n      matchExpressions: [{key: a, operator: Has}]'),
        path: 'spec.egress[0].to[0].nodes.matchExpressions[0].operator',
        code: 'invalid-selector-operator',
        line: 14,
      },
    ],
    [
      'networks has at least 1 entry',
      { text: cnp('egress:\n- action: Deny\n  to:\n  - networks: []'), path: 'spec.egress[0].to[0].networks', code: 'too-few-items', line: 13 },
    ],
    [
      'networks has at most 25 entries',
      {
        text: cnp(`egress:\n- action: Deny\n  to:\n  - networks: ${repeat(26, '10.0.0.0/8')}`),
        path: 'spec.egress[0].to[0].networks',
        code: 'too-many-items',
        line: 13,
      },
    ],
    [
      'networks is a set',
      {
        text: cnp('egress:\n- action: Deny\n  to:\n  - networks:\n    - 10.0.0.0/8\n    - 10.0.0.0/8'),
        path: 'spec.egress[0].to[0].networks[1]',
        code: 'duplicate-entry',
        line: 15,
      },
    ],
    [
      'a network is a CIDR',
      { text: cnp('egress:\n- action: Deny\n  to:\n  - networks:\n    - 10.0.0.0'), path: 'spec.egress[0].to[0].networks[0]', code: 'invalid-cidr', line: 14 },
    ],
    [
      'isCIDR refuses leading zeros',
      {
        text: cnp('egress:\n- action: Deny\n  to:\n  - networks:\n    - 010.0.0.0/8'),
        path: 'spec.egress[0].to[0].networks[0]',
        code: 'cidr-leading-zeros',
        line: 14,
      },
    ],
    [
      'isCIDR refuses IPv4-mapped IPv6',
      {
        text: cnp('egress:\n- action: Deny\n  to:\n  - networks:\n    - "::ffff:10.0.0.0/104"'),
        path: 'spec.egress[0].to[0].networks[0]',
        code: 'cidr-ipv4-mapped',
        line: 14,
      },
    ],
    [
      'a CIDR is at most 43 characters',
      {
        text: cnp(`egress:\n- action: Deny\n  to:\n  - networks:\n    - "${'0'.repeat(40)}10.0.0.0/8"`),
        path: 'spec.egress[0].to[0].networks[0]',
        code: 'too-long',
        line: 14,
      },
    ],
    [
      'domainNames has at least 1 entry',
      { text: cnp('egress:\n- action: Accept\n  to:\n  - domainNames: []'), path: 'spec.egress[0].to[0].domainNames', code: 'too-few-items', line: 13 },
    ],
    [
      'domainNames has at most 25 entries',
      {
        text: cnp(`egress:\n- action: Accept\n  to:\n  - domainNames: ${repeat(26, 'example.com')}`),
        path: 'spec.egress[0].to[0].domainNames',
        code: 'too-many-items',
        line: 13,
      },
    ],
    [
      'domainNames is a set',
      {
        text: cnp('egress:\n- action: Accept\n  to:\n  - domainNames: [a.example.com, a.example.com]'),
        path: 'spec.egress[0].to[0].domainNames[1]',
        code: 'duplicate-entry',
        line: 13,
      },
    ],
    [
      'a domain name has two labels at least',
      {
        text: cnp('egress:\n- action: Accept\n  to:\n  - domainNames:\n    - localhost'),
        path: 'spec.egress[0].to[0].domainNames[0]',
        code: 'invalid-domain-name',
        line: 14,
      },
    ],
    [
      'the wildcard is a whole leading label only',
      {
        text: cnp('egress:\n- action: Accept\n  to:\n  - domainNames:\n    - "www.*.example.com"'),
        path: 'spec.egress[0].to[0].domainNames[0]',
        code: 'invalid-domain-name',
        line: 14,
      },
    ],
    [
      'a partial wildcard is refused',
      {
        text: cnp('egress:\n- action: Accept\n  to:\n  - domainNames:\n    - "*foo.example.com"'),
        path: 'spec.egress[0].to[0].domainNames[0]',
        code: 'invalid-domain-name',
        line: 14,
      },
    ],
    [
      'domainNames in a Deny rule',
      {
        text: cnp('egress:\n- action: Deny\n  to:\n  - domainNames: [example.com]'),
        path: 'spec.egress[0].to[0].domainNames',
        code: 'domain-names-not-accept',
        line: 13,
      },
    ],
    [
      'domainNames in a Pass rule',
      {
        text: cnp('egress:\n- action: Pass\n  to:\n  - namespaces: {}\n  - domainNames: [example.com]'),
        path: 'spec.egress[0].to[1].domainNames',
        code: 'domain-names-not-accept',
        line: 14,
      },
    ],
    [
      'CEL: networks peer with a named port',
      {
        text: cnp('egress:\n- action: Deny\n  to:\n  - networks: [10.0.0.0/8]\n  protocols:\n  - destinationNamedPort: http'),
        path: 'spec.egress[0]',
        code: 'named-port-with-address-peer',
        line: 11,
      },
    ],
    [
      'CEL: nodes peer with a named port',
      {
        text: cnp('egress:\n- action: Deny\n  to:\n  - pods: {podSelector: {}}\n  - nodes: {}\n  protocols:\n  - destinationNamedPort: http'),
        path: 'spec.egress[0]',
        code: 'named-port-with-address-peer',
        line: 11,
      },
    ],
    [
      'CEL: domainNames peer with a named port',
      {
        text: cnp('egress:\n- action: Accept\n  to:\n  - domainNames: [example.com]\n  protocols:\n  - destinationNamedPort: http'),
        path: 'spec.egress[0]',
        code: 'named-port-with-address-peer',
        line: 11,
      },
    ],
    [
      'protocols has at least 1 entry',
      {
        text: cnp('ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols: []'),
        path: 'spec.ingress[0].protocols',
        code: 'too-few-items',
        line: 13,
      },
    ],
    [
      'protocols has at most 25 entries',
      {
        text: cnp(`ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols: ${repeat(26, '{tcp: {destinationPort: {number: 80}}}')}`),
        path: 'spec.ingress[0].protocols',
        code: 'too-many-items',
        line: 13,
      },
    ],
    [
      'a protocol entry needs one field',
      {
        text: cnp('ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - {}'),
        path: 'spec.ingress[0].protocols[0]',
        code: 'one-of-required',
        line: 14,
      },
    ],
    [
      'a protocol entry takes one field only',
      {
        text: cnp(
          'ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - tcp: {destinationPort: {number: 80}}\n    udp: {destinationPort: {number: 80}}',
        ),
        path: 'spec.ingress[0].protocols[0]',
        code: 'one-of-conflict',
        line: 14,
      },
    ],
    [
      'tcp: {} is refused (MinProperties)',
      {
        text: cnp('ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - tcp: {}'),
        path: 'spec.ingress[0].protocols[0].tcp',
        code: 'one-of-required',
        line: 14,
      },
    ],
    [
      'destinationPort needs number or range',
      {
        text: cnp('ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - udp:\n      destinationPort: {}'),
        path: 'spec.ingress[0].protocols[0].udp.destinationPort',
        code: 'one-of-required',
        line: 15,
      },
    ],
    [
      'destinationPort takes number or range, not both',
      {
        text: cnp(
          'ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - sctp:\n      destinationPort: {number: 80, range: {start: 1, end: 2}}',
        ),
        path: 'spec.ingress[0].protocols[0].sctp.destinationPort',
        code: 'one-of-conflict',
        line: 15,
      },
    ],
    [
      'a port is at least 1',
      {
        text: cnp('ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - tcp:\n      destinationPort:\n        number: 0'),
        path: 'spec.ingress[0].protocols[0].tcp.destinationPort.number',
        code: 'invalid-port',
        line: 16,
      },
    ],
    [
      'a port is at most 65535',
      {
        text: cnp(
          'ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - tcp:\n      destinationPort:\n        range: {start: 1, end: 65536}',
        ),
        path: 'spec.ingress[0].protocols[0].tcp.destinationPort.range.end',
        code: 'invalid-port',
        line: 16,
      },
    ],
    [
      'range start below end',
      {
        text: cnp(
          'ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - tcp:\n      destinationPort:\n        range:\n          start: 80\n          end: 80',
        ),
        path: 'spec.ingress[0].protocols[0].tcp.destinationPort.range',
        code: 'port-range-order',
        line: 16,
      },
    ],
    [
      'range start is required',
      {
        text: cnp('ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - tcp:\n      destinationPort:\n        range:\n          end: 80'),
        path: 'spec.ingress[0].protocols[0].tcp.destinationPort.range.start',
        code: 'field-required',
        line: 16,
      },
    ],
    [
      'unknown protocol field',
      {
        text: cnp('ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - icmp: {}'),
        path: 'spec.ingress[0].protocols[0].icmp',
        code: 'unknown-field',
        line: 14,
      },
    ],
    [
      'v1alpha1 ports in a v1alpha2 rule',
      {
        text: cnp('ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  ports: [{portNumber: {port: 80}}]'),
        path: 'spec.ingress[0].ports',
        code: 'unknown-field',
        line: 13,
      },
    ],
    ['another apiVersion', { text: doc('cnp', ADMIN).replace('v1alpha2', 'v1alpha1'), path: 'apiVersion', code: 'unsupported-api-version', line: 1 }],
    ['a name is a DNS subdomain', { text: doc('cnp', ADMIN, 'Bad_Name'), path: 'metadata.name', code: 'invalid-name', line: 4 }],
  ];
  it.each(cases)('%s', (_name, c) => {
    rejects(c);
  });

  it('messages are the API server field errors', () => {
    const e = rejects({
      text: doc('cnp', 'tier: Admin\npriority: 1001\nsubject: {namespaces: {}}'),
      path: 'spec.priority',
      code: 'priority-out-of-range',
      line: 7,
    });
    expect(e.message).toBe('spec.priority: Invalid value: 1001: should be less than or equal to 1000');
    const tier = rejects({ text: doc('cnp', 'tier: Tier0\npriority: 1\nsubject: {namespaces: {}}'), path: 'spec.tier', code: 'unsupported-tier', line: 6 });
    expect(tier.message).toBe('spec.tier: Unsupported value: "Tier0": supported values: "Admin", "Baseline"');
    const many = rejects({
      text: cnp(`egress: ${repeat(26, '{action: Deny, to: [{namespaces: {}}]}')}`),
      path: 'spec.egress',
      code: 'too-many-items',
      line: 10,
    });
    expect(many.message).toBe('spec.egress: Too many: 26: must have at most 25 items');
  });

  it('every problem of a policy is listed, not only the first', () => {
    const r = load(cnp('egress:\n- action: Block\n  to:\n  - {}\n  protocols:\n  - tcp: {destinationPort: {number: 0}}'));
    expect(errorsOf(r.issues).map((i) => [i.code, i.path, i.line])).toEqual([
      ['unsupported-action', 'spec.egress[0].action', 11],
      ['one-of-required', 'spec.egress[0].to[0]', 13],
      ['invalid-port', 'spec.egress[0].protocols[0].tcp.destinationPort.number', 15],
    ]);
  });
});

describe('AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1: the rules that differ', () => {
  const cases: [string, Case][] = [
    ['ANP priority is required', { text: doc('anp', 'subject: {namespaces: {}}'), path: 'spec.priority', code: 'field-required', line: 5 }],
    [
      'ANP priority at most 1000',
      { text: doc('anp', 'priority: 2000\nsubject: {namespaces: {}}'), path: 'spec.priority', code: 'priority-out-of-range', line: 6 },
    ],
    ['ANP has no tier', { text: doc('anp', 'tier: Admin\n' + ANP_HEAD), path: 'spec.tier', code: 'unknown-field', line: 6 }],
    [
      'ANP action is Allow, Deny or Pass',
      { text: anp('egress:\n- action: Accept\n  to: [{namespaces: {}}]'), path: 'spec.egress[0].action', code: 'unsupported-action', line: 10 },
    ],
    [
      'ANP at most 100 rules',
      { text: anp(`ingress: ${repeat(101, '{action: Deny, from: [{namespaces: {}}]}')}`), path: 'spec.ingress', code: 'too-many-items', line: 9 },
    ],
    [
      'ANP at most 100 peers',
      { text: anp(`egress:\n- action: Deny\n  to: ${repeat(101, '{namespaces: {}}')}`), path: 'spec.egress[0].to', code: 'too-many-items', line: 11 },
    ],
    [
      'ANP at most 100 ports',
      {
        text: anp(`egress:\n- action: Deny\n  to: [{namespaces: {}}]\n  ports: ${repeat(101, '{portNumber: {port: 80}}')}`),
        path: 'spec.egress[0].ports',
        code: 'too-many-items',
        line: 12,
      },
    ],
    [
      'v1alpha1 pods need namespaceSelector',
      { text: doc('anp', 'priority: 1\nsubject:\n  pods:\n    podSelector: {}'), path: 'spec.subject.pods.namespaceSelector', code: 'field-required', line: 8 },
    ],
    [
      'a port entry needs one field',
      { text: anp('egress:\n- action: Deny\n  to: [{namespaces: {}}]\n  ports:\n  - {}'), path: 'spec.egress[0].ports[0]', code: 'one-of-required', line: 13 },
    ],
    [
      'a port entry takes one field only',
      {
        text: anp('egress:\n- action: Deny\n  to: [{namespaces: {}}]\n  ports:\n  - portNumber: {port: 80}\n    namedPort: http'),
        path: 'spec.egress[0].ports[0]',
        code: 'one-of-conflict',
        line: 13,
      },
    ],
    [
      'portNumber needs port',
      {
        text: anp('egress:\n- action: Deny\n  to: [{namespaces: {}}]\n  ports:\n  - portNumber:\n      protocol: UDP'),
        path: 'spec.egress[0].ports[0].portNumber.port',
        code: 'field-required',
        line: 13,
      },
    ],
    [
      'portNumber port 1-65535',
      {
        text: anp('egress:\n- action: Deny\n  to: [{namespaces: {}}]\n  ports:\n  - portNumber:\n      port: 0'),
        path: 'spec.egress[0].ports[0].portNumber.port',
        code: 'invalid-port',
        line: 14,
      },
    ],
    [
      'a protocol netpol cannot evaluate',
      {
        text: anp('egress:\n- action: Deny\n  to: [{namespaces: {}}]\n  ports:\n  - portRange:\n      protocol: ICMP\n      start: 1\n      end: 2'),
        path: 'spec.egress[0].ports[0].portRange.protocol',
        code: 'unsupported-protocol',
        line: 14,
      },
    ],
    [
      'portRange start below end',
      {
        text: anp('egress:\n- action: Deny\n  to: [{namespaces: {}}]\n  ports:\n  - portRange:\n      start: 9\n      end: 8'),
        path: 'spec.egress[0].ports[0].portRange',
        code: 'port-range-order',
        line: 13,
      },
    ],
    [
      'CEL: networks peer with namedPort',
      {
        text: anp('egress:\n- action: Deny\n  to: [{networks: [10.0.0.0/8]}]\n  ports: [{namedPort: http}]'),
        path: 'spec.egress[0]',
        code: 'named-port-with-address-peer',
        line: 10,
      },
    ],
    [
      'ANP domainNames in an Allow rule only',
      {
        text: anp('egress:\n- action: Pass\n  to:\n  - domainNames: [example.com]'),
        path: 'spec.egress[0].to[0].domainNames',
        code: 'domain-names-not-accept',
        line: 12,
      },
    ],
    [
      'v1alpha2 protocols in a v1alpha1 rule',
      {
        text: anp('egress:\n- action: Deny\n  to: [{namespaces: {}}]\n  protocols: [{tcp: {destinationPort: {number: 80}}}]'),
        path: 'spec.egress[0].protocols',
        code: 'unknown-field',
        line: 12,
      },
    ],
    ['BANP is named default', { text: doc('banp', 'subject: {namespaces: {}}', 'baseline'), path: 'metadata.name', code: 'banp-name-not-default', line: 4 }],
    ['BANP has no priority', { text: doc('banp', 'priority: 5\nsubject: {namespaces: {}}'), path: 'spec.priority', code: 'unknown-field', line: 6 }],
    [
      'BANP action is Allow or Deny',
      { text: banp('ingress:\n- action: Pass\n  from: [{namespaces: {}}]'), path: 'spec.ingress[0].action', code: 'unsupported-action', line: 9 },
    ],
    [
      'BANP has no domainNames peer',
      {
        text: banp('egress:\n- action: Allow\n  to:\n  - domainNames: [example.com]'),
        path: 'spec.egress[0].to[0].domainNames',
        code: 'unknown-field',
        line: 11,
      },
    ],
    [
      'BANP CEL: nodes peer with namedPort',
      {
        text: banp('egress:\n- action: Deny\n  to: [{nodes: {}}]\n  ports: [{namedPort: http}]'),
        path: 'spec.egress[0]',
        code: 'named-port-with-address-peer',
        line: 9,
      },
    ],
  ];
  it.each(cases)('%s', (_name, c) => {
    rejects(c);
  });
});

const sel = (matchLabels: Record<string, string> = {}) => ({ matchLabels, matchExpressions: [] });

describe('valid manifests load into the model', () => {
  it('a ClusterNetworkPolicy with every peer and port kind', () => {
    const text = doc(
      'cnp',
      `
      tier: Baseline
      priority: 0
      subject:
        pods:
          podSelector: {matchLabels: {app: web}}
      ingress:
      - name: from-monitoring
        action: Accept
        from:
        - namespaces: {matchLabels: {team: mon}}
        - pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: prom}}}
        protocols:
        - tcp: {destinationPort: {number: 9090}}
        - destinationNamedPort: metrics
      egress:
      - action: Pass
        to:
        - nodes: {matchLabels: {role: infra}}
        - networks: [10.0.0.0/8, "2001:db8::/32"]
        protocols:
        - udp: {destinationPort: {range: {start: 53, end: 54}}}
        - sctp: {destinationPort: {number: 9}}
      - name: ""
        action: Accept
        to:
        - domainNames: [example.com, "*.example.org", trailing.dot.]
      - action: Deny
        to:
        - pods: {podSelector: {}}
      `,
    );
    const r = load(text);
    expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
    const [p] = r.cluster!.clusterPolicies!;
    expect(p).toEqual<ClusterPolicy>({
      kind: 'ClusterNetworkPolicy',
      name: 'p',
      tier: 'Baseline',
      priority: 0,
      // v1alpha2: an absent namespaceSelector selects every namespace.
      subject: { kind: 'pods', namespaceSelector: sel(), podSelector: sel({ app: 'web' }) },
      ingress: [
        {
          name: 'from-monitoring',
          action: 'Accept',
          peers: [
            { kind: 'namespaces', namespaceSelector: sel({ team: 'mon' }) },
            { kind: 'pods', namespaceSelector: sel(), podSelector: sel({ app: 'prom' }) },
          ],
          ports: [
            { kind: 'range', protocol: 'TCP', start: 9090, end: 9090 },
            { kind: 'named', name: 'metrics' },
          ],
        },
      ],
      egress: [
        {
          action: 'Pass',
          peers: [
            { kind: 'nodes', nodeSelector: sel({ role: 'infra' }) },
            {
              kind: 'networks',
              networks: [
                { family: 4, prefix: 8, base: 0x0a000000n },
                { family: 6, prefix: 32, base: 0x20010db8n << 96n },
              ],
            },
          ],
          ports: [
            { kind: 'range', protocol: 'UDP', start: 53, end: 54 },
            { kind: 'range', protocol: 'SCTP', start: 9, end: 9 },
          ],
        },
        { action: 'Accept', peers: [{ kind: 'domainNames', domainNames: ['example.com', '*.example.org', 'trailing.dot.'] }], ports: [] },
        { action: 'Deny', peers: [{ kind: 'pods', namespaceSelector: sel(), podSelector: sel() }], ports: [] },
      ],
    });
    expect(r.cluster!.policies).toEqual([]);
    expect(r.cluster!.ignoredObjects).toBeUndefined();
  });

  it('an AdminNetworkPolicy: Allow is Accept, ports default to TCP; the BANP is Baseline priority 1001', () => {
    const text = [
      anp(`
        egress:
        - name: dns
          action: Allow
          to: [{pods: {namespaceSelector: {}, podSelector: {}}}]
          ports:
          - portNumber: {port: 53, protocol: UDP}
          - portRange: {start: 1000, end: 2000}
          - namedPort: dns-tcp
        - action: Pass
          to: [{networks: [192.168.0.0/16]}]
          ports: [{portNumber: {port: 443}}]
        `),
      banp(`
        ingress:
        - action: Deny
          from: [{namespaces: {}}]
        `),
    ].join('---\n');
    const r = load(text);
    expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
    const [a, b] = r.cluster!.clusterPolicies!;
    expect(a).toMatchObject({ kind: 'AdminNetworkPolicy', tier: 'Admin', priority: 10, subject: { kind: 'namespaces', namespaceSelector: sel() } });
    expect(a!.egress).toEqual([
      {
        name: 'dns',
        action: 'Accept',
        peers: [{ kind: 'pods', namespaceSelector: sel(), podSelector: sel() }],
        ports: [
          { kind: 'range', protocol: 'UDP', start: 53, end: 53 },
          { kind: 'range', protocol: 'TCP', start: 1000, end: 2000 },
          { kind: 'named', name: 'dns-tcp' },
        ],
      },
      {
        action: 'Pass',
        peers: [{ kind: 'networks', networks: [{ family: 4, prefix: 16, base: 0xc0a80000n }] }],
        ports: [{ kind: 'range', protocol: 'TCP', start: 443, end: 443 }],
      },
    ]);
    expect(b).toEqual<ClusterPolicy>({
      kind: 'BaselineAdminNetworkPolicy',
      name: 'default',
      tier: 'Baseline',
      priority: 1001,
      subject: { kind: 'namespaces', namespaceSelector: sel() },
      ingress: [{ action: 'Deny', peers: [{ kind: 'namespaces', namespaceSelector: sel() }], ports: [] }],
      egress: [],
    });
  });

  it('limits are inclusive: 25 v1alpha2 rules, 100 v1alpha1 rules, a 100-character rule name, ports 1 and 65535', () => {
    expect(load(cnp(`egress: ${repeat(25, '{action: Deny, to: [{namespaces: {}}]}')}`)).cluster).toBeDefined();
    expect(load(anp(`egress: ${repeat(100, '{action: Deny, to: [{namespaces: {}}]}')}`)).cluster).toBeDefined();
    expect(
      load(
        cnp(
          `egress:\n- name: ${'n'.repeat(100)}\n  action: Deny\n  to: [{namespaces: {}}]\n  protocols: [{tcp: {destinationPort: {range: {start: 1, end: 65535}}}}]`,
        ),
      ).cluster,
    ).toBeDefined();
    // maxLength counts characters, not UTF-16 units: 100 emoji are 200 units.
    const emoji = (n: number) => cnp(`egress:\n- name: "${'\u{1F512}'.repeat(n)}"\n  action: Deny\n  to: [{namespaces: {}}]`);
    expect(load(emoji(100)).cluster).toBeDefined();
    expectRejected(load(emoji(101)), { path: 'spec.egress[0].name', code: 'too-long' });
  });

  it('a network with host bits loads masked with a warning; an IPv6 one not in canonical form warns', () => {
    const r = load(cnp('egress:\n- action: Deny\n  to:\n  - networks: [10.1.2.3/8, "2001:DB8::/32"]'));
    expect(r.cluster, brief(r.issues).join('\n')).toBeDefined();
    expectIssue(r.issues, 'warning', { path: 'spec.egress[0].to[0].networks[0]', code: 'cidr-host-bits' });
    expectIssue(r.issues, 'warning', { path: 'spec.egress[0].to[0].networks[1]', code: 'cidr-not-canonical' });
    const peer = r.cluster!.clusterPolicies![0]!.egress[0]!.peers[0]!;
    expect(peer).toEqual({
      kind: 'networks',
      networks: [
        { family: 4, prefix: 8, base: 0x0a000000n },
        { family: 6, prefix: 32, base: 0x20010db8n << 96n },
      ],
    });
  });

  it('a named port no container port can have loads with a warning (it matches nothing)', () => {
    const r = load(cnp('ingress:\n- action: Deny\n  from: [{namespaces: {}}]\n  protocols:\n  - destinationNamedPort: Not_A_Port'));
    expect(r.cluster).toBeDefined();
    expectIssue(r.issues, 'warning', { path: 'spec.ingress[0].protocols[0].destinationNamedPort', code: 'invalid-port-name' });
  });

  it('null means absent, as the API server prunes it; status is accepted', () => {
    const r = load(`${cnp('ingress: null\negress:\n- action: Deny\n  name: null\n  to: [{namespaces: {}}]\n  protocols: null')}status:\n  conditions: []\n`);
    expect(r.cluster, brief(r.issues).join('\n')).toBeDefined();
    expect(r.cluster!.clusterPolicies![0]!.egress).toEqual([{ action: 'Deny', peers: [{ kind: 'namespaces', namespaceSelector: sel() }], ports: [] }]);
  });

  it('duplicates by kind and name are errors; a CNP and an ANP may share a name', () => {
    const dup = load(`${cnp('')}---\n${cnp('')}`);
    const e = expectRejected(dup, { path: 'metadata.name', code: 'duplicate-object' });
    expect(e.message).toContain('ClusterNetworkPolicy p is also defined at test.yaml:4');
    const two = load(`${cnp('')}---\n${anp('')}`);
    expect(two.cluster?.clusterPolicies?.map((p) => p.kind)).toEqual(['ClusterNetworkPolicy', 'AdminNetworkPolicy']);
  });

  it('a cluster without cluster-scoped policies has no clusterPolicies field (NetworkPolicy-only results unchanged)', () => {
    const r = load('apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n');
    expect(r.cluster).toBeDefined();
    expect('clusterPolicies' in r.cluster!).toBe(false);
    expect('ignoredObjects' in r.cluster!).toBe(false);
  });
});

describe('List kinds', () => {
  it('typed lists (items without kind) and a v1 List holding all three kinds', () => {
    const typed = JSON.stringify({
      apiVersion: 'policy.networking.k8s.io/v1alpha2',
      kind: 'ClusterNetworkPolicyList',
      items: [{ metadata: { name: 'a' }, spec: { tier: 'Admin', priority: 1, subject: { namespaces: {} } } }],
    });
    const anpList = JSON.stringify({
      apiVersion: 'policy.networking.k8s.io/v1alpha1',
      kind: 'AdminNetworkPolicyList',
      items: [{ metadata: { name: 'b' }, spec: { priority: 1, subject: { namespaces: {} } } }],
    });
    const banpList = JSON.stringify({
      apiVersion: 'policy.networking.k8s.io/v1alpha1',
      kind: 'BaselineAdminNetworkPolicyList',
      items: [{ metadata: { name: 'default' }, spec: { subject: { namespaces: {} } } }],
    });
    const r = load([typed, anpList, banpList].join('\n---\n'));
    expect(
      r.cluster?.clusterPolicies?.map((p) => `${p.kind}/${p.name}`),
      brief(r.issues).join('\n'),
    ).toEqual(['ClusterNetworkPolicy/a', 'AdminNetworkPolicy/b', 'BaselineAdminNetworkPolicy/default']);
    const list = `apiVersion: v1\nkind: List\nitems:\n${[cnp(''), anp(''), banp('')].map((d) => indentItem(d)).join('')}`;
    const l = load(list);
    expect(
      l.cluster?.clusterPolicies?.map((p) => p.kind),
      brief(l.issues).join('\n'),
    ).toEqual(['ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy']);
  });

  it('an error inside a List item has the item path and its line', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n${indentItem(doc('cnp', 'tier: Admin\npriority: 5000\nsubject: {namespaces: {}}'))}`;
    const r = load(list);
    const e = expectRejected(r, { path: 'spec.priority', code: 'priority-out-of-range' });
    expect(e.line).toBe(10);
  });
});

/** A manifest as one `- ` item of a YAML list. */
function indentItem(d: string): string {
  return d
    .replace(/\n$/, '')
    .split('\n')
    .map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`))
    .join('\n')
    .concat('\n');
}

const cilium = 'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: l7\n  namespace: prod\nspec: {endpointSelector: {}}\n';

describe('policy APIs netpol cannot evaluate', () => {
  const foreign: [string, string, string][] = [
    ['cilium.io/v2', 'CiliumNetworkPolicy', 'prod/x'],
    ['cilium.io/v2', 'CiliumClusterwideNetworkPolicy', 'x'],
    ['projectcalico.org/v3', 'NetworkPolicy', 'prod/x'],
    ['projectcalico.org/v3', 'GlobalNetworkPolicy', 'x'],
    ['crd.projectcalico.org/v1', 'GlobalNetworkPolicy', 'x'],
    ['crd.antrea.io/v1beta1', 'ClusterNetworkPolicy', 'x'],
    ['crd.antrea.io/v1beta1', 'NetworkPolicy', 'prod/x'],
    ['k8s.cni.cncf.io/v1beta1', 'MultiNetworkPolicy', 'prod/x'],
    ['k8s.ovn.org/v1', 'EgressFirewall', 'prod/x'],
    ['networking.gke.io/v1alpha1', 'FQDNNetworkPolicy', 'prod/x'],
    ['policy.networking.k8s.io/v1alpha1', 'ExternalNetworkSet', 'x'],
  ];
  it.each(foreign)('%s %s is an error naming the object, with its file and line', (apiVersion, kind, object) => {
    const text = `apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\napiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: x\n  namespace: prod\nspec: {}\n`;
    const r = load(text);
    const e = expectRejected(r, { path: 'kind', code: 'unsupported-policy' });
    expect([e.object, e.file, e.line, e.document]).toEqual([`${kind} ${object}`, 'test.yaml', 6, 1]);
    expect(e.message).toMatch(/verdicts that ignore it could say allowed/);
    expect(e.message).toContain('--ignore-unsupported-policies');
  });

  it('ignoreUnsupportedPolicies: a warning each, and the objects in Cluster.ignoredObjects', () => {
    const calico = 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: deny-all}\nspec: {}\n';
    const r = load(`${cilium}---\n${calico}---\n${cnp('')}`, { ignoreUnsupportedPolicies: true });
    expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
    expect(warningsOf(r.issues).map((i) => [i.code, i.object, i.line])).toEqual([
      ['unsupported-policy', 'CiliumNetworkPolicy prod/l7', 2],
      ['unsupported-policy', 'GlobalNetworkPolicy deny-all', 9],
    ]);
    expect(r.cluster!.ignoredObjects).toEqual([
      { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', namespace: 'prod', name: 'l7' },
      { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', name: 'deny-all' },
    ]);
    expect(r.cluster!.clusterPolicies).toHaveLength(1);
  });

  it('a namespaced object without a namespace is recorded in the default namespace', () => {
    const r = load(cilium.replace('  namespace: prod\n', ''), { ignoreUnsupportedPolicies: true, defaultNamespace: 'dev' });
    expect(r.cluster!.ignoredObjects).toEqual([{ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', namespace: 'dev', name: 'l7' }]);
  });

  it('a Calico staged policy is not enforced: skipped with a warning, even without the option', () => {
    const r = load('apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: s, namespace: a}\nspec: {}\n');
    expect(r.cluster).toBeDefined();
    expectIssue(r.issues, 'warning', { path: 'kind', code: 'skipped-kind' });
    expect(r.cluster!.ignoredObjects).toBeUndefined();
  });

  it('the option is type-checked like every load option', () => {
    expect(() => loadText(cilium, { ignoreUnsupportedPolicies: 'yes' as unknown as boolean })).toThrow(/ignoreUnsupportedPolicies/);
  });
});

const ns = (name: string, labels = ''): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: {${labels}}\n`;
const pod = (name: string, namespace: string, labels = ''): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n  labels: {${labels}}\nstatus: {podIP: 10.0.0.${name.length}}\n`;
const tied = (kind: Kind, name: string, subject: string, priority = 10, tier = 'Admin'): string =>
  doc(kind, `${kind === 'cnp' ? `tier: ${tier}\n` : ''}priority: ${priority}\nsubject:\n  ${subject}`, name);

describe('same-priority ties', () => {
  it('two policies of one tier and priority selecting a common pod: a warning naming both and the order', () => {
    const text = [
      ns('prod', 'env: prod'),
      pod('web', 'prod', 'app: web'),
      tied('cnp', 'zeta', 'namespaces: {matchLabels: {env: prod}}'),
      tied('anp', 'alpha', 'pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}'),
    ].join('---\n');
    const r = load(text);
    expect(r.cluster).toBeDefined();
    const ties = r.issues.filter((i) => i.code === 'priority-tie');
    expect(ties).toHaveLength(1);
    const t = ties[0]!;
    expect([t.severity, t.object, t.path, t.line]).toEqual(['warning', 'AdminNetworkPolicy alpha', 'spec.priority', 30]);
    expect(t.message).toContain('cnp/zeta (test.yaml:');
    expect(t.message).toContain('anp/alpha');
    expect(t.message).toContain('both select pod prod/web');
    expect(t.message).toContain('netpol evaluates cnp/zeta first');
  });

  it('no common pod, another tier or another priority: no warning', () => {
    const text = [
      ns('a', 'x: a'),
      ns('b', 'x: b'),
      pod('p1', 'a'),
      pod('p22', 'b'),
      tied('cnp', 'one', 'namespaces: {matchLabels: {x: a}}'),
      tied('cnp', 'two', 'namespaces: {matchLabels: {x: b}}'),
      tied('cnp', 'three', 'namespaces: {}', 10, 'Baseline'),
      tied('cnp', 'four', 'namespaces: {}', 11),
    ].join('---\n');
    const r = load(text);
    expect(r.cluster).toBeDefined();
    expect(r.issues.filter((i) => i.code === 'priority-tie')).toEqual([]);
  });

  it('without pods, every equal-priority pair of a tier is reported as unchecked', () => {
    const r = load(
      [tied('cnp', 'b', 'namespaces: {}'), tied('cnp', 'a', 'namespaces: {matchLabels: {x: z}}'), tied('anp', 'c', 'namespaces: {}')].join('---\n'),
    );
    const ties = r.issues.filter((i) => i.code === 'priority-tie');
    expect(ties.map((t) => t.message.match(/^spec\.priority: (\S+) .* and (\S+) are/)!.slice(1))).toEqual([
      ['cnp/a', 'cnp/b'],
      ['cnp/a', 'anp/c'],
      ['cnp/b', 'anp/c'],
    ]);
    for (const t of ties) expect(t.message).toContain('could not be checked');
  });

  it('hostNetwork pods are never subjects, so they make no tie', () => {
    const host = 'apiVersion: v1\nkind: Pod\nmetadata: {name: h, namespace: a}\nspec: {hostNetwork: true}\nstatus: {podIP: 10.1.0.1}\n';
    const r = load([ns('a'), host, tied('cnp', 'x', 'namespaces: {}'), tied('cnp', 'y', 'namespaces: {}')].join('---\n'));
    expect(r.issues.filter((i) => i.code === 'priority-tie')).toEqual([]);
  });

  it('at most 100 pair warnings and one saying more were left out', () => {
    const many = Array.from({ length: 16 }, (_, i) => tied('cnp', `p${i}`, 'namespaces: {}')).join('---\n');
    const ties = load(many).issues.filter((i) => i.code === 'priority-tie');
    expect(ties).toHaveLength(101);
    expect(ties[100]!.message).toContain('only the first 100 pairs are listed');
  });
});

describe('Node labels', () => {
  it('are loaded (for nodes peers) and validated like pod labels', () => {
    const node = 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: {role: infra}\nstatus: {addresses: [{type: InternalIP, address: 10.9.0.1}]}\n';
    const r = load(node);
    expect(r.cluster!.nodes[0]!.labels).toEqual({ role: 'infra' });
    const bare = load(node.replace('  labels: {role: infra}\n', ''));
    expect('labels' in bare.cluster!.nodes[0]!).toBe(false);
    const bad = load(node.replace('role: infra', '"-bad": x'));
    const e = expectRejected(bad, { path: 'metadata.labels', code: 'invalid-label-key' });
    expect(e.line).toBe(5);
  });
});

describe('loadClusterPolicy: one object, as a watch hands it in', () => {
  const obj = {
    apiVersion: 'policy.networking.k8s.io/v1alpha2',
    kind: 'ClusterNetworkPolicy',
    metadata: { name: 'w' },
    spec: { tier: 'Admin', priority: 3, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ networks: ['0.0.0.0/0'] }] }] },
  };

  it('gives the policy of a valid object', () => {
    const r = loadClusterPolicy(obj);
    expect(r.issues).toEqual([]);
    expect(r.policy).toMatchObject({ kind: 'ClusterNetworkPolicy', name: 'w', tier: 'Admin', priority: 3 });
  });

  it('gives every issue of an invalid one, with the loader codes and paths', () => {
    const r = loadClusterPolicy({ ...obj, spec: { ...obj.spec, priority: 9999 } }, { file: 'watch' });
    expect(r.policy).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => [i.code, i.path, i.file])).toEqual([['priority-out-of-range', 'spec.priority', 'watch']]);
  });

  it('refuses another kind', () => {
    const r = loadClusterPolicy({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });
    expect(r.policy).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => i.code)).toEqual(['unknown-kind']);
  });
});
