/**
 * ipBlock CIDR strings beyond the §3.6 table: what Go's ParseCIDRSloppy accepts (§3.5), the
 * strict forms, the strict-subset check (B7) and how each CIDR is evaluated.
 */
import { describe, expect, it } from 'vitest';
import { cluster } from '../helpers.js';
import { brief, errorsOf, expectIssue, expectOnlyErrors, expectRejected, ipBlockOf, load, policyJson, policyYaml, warningsOf } from './util.js';

const peerSpec = (cidr: unknown, except?: unknown[]) => ({
  podSelector: {},
  ingress: [{}, { from: [{ podSelector: {} }, { ipBlock: { cidr, ...(except && { except }) } }] }],
});
const AT = 'spec.ingress[1].from[1].ipBlock';
const evaluated = (cidr: string, except?: string[]) => ipBlockOf(cluster(policyJson(peerSpec(cidr, except))).policies[0]!, 'ingress', 1, 1);

describe('parsing (§3.5)', () => {
  it.each([
    '10.0.0.0', // bare IP
    '10.0.0.0/', // empty length
    '/8',
    '10.0.0.0/33',
    '::/129',
    '10.0.0/8', // three octets
    '10.0.0.0.0/8',
    '256.0.0.0/8',
    ' 10.0.0.0/8',
    '10.0.0.0/8 ',
    '10.0.0.0 /8',
    'fe80::1%eth0/64', // zone
    '1.2.3.4/healthz',
    '1.2.3.4/0/99',
    '1.2.3.4/0x10',
    '2001:db8:::/64',
    '2001:db8::g/64',
    '1:2:3:4:5:6:7:8:9/64',
    '0x0a.0.0.0/8',
    '10.0.0.0/8/',
  ])('%j is not a CIDR (B2), strict or not', (cidr) => {
    for (const strict of [false, true]) {
      const r = load(policyJson(peerSpec(cidr)), { strict });
      expectOnlyErrors(r, [{ check: 'B2', path: `${AT}.cidr`, type: 'Invalid value' }]);
    }
  });

  it.each([
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['::/0', '::/0'],
    ['10.0.0.1/32', '10.0.0.1/32'],
    ['2001:db8::1/128', '2001:db8::1/128'],
    ['192.168.0.0/16', '192.168.0.0/16'],
    ['fd00::/8', 'fd00::/8'],
  ])('%s is valid and evaluated as %s', (cidr, as) => {
    const r = load(policyJson(peerSpec(cidr)), { strict: true });
    expect(
      r.issues.filter((i) => i.path.startsWith(AT)),
      brief(r.issues).join('\n'),
    ).toEqual([]);
    expect(evaluated(cidr).cidr).toBe(as);
  });

  it('non-canonical IPv6 text is accepted even with strict, with a warning', () => {
    for (const cidr of ['2001:DB8::/64', '2001:db8:0:0::/64', '2001:0db8::/32']) {
      const r = load(policyJson(peerSpec(cidr)), { strict: true });
      expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
      const w = expectIssue(r.issues, 'warning', { path: `${AT}.cidr`, code: 'cidr-not-canonical' });
      expect(w.message).toContain(JSON.stringify(cidr));
    }
    expect(evaluated('2001:DB8:0:0::/64').cidr).toBe('2001:db8::/64');
  });

  it('a leading zero in an IPv6 prefix length is a legacy form (B3)', () => {
    expectRejected(load(policyJson(peerSpec('2001:db8::/064')), { strict: true }), { check: 'B3', path: `${AT}.cidr`, type: 'Invalid value' });
    expect(evaluated('2001:db8::/064').cidr).toBe('2001:db8::/64');
  });

  it('a CIDR that is not a string is an error, not a crash', () => {
    for (const cidr of [10, true, ['10.0.0.0/8'], { a: 1 }]) {
      const r = load(policyJson(peerSpec(cidr)));
      expect(r.cluster).toBeUndefined();
      expectIssue(r.issues, 'error', { path: `${AT}.cidr` });
    }
  });
});

