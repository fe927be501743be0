/**
 * docs/semantics.md §3.6: the invalid inputs of the upstream test files, one table row per
 * row of the spec (30 is an update, M5, and has no loader equivalent), then the inputs the
 * upstream tests accept.
 */
import { describe, expect, it } from 'vitest';
import { cluster } from '../helpers.js';
import { errorsOf, expectIssue, expectRejected, ipBlockOf, load, policyJson, brief } from './util.js';

const BAD_KEY = 'NoUppercaseOrSpecialCharsLike=Equals';
const ipBlockPeer = (cidr: string, except?: string[]) => ({ ipBlock: { cidr, ...(except && { except }) } });
const ingressPeer = (peer: unknown) => ({ podSelector: {}, ingress: [{ from: [peer] }] });
const egressPeer = (peer: unknown) => ({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [peer] }] });
const ingressPort = (port: unknown) => ({ podSelector: {}, ingress: [{ ports: [port] }] });
const egressPort = (port: unknown) => ({ podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [port] }] });
const labels = (matchLabels: Record<string, string>) => ({ podSelector: { matchLabels } });
const expression = (e: unknown) => ({ podSelector: { matchExpressions: [e] } });

interface Row {
  readonly row: number;
  readonly spec: unknown;
  readonly check: string;
  readonly path: string;
  readonly type: string;
}

const I = 'Invalid value';
const ingressCIDR = 'spec.ingress[0].from[0].ipBlock.cidr';
const ingressExcept0 = 'spec.ingress[0].from[0].ipBlock.except[0]';

