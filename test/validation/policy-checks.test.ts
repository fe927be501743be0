/**
 * One test per check of docs/semantics.md §3.2: a YAML policy that breaks exactly that
 * rule, deep in the object so that the Go-style path is really checked.
 * M3 (namespace required) cannot fire: like kubectl, a missing namespace takes the default.
 * M5 (name/namespace immutable) is an update-only check; a loader sees no old object, so it
 * has no test here.
 */
import { describe, expect, it } from 'vitest';
import { errorsOf, expectOnlyErrors, expectRejected, load, policyYaml } from './util.js';

const INVALID = 'Invalid value';
const REQUIRED = 'Required value';
const UNSUPPORTED = 'Unsupported value';
const FORBIDDEN = 'Forbidden';

describe('metadata (M1-M4)', () => {
  it('M1: name is required', () => {
    const r = load(policyYaml('podSelector: {}', 'namespace: ns'));
    expectOnlyErrors(r, [{ check: 'M1', path: 'metadata.name', type: REQUIRED }]);
  });

  it('M1: generateName stands in for name', () => {
    const r = load(policyYaml('podSelector: {}', 'generateName: web-\nnamespace: ns'));
    expect(r.cluster?.policies).toHaveLength(1);
    expect(r.cluster!.policies[0]!.name.startsWith('web-')).toBe(true);
  });

  it('M2: name must be a DNS-1123 subdomain', () => {
    const e = expectRejected(load(policyYaml('podSelector: {}', 'name: Allow_Web\nnamespace: ns')), { check: 'M2', path: 'metadata.name', type: INVALID });
    expect(e.message).toContain('"Allow_Web"');
    expect(e.message).toContain('RFC 1123 subdomain');
  });

  it('M2: name is at most 253 characters (253 is fine)', () => {
    const ok = `${'a'.repeat(61)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`;
    expect(ok).toHaveLength(253);
    expect(load(policyYaml('podSelector: {}', `name: ${ok}\nnamespace: ns`)).cluster).toBeDefined();
    const tooLong = `x${ok}`;
    expectOnlyErrors(load(policyYaml('podSelector: {}', `name: ${tooLong}\nnamespace: ns`)), [{ check: 'M2', path: 'metadata.name', type: INVALID }]);
  });

  it('M4: namespace must be a DNS-1123 label (dots and upper case are not allowed)', () => {
    expectOnlyErrors(load(policyYaml('podSelector: {}', 'name: p\nnamespace: team.a')), [{ check: 'M4', path: 'metadata.namespace', type: INVALID }]);
    expectOnlyErrors(load(policyYaml('podSelector: {}', 'name: p\nnamespace: TeamA')), [{ check: 'M4', path: 'metadata.namespace', type: INVALID }]);
  });

  it('M4: namespace is at most 63 characters', () => {
    expect(load(policyYaml('podSelector: {}', `name: p\nnamespace: ${'n'.repeat(63)}`)).cluster).toBeDefined();
    expectOnlyErrors(load(policyYaml('podSelector: {}', `name: p\nnamespace: ${'n'.repeat(64)}`)), [
      { check: 'M4', path: 'metadata.namespace', type: INVALID },
    ]);
  });
});