describe('except (B6, B7)', () => {
  it('every except entry is checked and reported at its own index', () => {
    const r = load(policyJson(peerSpec('10.0.0.0/8', ['10.1.0.0/16', 'bad', '10.2.0.0/16', '11.0.0.0/16', '10.3.0.0'])));
    expectOnlyErrors(r, [
      { check: 'B6', path: `${AT}.except[1]`, type: 'Invalid value' },
      { check: 'B7', path: `${AT}.except[3]`, type: 'Invalid value' },
      { check: 'B6', path: `${AT}.except[4]`, type: 'Invalid value' },
    ]);
  });

  it('a cross-family except is not a strict subset (§2.10)', () => {
    expectRejected(load(policyJson(peerSpec('10.0.0.0/8', ['fd00::/64']))), { check: 'B7', path: `${AT}.except[0]`, type: 'Invalid value' });
    expectRejected(load(policyJson(peerSpec('fd00::/8', ['10.0.0.0/16']))), { check: 'B7', path: `${AT}.except[0]`, type: 'Invalid value' });
  });

  it('the subset check uses the masked network of the except', () => {
    // 10.1.255.255/24 masks to 10.1.255.0/24, inside 10.1.0.0/16.
    expect(errorsOf(load(policyJson(peerSpec('10.1.0.0/16', ['10.1.255.255/24']))).issues)).toEqual([]);
    expect(evaluated('10.1.0.0/16', ['10.1.255.255/24']).except).toEqual(['10.1.255.0/24']);
    // 10.0.5.7/8 masks to 10.0.0.0/8, which is not inside 10.0.0.0/16.
    expectRejected(load(policyJson(peerSpec('10.0.0.0/16', ['10.0.5.7/8']))), { check: 'B7', path: `${AT}.except[0]`, type: 'Invalid value' });
  });

  it('the subset check uses the masked network of the cidr', () => {
    const r = load(policyJson(peerSpec('10.0.0.5/8', ['10.2.0.0/16'])));
    expect(errorsOf(r.issues)).toEqual([]);
    expect(evaluated('10.0.0.5/8', ['10.2.0.0/16'])).toEqual({ cidr: '10.0.0.0/8', except: ['10.2.0.0/16'] });
  });

  it('a longer-prefix except at the very edge of cidr is a strict subset', () => {
    expect(errorsOf(load(policyJson(peerSpec('10.0.0.0/8', ['10.255.255.255/32', '10.0.0.0/9']))).issues)).toEqual([]);
    expect(errorsOf(load(policyJson(peerSpec('2001:db8::/32', ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/128']))).issues)).toEqual([]);
  });

  it('an except of null is the empty string to the API server: not a valid CIDR (B6)', () => {
    // Go decodes a JSON null list element into "" and ValidateIPBlock rejects it as row 17 of §3.6.
    expectRejected(
      load(policyYaml('podSelector: {}\ningress:\n- from:\n  - ipBlock:\n      cidr: 10.0.0.0/8\n      except:\n      - 10.1.0.0/16\n      -\n')),
      {
        check: 'B6',
        path: 'spec.ingress[0].from[0].ipBlock.except[1]',
        type: 'Invalid value',
      },
    );
  });

  it('an except that is not a string is an error, not a crash', () => {
    const r = load(policyJson(peerSpec('10.0.0.0/8', [16])));
    expect(r.cluster).toBeUndefined();
    expectIssue(r.issues, 'error', { path: `${AT}.except[0]` });
    const r2 = load(policyJson({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: '10.1.0.0/16' } }] }] }));
    expect(r2.cluster).toBeUndefined();
    expectIssue(r2.issues, 'error', { path: 'spec.ingress[0].from[0].ipBlock.except' });
  });
});

describe('IPv4-mapped IPv6 without strict (the legacy parser, §2.10)', () => {
  it('::ffff:a.b.c.d/len with len >= 96 is the IPv4 network a.b.c.d/(len-96)', () => {
    expect(evaluated('::ffff:10.0.0.0/104').cidr).toBe('10.0.0.0/8');
    expect(evaluated('::ffff:10.1.2.3/128').cidr).toBe('10.1.2.3/32');
    expect(evaluated('::ffff:0.0.0.0/96').cidr).toBe('0.0.0.0/0');
  });

  it('with len < 96 the mask clears the ::ffff: marker: Go then holds the IPv6 network, not an IPv4 one', () => {
    // netutils.ParseCIDRSloppy masks the 16-byte address, so IPNet.IP is ::/80 and
    // IPNet.Contains never un-maps it: no IPv4 address is inside.
    expect(evaluated('::ffff:10.0.0.0/80').cidr).toBe('::/80');
  });

  it('B7 compares the mask lengths as written: a mapped /104 cidr is not wider than an IPv4 /16 except', () => {
    // ValidateIPBlock: cidrMaskLen (104) >= exceptMaskLen (16) → "must be a strict subset of `cidr`".
    const r = load(policyJson(peerSpec('::ffff:10.0.0.0/104', ['10.1.0.0/16'])));
    expectRejected(r, { check: 'B7', path: `${AT}.except[0]`, type: 'Invalid value' });
  });

  it('B7 compares the mask lengths as written: a mapped /104 except is narrower than an IPv4 /8 cidr', () => {
    // cidr 10.0.0.0/8 contains the except's network address (un-mapped), and 8 < 104: accepted.
    const r = load(policyJson(peerSpec('10.0.0.0/8', ['::ffff:10.0.0.0/104'])));
    expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
    expect(warningsOf(r.issues).map((i) => [i.check, i.path])).toContainEqual(['B6', `${AT}.except[0]`]);
  });
});
