/**
 * Reads YAML (multi-document) and JSON into raw objects, each with a way to find the line
 * of a field path. `kind: List` and typed `*List` wrappers are flattened, exactly as
 * `kubectl get ... -o yaml` prints them. This is the only module that knows YAML.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
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

function nodeLine(doc: Document, lines: LineCounter, path: PathSegments): number | undefined {
  // Walk down as far as the path exists; report the deepest node found.
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}

/** Parses one text (a file's content) into raw objects. */
export function readText(text: string, file: string): ReadResult {
  const objects: RawObject[] = [];
  const issues: Issue[] = [];
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs)) return { objects, issues }; // an empty stream
  docs.forEach((doc, index) => {
    for (const err of doc.errors) {
      issues.push({
        code: 'yaml-syntax',
        severity: 'error',
        file,
        document: index,
        line: err.linePos?.[0]?.line,
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
        (obj['items'] as unknown[]).forEach((item, i) => add(item, [...prefix, 'items', i]));
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