const ROWS: Row[] = [
  {
    row: 1,
    spec: ingressPeer({ namespaceSelector: { matchLabels: { c: 'd' } }, ...ipBlockPeer('192.168.0.0/16', ['192.168.3.0/24']) }),
    check: 'R2',
    path: 'spec.ingress[0].from[0]',
    type: 'Forbidden',
  },
  {
    row: 2,
    spec: egressPeer({ podSelector: { matchLabels: { c: 'd' } }, ...ipBlockPeer('192.168.0.0/16', ['192.168.3.0/24']) }),
    check: 'R2',
    path: 'spec.egress[0].to[0]',
    type: 'Forbidden',
  },
  { row: 3, spec: ingressPeer({}), check: 'R1', path: 'spec.ingress[0].from[0]', type: 'Required value' },
  { row: 3, spec: egressPeer({}), check: 'R1', path: 'spec.egress[0].to[0]', type: 'Required value' },
  { row: 4, spec: labels({ [BAD_KEY]: 'b' }), check: 'S1', path: 'spec.podSelector.matchLabels', type: I },
  { row: 5, spec: ingressPort({ protocol: 'ICMP', port: 80 }), check: 'P1', path: 'spec.ingress[0].ports[0].protocol', type: 'Unsupported value' },
  { row: 6, spec: ingressPort({ protocol: 'TCP', port: 123456789 }), check: 'P2', path: 'spec.ingress[0].ports[0].port', type: I },
  { row: 7, spec: ingressPort({ protocol: 'TCP', port: '!@#$' }), check: 'P3', path: 'spec.ingress[0].ports[0].port', type: I },
  {
    row: 8,
    spec: ingressPeer({ podSelector: { matchLabels: { [BAD_KEY]: 'b' } } }),
    check: 'S1',
    path: 'spec.ingress[0].from[0].podSelector.matchLabels',
    type: I,
  },
  {
    row: 9,
    spec: egressPeer({ podSelector: { matchLabels: { [BAD_KEY]: 'b' } } }),
    check: 'S1',
    path: 'spec.egress[0].to[0].podSelector.matchLabels',
    type: I,
  },
  {
    row: 10,
    spec: ingressPeer({ namespaceSelector: { matchLabels: { [BAD_KEY]: 'b' } } }),
    check: 'S1',
    path: 'spec.ingress[0].from[0].namespaceSelector.matchLabels',
    type: I,
  },
  { row: 11, spec: egressPort({ protocol: 'ICMP', port: 80 }), check: 'P1', path: 'spec.egress[0].ports[0].protocol', type: 'Unsupported value' },
  { row: 12, spec: egressPort({ protocol: 'TCP', port: 123456789 }), check: 'P2', path: 'spec.egress[0].ports[0].port', type: I },
  { row: 13, spec: egressPort({ protocol: 'TCP', port: '!@#$' }), check: 'P3', path: 'spec.egress[0].ports[0].port', type: I },
  { row: 14, spec: ingressPeer(ipBlockPeer('', ['192.168.8.0/24'])), check: 'B1', path: ingressCIDR, type: 'Required value' },
  { row: 15, spec: ingressPeer(ipBlockPeer('192.168.5.6')), check: 'B2', path: ingressCIDR, type: I },
  { row: 16, spec: ingressPeer(ipBlockPeer('fd00:192:168::')), check: 'B2', path: ingressCIDR, type: I },
  { row: 17, spec: ingressPeer(ipBlockPeer('192.168.8.0/24', [''])), check: 'B6', path: ingressExcept0, type: I },
  { row: 18, spec: ingressPeer(ipBlockPeer('192.168.8.0/24', [' '])), check: 'B6', path: ingressExcept0, type: I },
  { row: 19, spec: ingressPeer(ipBlockPeer('192.168.8.0/24', ['300.300.300.300'])), check: 'B6', path: ingressExcept0, type: I },
  { row: 20, spec: ingressPeer(ipBlockPeer('192.168.8.0/24', ['192.168.9.1/32'])), check: 'B7', path: ingressExcept0, type: I },
  { row: 21, spec: ingressPeer(ipBlockPeer('192.168.0.0/24', ['192.168.0.0/24'])), check: 'B7', path: ingressExcept0, type: I },
  { row: 22, spec: ingressPeer(ipBlockPeer('fd00:192:168:1::/64', ['fd00:192:168:2::/64'])), check: 'B7', path: ingressExcept0, type: I },
  { row: 23, spec: { podSelector: {}, policyTypes: ['foo', 'bar'] }, check: 'T2', path: 'spec.policyTypes[0]', type: 'Unsupported value' },
  { row: 23, spec: { podSelector: {}, policyTypes: ['foo', 'bar'] }, check: 'T2', path: 'spec.policyTypes[1]', type: 'Unsupported value' },
  { row: 24, spec: { podSelector: {}, policyTypes: ['foo', 'bar', 'baz'] }, check: 'T1', path: 'spec.policyTypes', type: I },
  { row: 25, spec: ingressPort({ protocol: 'UDP', port: 35000, endPort: 32768 }), check: 'P4', path: 'spec.ingress[0].ports[0].endPort', type: I },
  { row: 26, spec: ingressPort({ protocol: 'UDP', port: 'dns', endPort: 32768 }), check: 'P6', path: 'spec.ingress[0].ports[0].endPort', type: I },
  { row: 27, spec: ingressPort({ protocol: 'TCP', endPort: 32768 }), check: 'P7', path: 'spec.ingress[0].ports[0].endPort', type: I },
  { row: 28, spec: ingressPort({ protocol: 'SCTP', port: 35000, endPort: 32768 }), check: 'P4', path: 'spec.ingress[0].ports[0].endPort', type: I },
  { row: 29, spec: ingressPort({ protocol: 'TCP', port: 30000, endPort: 65537 }), check: 'P5', path: 'spec.ingress[0].ports[0].endPort', type: I },
  // Row 30 (metadata.name changed by an update, M5) needs an old object: not a loader case.
  { row: 31, spec: expression({ key: '-key', operator: 'In', values: ['value'] }), check: 'S6', path: 'spec.podSelector.matchExpressions[0].key', type: I },
  { row: 32, spec: expression({ key: 'key', operator: 'abc' }), check: 'S3', path: 'spec.podSelector.matchExpressions[0].operator', type: I },
  {
    row: 33,
    spec: expression({ key: 'key', operator: 'In', values: ['-value'] }),
    check: 'S7',
    path: 'spec.podSelector.matchExpressions[0].values[0]',
    type: I,
  },
  { row: 34, spec: labels({ 'only/one/slash': 'v' }), check: 'S1', path: 'spec.podSelector.matchLabels', type: I },
  { row: 35, spec: labels({ 'cantendwithadash-': 'v' }), check: 'S1', path: 'spec.podSelector.matchLabels', type: I },
  { row: 36, spec: labels({ ['a'.repeat(254)]: 'v' }), check: 'S1', path: 'spec.podSelector.matchLabels', type: I },
  ...['Example.com/abc', 'example_com/abc', '/simple', 'example.com/'].map((key) => ({
    row: 37,
    spec: labels({ [key]: 'v' }),
    check: 'S1',
    path: 'spec.podSelector.matchLabels',
    type: I,
  })),
  ...['bad,value', 'some\\bad\\value', '?#$notsogood', 'a'.repeat(64), '-starts-with-dash', 'ends.with.dot.', 'Tama-nui-te-rā.2000-01-01'].map((value) => ({
    row: 38,
    spec: labels({ key: value }),
    check: 'S2',
    path: 'spec.podSelector.matchLabels',
    type: I,
  })),
  ...['longerthan15characters', '', '12345', '1-2-3-4', '-begin', 'end-', 'two--hyphens', 'whois++'].map((port) => ({
    row: 39,
    spec: ingressPort({ port }),
    check: 'P3',
    path: 'spec.ingress[0].ports[0].port',
    type: I,
  })),
  ...[0, -1, 65536].map((port) => ({ row: 40, spec: egressPort({ port }), check: 'P2', path: 'spec.egress[0].ports[0].port', type: I })),
  ...['aaaaaaa', '192.168.0.1/healthz', '192.168.0.1/0/99', '192.168.0.0/-16', '192.168.0.0/+16'].map((cidr) => ({
    row: 44,
    spec: ingressPeer(ipBlockPeer(cidr)),
    check: 'B2',
    path: ingressCIDR,
    type: I,
  })),
];

