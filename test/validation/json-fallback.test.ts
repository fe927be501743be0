// Text that looks like JSON but does not parse falls back to the YAML reader (a flow mapping,
// or broken JSON reported with a line); only JSON.parse's SyntaxError means that. Anything
// else out of it is a bug, thrown rather than read as YAML.
import { afterEach, expect, test, vi } from 'vitest';
import { readText } from '@netpol/core';

afterEach(() => vi.restoreAllMocks());

test('a SyntaxError: read as YAML', () => {
  const r = readText('{apiVersion: v1, kind: Namespace, metadata: {name: a}}', 'flow.yaml');
  expect(r.issues).toEqual([]);
  expect(r.objects.map((o) => o.value['kind'])).toEqual(['Namespace']);
});

test('any other error from JSON.parse propagates', () => {
  vi.spyOn(JSON, 'parse').mockImplementation(() => {
    throw new TypeError('internal bug');
  });
  expect(() => readText('{"kind": "Namespace"}', 'x.json')).toThrow('internal bug');
});
