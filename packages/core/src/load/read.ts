/**
 * Reads YAML (multi-document) and JSON into raw objects, each with a way to find the line
 * of a field path. `kind: List` and typed `*List` wrappers are flattened, exactly as
 * `kubectl get ... -o yaml` prints them. This is the only module that knows YAML.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { Issue, PathSegments } from './issues.js';

export interface RawObject {
  readonly file: string;
  readonly document: number;
  readonly value: Record<string, unknown>;
  /** 1-based line of the field at `path` inside this object, or of its nearest ancestor. */
  locate(path: PathSegments): number | undefined;
}

export interface ReadResult {
  readonly objects: RawObject[];
  readonly issues: Issue[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Expands directories (one level, or all levels with `recursive`) into manifest files. */
export function listManifestFiles(paths: readonly string[], recursive = false): { files: string[]; issues: Issue[] } {
  const files: string[] = [];
  const issues: Issue[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recursive) walk(full, depth + 1);
      } else if (MANIFEST_EXTENSIONS.has(extname(entry.name))) files.push(full);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      issues.push({ code: 'file-not-found', severity: 'error', file: p, path: '', message: `cannot read ${p}: no such file or directory` });
      continue;
    }
    if (st.isDirectory()) walk(p, 0);
    else files.push(p);
  }
  return { files, issues };
}

/**
 * Line of the field at `path`: the line of its key in a mapping (a block value starts on
 * the next line), of the item in a sequence, or else of the nearest ancestor that exists.
 */
function nodeLine(doc: Document, lines: LineCounter, path: PathSegments): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
    const seg = path[n - 1];
    let range: [number, number, number] | null | undefined;
    if (isMap(parent)) range = (parent.items.find((pair) => isScalar(pair.key) && pair.key.value === seg)?.key as { range?: [number, number, number] } | undefined)?.range;
    else if (isSeq(parent) && typeof seg === 'number') range = (parent.items[seg] as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  const root = (doc.contents as { range?: [number, number, number] } | null)?.range;
  return root ? lines.linePos(root[0]).line : undefined;
}

/** Parses one text (a file's content) into raw objects. */
export function readText(text: string, file: string): ReadResult {
  const objects: RawObject[] = [];
  const issues: Issue[] = [];
  const lines = new LineCounter();
  // merge: kubectl reads YAML 1.1, where `<<: *anchor` merges keys.
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true });
  if (!Array.isArray(docs)) return { objects, issues }; // an empty stream
  docs.forEach((doc, index) => {
    for (const err of doc.errors) {
      issues.push({
        code: 'yaml-syntax',
        severity: 'error',
        file,
        document: index,
        line: lines.linePos(err.pos[0]).line,
        path: '',
        message: `cannot parse: ${err.message.split('\n')[0]}`,
      });
    }
    if (doc.errors.length > 0) return;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // an empty document
    const base: (string | number)[] = [];
    const add = (v: unknown, prefix: (string | number)[]): void => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        issues.push({ code: 'not-an-object', severity: 'error', file, document: index, line: nodeLine(doc, lines, prefix), path: '', message: 'expected a Kubernetes object (a mapping with apiVersion and kind)' });
        return;
      }
      const obj = v as Record<string, unknown>;
      const kind = obj['kind'];
      if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(obj['items'])) {
        // Items of a typed list (NetworkPolicyList...) may omit kind and apiVersion, as the API returns them.
        const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
        (obj['items'] as unknown[]).forEach((item, i) => {
          const typed = itemKind && typeof item === 'object' && item !== null && !Array.isArray(item) && (item as Record<string, unknown>)['kind'] === undefined;
          add(typed ? { apiVersion: obj['apiVersion'], kind: itemKind, ...(item as object) } : item, [...prefix, 'items', i]);
        });
        return;
      }
      objects.push({ file, document: index, value: obj, locate: (path) => nodeLine(doc, lines, [...prefix, ...path]) });
    };
    add(value, base);
  });
  return { objects, issues };
}

export function readFiles(paths: readonly string[], recursive = false): ReadResult {
  const listed = listManifestFiles(paths, recursive);
  const objects: RawObject[] = [];
  const issues: Issue[] = [...listed.issues];
  for (const file of listed.files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      issues.push({ code: 'file-unreadable', severity: 'error', file, path: '', message: `cannot read ${file}: ${(e as Error).message}` });
      continue;
    }
    const r = readText(text, file);
    objects.push(...r.objects);
    issues.push(...r.issues);
  }
  return { objects, issues };
}

