/**
 * Label keys and values (§3.3) and named ports (§3.4), by example and by a property that
 * compares the loader with an independent implementation written from the spec text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cluster } from '../helpers.js';
import { brief, errorsOf, expectRejected, load, policyJson, policyYaml } from './util.js';

// ---- Independent oracle, written from §3.3 / §3.4 (not from the loader's source). ----

/** Label name part and label value body: 1-63 chars, alphanumeric at both ends, [-_.] inside. */
const NAME_PART = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

function oracleSubdomain(s: string): boolean {
  return s.length >= 1 && s.length <= 253 && s.split('.').every((label) => DNS_LABEL.test(label));
}

function oracleLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return NAME_PART.test(key);
  const prefix = key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (name.includes('/')) return false;
  return oracleSubdomain(prefix) && NAME_PART.test(name);
}

function oracleLabelValue(value: string): boolean {
  return value === '' || NAME_PART.test(value);
}

function oraclePortName(name: string): boolean {
  if (name.length < 1 || name.length > 15) return false;
  for (const ch of name) if (!'abcdefghijklmnopqrstuvwxyz0123456789-'.includes(ch)) return false;
  if (!/[a-z]/.test(name)) return false;
  if (name.includes('--')) return false;
  return name[0] !== '-' && name[name.length - 1] !== '-';
}

// ---- Through the loader ----

const keyAccepted = (key: string): boolean => errorsOf(load(policyJson({ podSelector: { matchLabels: { [key]: 'v' } } })).issues).length === 0;
const valueAccepted = (value: string): boolean => errorsOf(load(policyJson({ podSelector: { matchLabels: { k: value } } })).issues).length === 0;
const portNameAccepted = (name: string): boolean => errorsOf(load(policyJson({ podSelector: {}, ingress: [{ ports: [{ port: name }] }] })).issues).length === 0;

describe('label keys (§3.3)', () => {
  it.each([
    'a',
    'A',
    '9',
    'MyName',
    'my.name',
    '123-abc',
    'a_b.c-d',
    'x'.repeat(63),
    'example.com/MyName',
    'k8s.io/a',
    'a-b.c-d/e',
    `${'p'.repeat(253)}/n`,
    `${'p'.repeat(253)}/${'n'.repeat(63)}`,
    'kubernetes.io/metadata.name',
  ])('accepts %s', (key) => {
    expect(oracleLabelKey(key)).toBe(true);
    expect(keyAccepted(key)).toBe(true);
  });

  it.each([
    '',
    '-a',
    'a-',
    '_a',
    'a.',
    'a b',
    'x'.repeat(64),
    'a/b/c',
    '/a',
    'a/',
    'A.com/a',
    'a_b.com/x',
    '-a.com/x',
    'a..b/x',
    `${'p'.repeat(254)}/n`,
    `example.com/${'n'.repeat(64)}`,
    'ключ',
  ])('rejects %j at <sel>.matchLabels (S1)', (key) => {
    expect(oracleLabelKey(key)).toBe(false);
    expectRejected(load(policyJson({ podSelector: { matchLabels: { [key]: 'v' } } })), {
      check: 'S1',
      path: 'spec.podSelector.matchLabels',
      type: 'Invalid value',
    });
  });

  it('matchExpressions keys follow the same rules (S6)', () => {
    expect(errorsOf(load(policyJson({ podSelector: { matchExpressions: [{ key: 'example.com/MyName', operator: 'Exists' }] } })).issues)).toEqual([]);
    expectRejected(load(policyJson({ podSelector: { matchExpressions: [{ key: 'Example.com/x', operator: 'Exists' }] } })), {
      check: 'S6',
      path: 'spec.podSelector.matchExpressions[0].key',
      type: 'Invalid value',
    });
  });

  it('an empty or missing expression key is invalid (S6)', () => {
    expectRejected(load(policyJson({ podSelector: { matchExpressions: [{ operator: 'Exists' }] } })), {
      check: 'S6',
      path: 'spec.podSelector.matchExpressions[0].key',
      type: 'Invalid value',
    });
  });
});