describe('label selectors (S1-S7)', () => {
  it('S1: matchLabels key must be a qualified name; the path stops at matchLabels', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        egress:
        - {}
        - to:
          - podSelector: {}
          - ipBlock: {cidr: 10.0.0.0/8}
          - namespaceSelector:
              matchLabels:
                team: a
                bad/key/here: x
      `),
    );
    const e = expectRejected(r, { check: 'S1', path: 'spec.egress[1].to[2].namespaceSelector.matchLabels', type: INVALID });
    expect(e.message).toContain('"bad/key/here"');
  });

  it('S1: on spec.podSelector', () => {
    const r = load(policyYaml('podSelector:\n  matchLabels: {"app name": web}'));
    expectOnlyErrors(r, [{ check: 'S1', path: 'spec.podSelector.matchLabels', type: INVALID }]);
  });

  it('S2: matchLabels value must be a label value', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        ingress:
        - {}
        - {}
        - from:
          - namespaceSelector: {}
          - podSelector:
              matchLabels: {app: -web}
      `),
    );
    const e = expectRejected(r, { check: 'S2', path: 'spec.ingress[2].from[1].podSelector.matchLabels', type: INVALID });
    expect(e.message).toContain('"-web"');
    expect(r.issues.filter((i) => i.severity === 'error')).toHaveLength(1);
  });

  it('S3: operator must be In, NotIn, Exists or DoesNotExist (case-sensitive)', () => {
    const r = load(
      policyYaml(`
        podSelector:
          matchExpressions:
          - {key: a, operator: Exists}
          - {key: b, operator: in, values: [x]}
      `),
    );
    const e = expectRejected(r, { check: 'S3', path: 'spec.podSelector.matchExpressions[1].operator', type: INVALID });
    expect(e.message).toBe('spec.podSelector.matchExpressions[1].operator: Invalid value: "in": not a valid selector operator');
    expect(r.issues.filter((i) => i.severity === 'error')).toHaveLength(1);
  });

  it('S4: In and NotIn need at least one value', () => {
    const r = load(
      policyYaml(`
        podSelector:
          matchExpressions:
          - {key: a, operator: Exists}
          - {key: b, operator: DoesNotExist}
          - {key: c, operator: In, values: []}
          - {key: d, operator: NotIn}
      `),
    );
    expectOnlyErrors(r, [
      { check: 'S4', path: 'spec.podSelector.matchExpressions[2].values', type: REQUIRED },
      { check: 'S4', path: 'spec.podSelector.matchExpressions[3].values', type: REQUIRED },
    ]);
  });

  it('S5: Exists and DoesNotExist take no values', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        ingress:
        - from:
          - podSelector: {}
          - namespaceSelector:
              matchExpressions:
              - {key: a, operator: In, values: [x]}
              - {key: b, operator: Exists, values: [x]}
              - {key: c, operator: DoesNotExist, values: [w, z]}
      `),
    );
    expectOnlyErrors(r, [
      { check: 'S5', path: 'spec.ingress[0].from[1].namespaceSelector.matchExpressions[1].values', type: FORBIDDEN },
      { check: 'S5', path: 'spec.ingress[0].from[1].namespaceSelector.matchExpressions[2].values', type: FORBIDDEN },
    ]);
  });

  it('S6: expression key must be a qualified name', () => {
    const r = load(
      policyYaml(`
        podSelector:
          matchExpressions:
          - {key: ok, operator: Exists}
          - {key: "a/b/c", operator: Exists}
      `),
    );
    const e = expectRejected(r, { check: 'S6', path: 'spec.podSelector.matchExpressions[1].key', type: INVALID });
    expect(e.message).toContain('"a/b/c"');
    expect(r.issues.filter((i) => i.severity === 'error')).toHaveLength(1);
  });

  it('S7: each expression value must be a label value, reported at its index', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        egress:
        - to:
          - podSelector:
              matchExpressions:
              - {key: tier, operator: NotIn, values: [web, "bad value", db, "x_"]}
      `),
    );
    expectOnlyErrors(r, [
      { check: 'S7', path: 'spec.egress[0].to[0].podSelector.matchExpressions[0].values[1]', type: INVALID },
      { check: 'S7', path: 'spec.egress[0].to[0].podSelector.matchExpressions[0].values[3]', type: INVALID },
    ]);
  });
});