describe('§3.6 invalid inputs are rejected at the expected path', () => {
  it('covers every row but the update-only row 30', () => {
    const covered = new Set(ROWS.map((r) => r.row));
    for (const row of [41, 42, 43]) covered.add(row); // the strict-only rows, below
    const missing = Array.from({ length: 44 }, (_, i) => i + 1).filter((n) => n !== 30 && !covered.has(n));
    expect(missing).toEqual([]);
  });

  it.each(ROWS.map((r) => [r.row, JSON.stringify(r.spec).slice(0, 90), r] as const))('row %i: %s', (_row, _text, r) => {
    const result = load(policyJson(r.spec));
    expectRejected(result, { check: r.check, path: r.path, type: r.type });
    // Nothing about these inputs is legacy: strict mode says the same.
    expectRejected(load(policyJson(r.spec), { strict: true }), { check: r.check, path: r.path, type: r.type });
  });

  it('row 23 reports both bad policyTypes and row 24 only the length', () => {
    expect(errorsOf(load(policyJson({ policyTypes: ['foo', 'bar'] })).issues).map((i) => i.path)).toEqual(['spec.policyTypes[0]', 'spec.policyTypes[1]']);
    expect(errorsOf(load(policyJson({ policyTypes: ['foo', 'bar', 'baz'] })).issues).map((i) => i.path)).toEqual(['spec.policyTypes']);
  });

  it('row 14: an empty cidr stops the checks of that ipBlock (the bad except is not reported)', () => {
    const r = load(policyJson(ingressPeer(ipBlockPeer('', ['nonsense']))));
    expect(errorsOf(r.issues).map((i) => i.path)).toEqual([ingressCIDR]);
  });
});

/** Rows 41-43: legacy CIDR forms. Rejected by a strict (1.36+) server, warned and masked otherwise. */
const LEGACY: { row: number; check: string; cidr: string; evaluated: string }[] = [
  { row: 41, check: 'B3', cidr: '1.1.01.0/24', evaluated: '1.1.1.0/24' },
  { row: 41, check: 'B3', cidr: '192.168.0.0/016', evaluated: '192.168.0.0/16' },
  { row: 42, check: 'B4', cidr: '::ffff:1.1.1.0/120', evaluated: '1.1.1.0/24' },
  // Go's ParseCIDR masks the 16-byte address to /24 first, which clears the ::ffff: marker,
  // so IPNet.Contains treats the result as the IPv6 network ::/24 (it matches no IPv4 address).
  { row: 42, check: 'B4', cidr: '::ffff:1.1.1.0/24', evaluated: '::/24' },
  { row: 43, check: 'B5', cidr: '1.2.3.4/24', evaluated: '1.2.3.0/24' },
  { row: 43, check: 'B5', cidr: '2001:db8::1/64', evaluated: '2001:db8::/64' },
];

describe('§3.6 rows 41-43: legacy CIDR forms', () => {
  describe.each(LEGACY)('row $row: $cidr', ({ check, cidr, evaluated }) => {
    it('is rejected with strict', () => {
      expectRejected(load(policyJson(ingressPeer(ipBlockPeer(cidr))), { strict: true }), { check, path: ingressCIDR, type: I });
    });

    it('is accepted with a warning at the same path without strict', () => {
      const r = load(policyJson(ingressPeer(ipBlockPeer(cidr))));
      expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
      expect(r.cluster).toBeDefined();
      const w = expectIssue(r.issues, 'warning', { check, path: ingressCIDR, type: I });
      expect(w.message).toContain(JSON.stringify(cidr));
    });

    it(`is evaluated masked, as ${evaluated}`, () => {
      expect(ipBlockOf(cluster(policyJson(ingressPeer(ipBlockPeer(cidr)))).policies[0]!).cidr).toBe(evaluated);
    });

    it('is reported at its index inside except too (check B6)', () => {
      // A /0 of the same evaluated family contains every except.
      const outer = evaluated.includes(':') ? '::/0' : '0.0.0.0/0';
      const spec = egressPeer(ipBlockPeer(outer, [evaluated.includes(':') ? '2001:db8:1::/48' : '10.0.0.0/8', cidr]));
      const path = 'spec.egress[0].to[0].ipBlock.except[1]';
      expectRejected(load(policyJson(spec), { strict: true }), { check: 'B6', path, type: I });
      const r = load(policyJson(spec));
      expectIssue(r.issues, 'warning', { check: 'B6', path, type: I });
      expect(ipBlockOf(cluster(policyJson(spec)).policies[0]!, 'egress').except).toEqual([
        evaluated.includes(':') ? '2001:db8:1::/48' : '10.0.0.0/8',
        evaluated,
      ]);
    });
  });
});

