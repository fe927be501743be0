// Plain scalars as go-yaml v2 (kubectl's YAML reader) resolves them, form by form, including
// where the `yaml` package's yaml-1.1 schema and the YAML 1.2 core schema read them otherwise.
import { describe, expect, it } from 'vitest';
import { core12, resolvePlain, sameJSON } from '../../packages/core/src/load/scalar.js';

const go = (text: string): [string, unknown] => {
  const r = resolvePlain(text);
  return [r.kind, r.kind === 'int' ? Number(r.value) : r.value];
};

describe('resolvePlain follows go-yaml v2 resolve.go', () => {
  const cases: [string, string, unknown][] = [
    ['0443', 'int', 291],
    ['-0443', 'int', -291],
    ['0o17', 'int', 15], // yaml-1.1 schema: a string
    ['0O17', 'int', 15],
    ['0x1F', 'int', 31],
    ['0X1f', 'int', 31],
    ['+0x1F', 'int', 31],
    ['0b1010', 'int', 10],
    ['-0b1010', 'int', -10],
    ['1_000', 'int', 1000],
    ['0x_1F', 'int', 31],
    ['08', 'float', 8], // not octal, so go-yaml's float rule takes it
    ['0888', 'float', 888],
    ['1_0.5', 'float', 10.5],
    ['1e3', 'float', 1000],
    ['.5', 'float', 0.5],
    ['1.', 'float', 1],
    ['+80', 'int', 80],
    ['1:30', 'str', '1:30'], // base 60: yaml-1.1 schema 90
    ['190:20:30', 'str', '190:20:30'],
    ['2001-12-14', 'str', '2001-12-14'], // timestamps decode to their text into interface{}
    ['2001-12-14t21:59:43.10-05:00', 'str', '2001-12-14t21:59:43.10-05:00'],
    ['1e400', 'str', '1e400'], // ParseFloat's range error: the text stays a string
    ['.inf', 'float', Infinity],
    ['-.Inf', 'float', -Infinity],
    ['._5', 'str', '._5'],
    ['yes', 'bool', true],
    ['Y', 'bool', true],
    ['On', 'bool', true],
    ['NO', 'bool', false],
    ['off', 'bool', false],
    ['n', 'bool', false],
    ['yEs', 'str', 'yEs'],
    ['~', 'null', null],
    ['Null', 'null', null],
    ['', 'null', null],
    ['<<', 'str', '<<'],
    ['0x', 'str', '0x'],
    ['-', 'str', '-'],
    // biome-ignore lint/correctness/noPrecisionLoss: the test is about integers beyond 2^53
    ['9223372036854775807', 'int', 9223372036854775807],
    // biome-ignore lint/correctness/noPrecisionLoss: the test is about integers beyond 2^53
    ['18446744073709551615', 'int', 18446744073709551615], // uint64
    // biome-ignore lint/correctness/noPrecisionLoss: the test is about integers beyond 2^53
    ['18446744073709551616', 'float', 18446744073709551616],
    // biome-ignore lint/correctness/noPrecisionLoss: the test is about integers beyond 2^53
    ['-9223372036854775809', 'float', -9223372036854775809],
  ];
  for (const [text, kind, value] of cases) {
    it(JSON.stringify(text), () => {
      const [k, v] = go(text);
      expect(k).toBe(kind);
      if (typeof value === 'number' && Number.isNaN(value)) expect(Number.isNaN(v)).toBe(true);
      else expect(v).toBe(value);
    });
  }
  it('.nan', () => expect(Number.isNaN(resolvePlain('.nan').value)).toBe(true));
});

describe('where YAML 1.2 (core) differs', () => {
  it('flags the forms that change meaning, not those that do not', () => {
    const differs = (t: string) => !sameJSON(resolvePlain(t), core12(t));
    expect(['0443', '+0x1F', '0b1010', '1_000', 'yes', 'on', 'n', '1e400'].filter((t) => !differs(t))).toEqual([]);
    expect(['443', '0o17', '0x1F', '08', '8.0', '1e3', 'true', 'null', '1:30', '2001-12-14', 'abc', '.inf'].filter(differs)).toEqual([]);
  });
});