describe('ports (P1-P7)', () => {
  it('P1: protocol must be TCP, UDP or SCTP in exact case', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        ingress:
        - {}
        - ports:
          - {protocol: UDP, port: 53}
          - {protocol: SCTP}
          - {protocol: tcp, port: 80}
      `),
    );
    const e = expectRejected(r, { check: 'P1', path: 'spec.ingress[1].ports[2].protocol', type: UNSUPPORTED });
    expect(e.message).toBe('spec.ingress[1].ports[2].protocol: Unsupported value: "tcp": supported values: "TCP", "UDP", "SCTP"');
    expect(r.issues.filter((i) => i.severity === 'error')).toHaveLength(1);
  });

  it('P2: numeric port must be 1..65535', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        egress:
        - ports: [{port: 1}, {port: 65535}]
        - ports: [{port: 80}, {port: 0}, {port: 65536}]
      `),
    );
    expectOnlyErrors(r, [
      { check: 'P2', path: 'spec.egress[1].ports[1].port', type: INVALID },
      { check: 'P2', path: 'spec.egress[1].ports[2].port', type: INVALID },
    ]);
    expect(r.issues.find((i) => i.path === 'spec.egress[1].ports[2].port')!.message).toBe(
      'spec.egress[1].ports[2].port: Invalid value: 65536: must be between 1 and 65535, inclusive',
    );
  });

  it('P3: a named port must pass IsValidPortName (one error per broken rule)', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        ingress:
        - ports:
          - {port: http}
          - {port: Http}
      `),
    );
    expectOnlyErrors(r, [{ check: 'P3', path: 'spec.ingress[0].ports[1].port', type: INVALID }]);
    // "-Web--" breaks the charset rule, the double hyphen rule and the edge hyphen rule.
    const r2 = load(policyYaml('podSelector: {}\ningress:\n- ports:\n  - {port: "-Web--"}'));
    expect(r2.issues.filter((i) => i.check === 'P3' && i.path === 'spec.ingress[0].ports[0].port')).toHaveLength(3);
  });

  it('P4: endPort must be >= port', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        egress:
        - ports:
          - {port: 100, endPort: 100}
          - {port: 100, endPort: 200}
          - {protocol: UDP, port: 100, endPort: 99}
      `),
    );
    expectOnlyErrors(r, [{ check: 'P4', path: 'spec.egress[0].ports[2].endPort', type: INVALID }]);
    expect(errorsOf(r.issues)[0]!.message).toContain('must be greater than or equal to `port`');
  });

  it('P5: endPort must be 1..65535', () => {
    const r = load(policyYaml('podSelector: {}\ningress:\n- {}\n- ports:\n  - {port: 22}\n  - {port: 1000, endPort: 65536}'));
    expectOnlyErrors(r, [{ check: 'P5', path: 'spec.ingress[1].ports[1].endPort', type: INVALID }]);
  });

  it('P6: endPort is not allowed with a named port', () => {
    const r = load(policyYaml('podSelector: {}\negress:\n- to: [{podSelector: {}}]\n  ports:\n  - {port: dns}\n  - {protocol: UDP, port: dns, endPort: 60}'));
    const e = expectRejected(r, { check: 'P6', path: 'spec.egress[0].ports[1].endPort', type: INVALID });
    expect(e.message).toContain('may not be specified when `port` is non-numeric');
    expect(r.issues.filter((i) => i.severity === 'error')).toHaveLength(1);
  });

  it('P7: endPort is not allowed without port', () => {
    const r = load(policyYaml('podSelector: {}\ningress:\n- ports: [{port: 80}]\n- ports: [{protocol: TCP}, {protocol: TCP, endPort: 90}]'));
    const e = expectRejected(r, { check: 'P7', path: 'spec.ingress[1].ports[1].endPort', type: INVALID });
    expect(e.message).toContain('may not be specified when `port` is not specified');
    expect(r.issues.filter((i) => i.severity === 'error')).toHaveLength(1);
  });
});