describe('§3.6 inputs accepted by the upstream tests', () => {
  const ACCEPTED: [string, unknown][] = [
    ['ingress: []', { podSelector: {}, ingress: [] }],
    ['a rule with from: [] and ports: []', { podSelector: {}, ingress: [{ from: [], ports: [] }] }],
    ['{protocol: nil, port: 80}', ingressPort({ protocol: null, port: 80 })],
    ['{protocol: TCP} without port', ingressPort({ protocol: 'TCP' })],
    ['{UDP, "dns"}', ingressPort({ protocol: 'UDP', port: 'dns' })],
    ['{SCTP, 7777}', ingressPort({ protocol: 'SCTP', port: 7777 })],
    [
      'podSelector and namespaceSelector in one peer',
      ingressPeer({ podSelector: { matchLabels: { a: 'b' } }, namespaceSelector: { matchLabels: { c: 'd' } } }),
    ],
    ['{port: 32000, endPort: 32768}', egressPort({ port: 32000, endPort: 32768 })],
    ['{TCP, 32768, endPort: 32768}', egressPort({ protocol: 'TCP', port: 32768, endPort: 32768 })],
    ['policyTypes [Egress]', { podSelector: {}, policyTypes: ['Egress'] }],
    ['policyTypes [Ingress, Egress]', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }],
    ['IPv6 ipBlock with except', ingressPeer(ipBlockPeer('fd00:192:168::/48', ['fd00:192:168:3::/64', 'fd00:192:168:4::/64']))],
    ['IPv6 ipBlock egress', egressPeer(ipBlockPeer('fd00:192:168::/48', ['fd00:192:168:3::/64']))],
    ['IPv4 ipBlock with except', ingressPeer(ipBlockPeer('192.168.0.0/16', ['192.168.3.0/24', '192.168.4.0/24']))],
  ];

  it.each(ACCEPTED)('%s', (_name, spec) => {
    for (const strict of [false, true]) {
      const r = load(policyJson(spec), { strict });
      expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
      expect(r.cluster?.policies).toHaveLength(1);
    }
  });

  // §3.2 "Not validated (accepted as-is)".
  const NOT_VALIDATED: [string, unknown][] = [
    ['duplicate and overlapping ports', { podSelector: {}, ingress: [{ ports: [{ port: 80 }, { port: 80 }, { port: 70, endPort: 90 }] }] }],
    [
      'duplicate rules, peers and excepts',
      {
        podSelector: {},
        ingress: [{ from: [ipBlockPeer('10.0.0.0/8', ['10.1.0.0/16', '10.1.0.0/16']), ipBlockPeer('10.0.0.0/8')] }, { from: [ipBlockPeer('10.0.0.0/8')] }],
      },
    ],
    ['duplicate policyTypes', { podSelector: {}, policyTypes: ['Ingress', 'Ingress'] }],
    ['rules for a direction missing from policyTypes', { podSelector: {}, policyTypes: ['Ingress'], egress: [{ to: [{ podSelector: {} }] }] }],
    [
      'a selector that can never match',
      {
        podSelector: {
          matchExpressions: [
            { key: 'a', operator: 'Exists' },
            { key: 'a', operator: 'DoesNotExist' },
          ],
        },
      },
    ],
    ['a named port no pod defines', ingressPort({ port: 'nowhere' })],
    [
      'endPort on UDP and SCTP',
      {
        podSelector: {},
        ingress: [
          {
            ports: [
              { protocol: 'UDP', port: 1, endPort: 2 },
              { protocol: 'SCTP', port: 3, endPort: 4 },
            ],
          },
        ],
      },
    ],
    [
      'many rules and peers',
      { podSelector: {}, ingress: Array.from({ length: 50 }, () => ({ from: Array.from({ length: 20 }, () => ({ podSelector: {} })) })) },
    ],
  ];

  it.each(NOT_VALIDATED)('not validated: %s', (_name, spec) => {
    const r = load(policyJson(spec), { strict: true });
    expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
    expect(r.cluster?.policies).toHaveLength(1);
  });
});
