/**
 * What an untagged plain YAML scalar means to kubectl. kubectl turns YAML into JSON with
 * sigs.k8s.io/yaml over a fork of go-yaml v2, which resolves plain scalars by YAML 1.1-ish
 * rules (go-yaml v2's resolve.go): `0443` is octal 291, `yes`/`on`/`y` are true, `1_000` is
 * 1000, `0b101` is 5, while timestamps stay strings and base-60 numbers are not numbers.
 * The manifest means what kubectl sends, so the loader resolves plain scalars this way and
 * not by the YAML 1.2 core schema; `core12` says what a YAML 1.2 reader would see instead,
 * so that the loader can warn where the two differ.
 */

export type Resolved =
  | { readonly kind: 'null'; readonly value: null }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'str'; readonly value: string };

const WORDS = new Map<string, Resolved>();
const word = (words: string, r: Resolved): void => {
  for (const w of words.split(' ')) WORDS.set(w, r);
};
word('y Y yes Yes YES true True TRUE on On ON', { kind: 'bool', value: true });
word('n N no No NO false False FALSE off Off OFF', { kind: 'bool', value: false });
word('~ null Null NULL', { kind: 'null', value: null });
word('.nan .NaN .NAN', { kind: 'float', value: NaN });
word('.inf .Inf .INF +.inf +.Inf +.INF', { kind: 'float', value: Infinity });
word('-.inf -.Inf -.INF', { kind: 'float', value: -Infinity });

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const DIGITS: Readonly<Record<number, RegExp>> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };
const PREFIXED: Readonly<Record<string, number>> = { '0x': 16, '0X': 16, '0o': 8, '0O': 8, '0b': 2, '0B': 2 };

/** Go's strconv.ParseInt(s, 0, 64) then ParseUint(s, 0, 64): base from the prefix, a lone leading 0 is octal. */
function goParseInt(s: string): bigint | undefined {
  let sign = 1n;
  let body = s;
  if (body[0] === '+' || body[0] === '-') {
    sign = body[0] === '-' ? -1n : 1n;
    body = body.slice(1);
  }
  let base = 10;
  if (PREFIXED[body.slice(0, 2)] !== undefined) {
    base = PREFIXED[body.slice(0, 2)]!;
    body = body.slice(2);
  } else if (body.length > 1 && body[0] === '0') {
    base = 8;
    body = body.slice(1);
  }
  if (!DIGITS[base]!.test(body)) return undefined;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const v = sign * BigInt(prefix + body);
  if (v >= INT64_MIN && v <= INT64_MAX) return v;
  // ParseUint takes no sign.
  return s[0] !== '+' && s[0] !== '-' && v <= UINT64_MAX ? v : undefined;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** What Go's ParseFloat accepts of a string that starts with '.' and is not .inf/.nan. */
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;

/** A finite float as Go's ParseFloat reads it; out of range is an error there (the text stays a string). */
function goParseFloat(s: string): number | undefined {
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** An untagged plain scalar as go-yaml v2 resolves it for an `interface{}` target. */
export function resolvePlain(text: string): Resolved {
  if (text === '') return { kind: 'null', value: null };
  const known = WORDS.get(text);
  if (known) return known;
  const c = text[0]!;
  if (c === '.') {
    const f = DOT_FLOAT.test(text) ? goParseFloat(text) : undefined;
    if (f !== undefined) return { kind: 'float', value: f };
  } else if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
    // A timestamp (YYYY-MM-DD...) decodes to its own text into interface{}, and no such text
    // parses as a number below either: nothing to do for it.
    const plain = text.replaceAll('_', '');
    const i = goParseInt(plain);
    if (i !== undefined) return { kind: 'int', value: i };
    if (YAML_STYLE_FLOAT.test(plain)) {
      const f = goParseFloat(plain);
      if (f !== undefined) return { kind: 'float', value: f };
    }
    // go-yaml's own 0b handling, reached only when ParseInt failed on it (nothing left but "-0b").
    if (plain.startsWith('-0b') && DIGITS[2]!.test(plain.slice(3))) {
      const v = -BigInt('0b' + plain.slice(3));
      if (v >= INT64_MIN) return { kind: 'int', value: v };
    }
  }
  return { kind: 'str', value: text };
}

/** The same scalar under the YAML 1.2 core schema (what the `yaml` package reads by default). */
export function core12(text: string): Resolved {
  if (/^(~|null|Null|NULL)?$/.test(text)) return { kind: 'null', value: null };
  if (/^(true|True|TRUE)$/.test(text)) return { kind: 'bool', value: true };
  if (/^(false|False|FALSE)$/.test(text)) return { kind: 'bool', value: false };
  if (/^[-+]?[0-9]+$/.test(text)) return { kind: 'int', value: BigInt(text.replace(/^\+/, '')) };
  if (/^0o[0-7]+$/.test(text) || /^0x[0-9a-fA-F]+$/.test(text)) return { kind: 'int', value: BigInt(text) };
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return { kind: 'float', value: text[0] === '-' ? -Infinity : Infinity };
  if (/^\.(nan|NaN|NAN)$/.test(text)) return { kind: 'float', value: NaN };
  if (YAML_STYLE_FLOAT.test(text)) return { kind: 'float', value: Number(text) };
  return { kind: 'str', value: text };
}

/** Do two resolutions give the same JSON value (an integral float equals the integer)? */
export function sameJSON(a: Resolved, b: Resolved): boolean {
  const num = (r: Resolved): number | bigint | undefined => (r.kind === 'int' ? r.value : r.kind === 'float' ? r.value : undefined);
  const na = num(a);
  const nb = num(b);
  if (na !== undefined && nb !== undefined) return Number(na) === Number(nb) || (Number.isNaN(Number(na)) && Number.isNaN(Number(nb)));
  return a.kind === b.kind && a.value === b.value;
}