describe('peers (R1-R3)', () => {
  it('R1: a peer must set podSelector, namespaceSelector or ipBlock', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        ingress:
        - from: [{podSelector: {}}]
        - from:
          - namespaceSelector: {}
          - ipBlock: {cidr: 10.0.0.0/8}
          - {}
        egress:
        - to: [{podSelector: {}}, {}]
      `),
    );
    expectOnlyErrors(r, [
      { check: 'R1', path: 'spec.ingress[1].from[2]', type: REQUIRED },
      { check: 'R1', path: 'spec.egress[0].to[1]', type: REQUIRED },
    ]);
    expect(r.issues.find((i) => i.check === 'R1')!.message).toBe('spec.ingress[1].from[2]: Required value: must specify a peer');
  });

  it('R2: ipBlock may not be combined with a selector', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        egress:
        - {}
        - to:
          - podSelector: {}
          - {podSelector: {}, namespaceSelector: {}}
          - namespaceSelector: {}
            ipBlock: {cidr: 10.0.0.0/8}
      `),
    );
    const e = expectRejected(r, { check: 'R2', path: 'spec.egress[1].to[2]', type: FORBIDDEN });
    expect(e.message).toBe('spec.egress[1].to[2]: Forbidden: may not specify both ipBlock and another peer');
    expect(r.issues.filter((i) => i.severity === 'error')).toHaveLength(1);
  });

  it('R3: peer selectors are validated like any selector (S1-S7)', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        ingress:
        - from:
          - podSelector: {}
          - podSelector:
              matchExpressions:
              - {key: app, operator: Equals, values: [x]}
            namespaceSelector:
              matchLabels: {"-team": a}
      `),
    );
    expect(r.cluster).toBeUndefined();
    const errors = r.issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => [i.path, i.type])).toEqual([
      ['spec.ingress[0].from[1].podSelector.matchExpressions[0].operator', INVALID],
      ['spec.ingress[0].from[1].namespaceSelector.matchLabels', INVALID],
    ]);
    expect(['S3', 'R3']).toContain(errors[0]!.check);
    expect(['S1', 'R3']).toContain(errors[1]!.check);
  });
});

describe('ipBlock (B1-B7)', () => {
  /** An egress policy whose egress[1].to[2] is the given ipBlock (flow YAML). */
  const withIPBlock = (ipBlock: string): string =>
    policyYaml(`
      podSelector: {}
      policyTypes: [Egress]
      egress:
      - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
      - to:
        - podSelector: {}
        - ipBlock: {cidr: "::/0"}
        - ipBlock: ${ipBlock}
    `);
  const at = 'spec.egress[1].to[2].ipBlock';

  it('B1: cidr is required, and then the except list is not checked', () => {
    expectOnlyErrors(load(withIPBlock('{cidr: "", except: [junk, 1.2.3.0/24]}')), [{ check: 'B1', path: `${at}.cidr`, type: REQUIRED }]);
    expectOnlyErrors(load(withIPBlock('{except: [junk]}')), [{ check: 'B1', path: `${at}.cidr`, type: REQUIRED }]);
  });

  it('B2: cidr must parse as a CIDR, and then the except list is not checked', () => {
    const r = load(withIPBlock('{cidr: 10.0.0.0, except: [junk]}'));
    expectOnlyErrors(r, [{ check: 'B2', path: `${at}.cidr`, type: INVALID }]);
    expect(errorsOf(r.issues)[0]!.message).toBe(`${at}.cidr: Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`);
  });

  it('B3 (strict): no leading zeros in the address or the prefix length', () => {
    for (const cidr of ['010.0.0.0/8', '10.0.0.0/08']) {
      const r = load(withIPBlock(`{cidr: ${cidr}}`), { strict: true });
      expectOnlyErrors(r, [{ check: 'B3', path: `${at}.cidr`, type: INVALID }]);
      expect(r.issues.find((i) => i.check === 'B3')!.message).toContain('must not have leading 0s in IP or prefix length');
    }
  });

  it('B4 (strict): no IPv4-mapped IPv6 address', () => {
    const r = load(withIPBlock('{cidr: "::ffff:10.0.0.0/104"}'), { strict: true });
    expectOnlyErrors(r, [{ check: 'B4', path: `${at}.cidr`, type: INVALID }]);
    expect(r.issues.find((i) => i.check === 'B4')!.message).toContain('must not have an IPv4-mapped IPv6 address');
  });

  it('B5 (strict): no bits set beyond the prefix length', () => {
    const r = load(withIPBlock('{cidr: 10.0.0.5/8}'), { strict: true });
    expectOnlyErrors(r, [{ check: 'B5', path: `${at}.cidr`, type: INVALID }]);
    expect(r.issues.find((i) => i.check === 'B5')!.message).toContain('must not have bits set beyond the prefix length');
  });

  it('B6: each except entry is checked like cidr (parse and strict forms)', () => {
    expectOnlyErrors(load(withIPBlock('{cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0]}')), [{ check: 'B6', path: `${at}.except[1]`, type: INVALID }]);
    for (const bad of ['10.2.0.1/16', '10.02.0.0/16']) {
      const r = load(withIPBlock(`{cidr: 10.0.0.0/8, except: [10.1.0.0/16, ${bad}]}`), { strict: true });
      expectOnlyErrors(r, [{ check: 'B6', path: `${at}.except[1]`, type: INVALID }]);
    }
  });

  it('B7: each except must be a strict subset of cidr', () => {
    const r = load(withIPBlock('{cidr: 10.0.0.0/8, except: [10.1.0.0/16, 11.0.0.0/16, 10.0.0.0/8, 10.0.0.0/7]}'));
    expectOnlyErrors(r, [
      { check: 'B7', path: `${at}.except[1]`, type: INVALID },
      { check: 'B7', path: `${at}.except[2]`, type: INVALID },
      { check: 'B7', path: `${at}.except[3]`, type: INVALID },
    ]);
    expect(r.issues.find((i) => i.path === `${at}.except[1]`)!.message).toBe(
      `${at}.except[1]: Invalid value: "11.0.0.0/16": must be a strict subset of \`cidr\``,
    );
  });
});

describe('policyTypes (T1-T2)', () => {
  it('T1: at most two entries; then the entries are not checked one by one', () => {
    const r = load(policyYaml('podSelector: {}\npolicyTypes: [Ingress, Egress, Bogus]'));
    expectOnlyErrors(r, [{ check: 'T1', path: 'spec.policyTypes', type: INVALID }]);
    expect(errorsOf(r.issues)[0]!.message).toContain('may not specify more than two policyTypes');
  });

  it('T2: each entry is Ingress or Egress (case-sensitive)', () => {
    const r = load(policyYaml('podSelector: {}\npolicyTypes: [Ingress, egress]'));
    expectOnlyErrors(r, [{ check: 'T2', path: 'spec.policyTypes[1]', type: UNSUPPORTED }]);
    expect(errorsOf(r.issues)[0]!.message).toBe('spec.policyTypes[1]: Unsupported value: "egress": supported values: "Ingress", "Egress"');
  });
});
