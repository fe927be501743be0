/**
 * Lines of fields in a JSON text that JSON.parse has already accepted. JSON input is read
 * with JSON.parse (fast, no positions); a line is needed only for an issue, so positions are
 * found then: each container on the way to the field is scanned once, its members' offsets
 * kept, and lines come from line starts computed on first use.
 */
import type { PathSegments } from './issues.js';

export class JsonLines {
  private lineStarts: number[] | undefined;
  /** Offset of a container's value → offsets of its members' values (and keys, for objects). */
  private readonly members = new Map<number, Map<string | number, number>>();

  constructor(private readonly text: string) {}

  /** 1-based line of the value at `path` (or of the nearest ancestor found). */
  line(path: PathSegments): number | undefined {
    let pos = this.skipSpace(0);
    for (const seg of path) {
      const next = this.membersOf(pos).get(seg);
      if (next === undefined) break;
      pos = next;
    }
    return this.lineOf(pos);
  }

  /** 1-based line of a character offset. */
  lineOf(offset: number): number {
    if (!this.lineStarts) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.lineStarts = starts;
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private skipSpace(pos: number): number {
    const t = this.text;
    while (pos < t.length && (t[pos] === ' ' || t[pos] === '\n' || t[pos] === '\r' || t[pos] === '\t')) pos++;
    return pos;
  }

  /** End (exclusive) of the string starting at the quote at `pos`. */
  private stringEnd(pos: number): number {
    const t = this.text;
    for (let i = pos + 1; i < t.length; i++) {
      if (t[i] === '\\') i++;
      else if (t[i] === '"') return i + 1;
    }
    return t.length;
  }

  /** End (exclusive) of the value starting at `pos`, without recursion. */
  private valueEnd(pos: number): number {
    const t = this.text;
    if (t[pos] === '"') return this.stringEnd(pos);
    if (t[pos] !== '{' && t[pos] !== '[') {
      while (pos < t.length && !',]}'.includes(t[pos]!) && t[pos] !== ' ' && t[pos] !== '\n' && t[pos] !== '\r' && t[pos] !== '\t') pos++;
      return pos;
    }
    let depth = 0;
    for (let i = pos; i < t.length; i++) {
      const c = t[i];
      if (c === '"') i = this.stringEnd(i) - 1;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) return i + 1;
    }
    return t.length;
  }

  private membersOf(pos: number): Map<string | number, number> {
    const known = this.members.get(pos);
    if (known) return known;
    const out = new Map<string | number, number>();
    const t = this.text;
    const open = t[pos];
    if (open === '{' || open === '[') {
      let i = this.skipSpace(pos + 1);
      let index = 0;
      while (i < t.length && t[i] !== '}' && t[i] !== ']') {
        let key: string | number = index++;
        if (open === '{') {
          const end = this.stringEnd(i);
          key = JSON.parse(t.slice(i, end)) as string;
          i = this.skipSpace(this.skipSpace(end) + 1); // past ':'
        }
        out.set(key, i); // a duplicate key: the last one, as JSON.parse keeps it
        i = this.skipSpace(this.valueEnd(i));
        if (t[i] === ',') i = this.skipSpace(i + 1);
      }
    }
    this.members.set(pos, out);
    return out;
  }
}

/**
 * The first key that appears twice in one object of a JSON text JSON.parse accepted (it keeps
 * the last one silently; YAML input refuses duplicates, and so does the API server's strict
 * field validation). One pass, keeping only the keys of the objects still open.
 */
export function findDuplicateKey(text: string): { path: (string | number)[]; offset: number } | undefined {
  type Frame = { keys: Set<string> | undefined; current: string | number; expectKey: boolean };
  const stack: Frame[] = [];
  // Only these characters matter outside strings; the regex engine skips the rest quickly.
  const special = /["{}[\],]/g;
  for (let m = special.exec(text); m !== null; m = special.exec(text)) {
    const i = m.index;
    const c = text.charCodeAt(i);
    if (c === 34) {
      let end = text.indexOf('"', i + 1);
      for (;;) {
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 92) backslashes++;
        if (backslashes % 2 === 0) break; // an escaped quote has an odd run of backslashes before it
        end = text.indexOf('"', end + 1);
      }
      if (end < 0) return undefined; // cannot happen after JSON.parse
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.keys.has(key)) return { path: [...stack.slice(0, -1).map((f) => f.current), key], offset: i };
        top.keys.add(key);
        top.current = key;
        top.expectKey = false;
      }
      special.lastIndex = end + 1;
    } else if (c === 123) stack.push({ keys: new Set(), current: '', expectKey: true });
    else if (c === 91) stack.push({ keys: undefined, current: 0, expectKey: false });
    else if (c === 125 || c === 93) stack.pop();
    else {
      const top = stack[stack.length - 1]!;
      if (top.keys) top.expectKey = true;
      else top.current = (top.current as number) + 1;
    }
  }
  return undefined;
}