describe('label values (§3.3)', () => {
  it.each(['', 'a', 'Z', '0', 'MyValue', 'my_value', '12345', 'a.b-c_d', 'v'.repeat(63)])('accepts %j', (value) => {
    expect(oracleLabelValue(value)).toBe(true);
    expect(valueAccepted(value)).toBe(true);
  });

  it.each(['-', '.a', 'a_', 'a b', 'a/b', 'v'.repeat(64), 'ü', 'a\n'])('rejects %j (S2)', (value) => {
    expect(oracleLabelValue(value)).toBe(false);
    expectRejected(load(policyJson({ podSelector: { matchLabels: { k: value } } })), {
      check: 'S2',
      path: 'spec.podSelector.matchLabels',
      type: 'Invalid value',
    });
  });

  it('a value that is not a string is an error at the map entry, not a crash', () => {
    for (const value of [1, true, ['a'], { a: 'b' }]) {
      const r = load(policyJson({ podSelector: { matchLabels: { k: value } } }));
      expect(r.cluster).toBeUndefined();
      expect(errorsOf(r.issues).map((i) => i.path)).toEqual(['spec.podSelector.matchLabels.k']);
    }
  });

  it('a YAML null value is the empty string (Go decodes null into a map[string]string entry as "")', () => {
    // `app:` with nothing after it: the API server stores app="" and the selector requires it.
    // Dropping the entry instead would turn the selector into {} (select every pod).
    const c = cluster(policyYaml('podSelector:\n  matchLabels:\n    app:\n    tier: web'));
    expect(c.policies[0]!.podSelector.matchLabels).toEqual({ app: '', tier: 'web' });
  });

  it('a YAML null pod label is the empty string too', () => {
    const c = cluster('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels:\n    app:\n');
    expect(c.pods[0]!.labels).toEqual({ app: '' });
  });
});

describe('named ports (§3.4)', () => {
  it.each(['a', 'http', 'h2c', 'dns-tcp', 'a1', '1a', 'x'.repeat(15), 'a-b-c'])('accepts %j', (name) => {
    expect(oraclePortName(name)).toBe(true);
    expect(portNameAccepted(name)).toBe(true);
  });

  it.each(['-', 'A', 'Http', 'x'.repeat(16), 'a--b', 'a_b', 'a.b', '80', 'a b'])('rejects %j (P3)', (name) => {
    expect(oraclePortName(name)).toBe(false);
    expectRejected(load(policyJson({ podSelector: {}, ingress: [{ ports: [{ port: name }] }] })), {
      check: 'P3',
      path: 'spec.ingress[0].ports[0].port',
      type: 'Invalid value',
    });
  });

  it('each violated rule is its own error', () => {
    // Length, "--" and the edge hyphens: 3 rules broken; the charset and letter rules hold.
    const r = load(policyJson({ podSelector: {}, ingress: [{ ports: [{ port: '-abcdefgh--ijklm-' }] }] }));
    expect(errorsOf(r.issues).map((i) => i.message.split(': ').pop())).toEqual([
      'must be no more than 15 characters',
      'must not contain consecutive hyphens',
      'must not begin or end with a hyphen',
    ]);
  });
});

// ---- Property: loader == oracle on random strings biased to the edge characters. ----

const EDGE = ['-', '.', '_', '/', 'A', 'Z', '0', '9'];
const PLAIN = ['a', 'b', 'z', 'm'];
const OTHER = [' ', 'é', '=', '\n'];

/** One character: mostly plain letters, often an edge character, sometimes something invalid. */
const char = (plainWeight: number): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...PLAIN), weight: plainWeight },
    { arbitrary: fc.constantFrom(...EDGE), weight: 4 },
    { arbitrary: fc.constantFrom(...OTHER), weight: 1 },
  );

