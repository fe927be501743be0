// Problems.add takes one object: the value is echoed in the message when the key is given
// (even as undefined), never otherwise; check and type are optional.
import { expect, test } from 'vitest';
import { Problems } from '../../packages/core/src/load/fields.js';
import { fieldMessage } from '../../packages/core/src/load/issues.js';

test('Problems.add: value given, value absent, no type', () => {
  const pr = new Problems();
  pr.add({
    severity: 'error',
    code: 'duplicate-object',
    path: ['metadata', 'name'],
    type: 'Duplicate value',
    detail: 'also defined at a.yaml:3',
    value: 'web',
  });
  pr.add({ severity: 'warning', code: 'rules-ignored', path: ['spec', 'egress'], detail: 'has 1 rule(s)' });
  pr.add({ severity: 'error', code: 'wrong-type', check: 'P1', path: ['spec'], type: 'Invalid value', detail: 'bad', value: undefined });
  expect(pr.list.map((p) => [p.hasValue, fieldMessage(p)])).toEqual([
    [true, 'metadata.name: Duplicate value: "web": also defined at a.yaml:3'],
    [false, 'spec.egress: has 1 rule(s)'],
    [true, 'spec: Invalid value: null: bad'],
  ]);
  expect(pr.list[2]!.check).toBe('P1');
  expect(pr.hasErrors).toBe(true);
});