const stringOf = (c: fc.Arbitrary<string>, lengths: fc.Arbitrary<number>): fc.Arbitrary<string> =>
  lengths.chain((n) => fc.array(c, { minLength: n, maxLength: n }).map((cs) => cs.join('')));

/** Lengths 0-3 or within one of a limit (e.g. 14-16, 62-64). */
const around = (...limits: number[]): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min: 0, max: 3 }), ...limits.map((l) => fc.integer({ min: l - 1, max: l + 1 })));

/**
 * Characters for long strings: mostly valid, with few separators and rare invalid ones, so
 * that strings of 63 or 253 characters are valid often enough for the limits to be tested.
 */
const prefixChar = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'z', '0', '9'), weight: 400 },
  { arbitrary: fc.constantFrom('-', '.'), weight: 6 },
  { arbitrary: fc.constantFrom('A', '_'), weight: 1 },
);
const nameChar = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'Z', '0', '9'), weight: 60 },
  { arbitrary: fc.constantFrom('-', '.', '_'), weight: 4 },
  { arbitrary: fc.constantFrom('/', ' '), weight: 1 },
);

const labelKeys = fc.oneof(
  stringOf(char(4), fc.integer({ min: 0, max: 12 })),
  stringOf(nameChar, around(63)),
  fc.tuple(stringOf(char(6), fc.integer({ min: 0, max: 12 })), stringOf(nameChar, fc.integer({ min: 0, max: 5 }))).map(([p, n]) => `${p}/${n}`),
  fc
    .tuple(stringOf(prefixChar, fc.integer({ min: 252, max: 254 })), stringOf(nameChar, fc.oneof(fc.integer({ min: 0, max: 5 }), around(63))))
    .map(([p, n]) => `${p}/${n}`),
);
const labelValues = fc.oneof(stringOf(char(4), fc.integer({ min: 0, max: 12 })), stringOf(nameChar, around(63)));
const portNames = fc.oneof(
  stringOf(char(4), fc.integer({ min: 0, max: 8 })),
  stringOf(fc.oneof({ arbitrary: fc.constantFrom('a', 'z', '0', '9'), weight: 12 }, { arbitrary: fc.constantFrom('-', 'A', '_'), weight: 2 }), around(15)),
);

describe('validators agree with an independent implementation (property)', () => {
  const params = { numRuns: 400 };

  it('label keys', () => {
    let valid = 0;
    fc.assert(
      fc.property(labelKeys, (key) => {
        if (key === '__proto__') return;
        const expected = oracleLabelKey(key);
        if (expected) valid++;
        expect(keyAccepted(key), JSON.stringify(key)).toBe(expected);
      }),
      params,
    );
    // The generator must exercise both outcomes, or the property proves little.
    expect(valid).toBeGreaterThan(20);
  });

  it('label values', () => {
    let valid = 0;
    fc.assert(
      fc.property(labelValues, (value) => {
        const expected = oracleLabelValue(value);
        if (expected) valid++;
        expect(valueAccepted(value), JSON.stringify(value)).toBe(expected);
      }),
      params,
    );
    expect(valid).toBeGreaterThan(20);
  });

  it('named ports', () => {
    let valid = 0;
    fc.assert(
      fc.property(portNames, (name) => {
        const expected = oraclePortName(name);
        if (expected) valid++;
        const r = load(policyJson({ podSelector: {}, ingress: [{ ports: [{ port: name }] }] }));
        expect(errorsOf(r.issues).length === 0, `${JSON.stringify(name)}\n${brief(r.issues).join('\n')}`).toBe(expected);
        // Every error is P3 at the port: a bad name never breaks anything else.
        for (const e of errorsOf(r.issues)) expect([e.check, e.path]).toEqual(['P3', 'spec.ingress[0].ports[0].port']);
      }),
      params,
    );
    expect(valid).toBeGreaterThan(20);
  });
});
