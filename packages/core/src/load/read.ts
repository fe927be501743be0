/**
 * Reads YAML (multi-document) and JSON into raw objects, each with a way to find the line
 * of a field path. `kind: List` and typed `*List` wrappers are flattened, exactly as
 * `kubectl get ... -o yaml` prints them. Only this module and decode.ts know YAML.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isMap, isScalar, isSeq, Lexer, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { decodeDocument } from './decode.js';
import { fieldMessage, formatPath, truncate, type Issue, type PathSegments } from './issues.js';
import { findDuplicateKey, JsonLines } from './json-lines.js';
import { ALIAS_BUDGET_FLOOR, DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_YAML_TOKENS, MAX_DEPTH } from './limits.js';
import { checkOptions, type OptionSpec } from '../model/check-options.js';

/** One object read from a file or text, before validation: its JSON value and where it came from. */
export interface RawObject {
  readonly file: string;
  readonly document: number;
  readonly value: Record<string, unknown>;
  /** 1-based line of the field at `path` inside this object, or of its nearest ancestor. */
  locate(path: PathSegments): number | undefined;
  /**
   * The namespace this object goes to when it has no `metadata.namespace`, overriding
   * LoadOptions.defaultNamespace: the namespace its file was given with (FileInput.namespace,
   * the `-n` before a CLI `-f`). Absent: LoadOptions.defaultNamespace.
   */
  readonly defaultNamespace?: string;
  /**
   * How the object's file was given (`input #2` from readFiles, `-f #2` from the CLI): a file
   * given twice yields the same object twice at the same line, and the duplicate-object error
   * tells the two apart by it.
   */
  readonly via?: string;
}

/**
 * A file or directory to read with the namespace of its namespaced objects that have none
 * (like `kubectl apply -n`, but per file): `loadFiles([{ path: 'deny.yaml', namespace: 'stars' },
 * { path: 'deny.yaml', namespace: 'client' }])` loads one namespace-less policy into two
 * namespaces. Without `namespace`, LoadOptions.defaultNamespace applies.
 */
export interface FileInput {
  readonly path: string;
  readonly namespace?: string;
}

/**
 * Appends the objects read from one input to `into`, marked with its namespace (if any) and how
 * it was given. One by one: a file may hold more objects than a spread can pass as arguments.
 */
export function fromInput(into: RawObject[], objects: readonly RawObject[], namespace: string | undefined, via: string): void {
  for (const o of objects) into.push({ ...o, ...(namespace !== undefined && { defaultNamespace: namespace }), via });
}

/** readFiles' and readText's result: the objects read, and the problems reading them (syntax, size, unreadable files). */
export interface ReadResult {
  readonly objects: RawObject[];
  readonly issues: Issue[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** What the system said, without Node's `CODE: ... , syscall 'path'` wrapping. */
const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory (a component of the path is a file)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EISDIR: 'is a directory',
};

/**
 * The issue for a path the file system refused, with its real reason: a missing path is
 * `file-not-found`, anything else (permissions, a loop...) `file-unreadable`. Errors that do
 * not come from the file system (no `code`) are bugs, not input problems: rethrown.
 */
function fsIssue(file: string, e: unknown): Issue {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') throw e;
  const reason = FS_REASONS[code] ?? (e as Error).message;
  return {
    code: code === 'ENOENT' || code === 'ENOTDIR' ? 'file-not-found' : 'file-unreadable',
    severity: 'error',
    file,
    path: '',
    message: `cannot read ${file}: ${reason}`,
  };
}

/** Expands directories (one level, or all levels with `recursive`) into manifest files. */
export function listManifestFiles(paths: readonly string[], recursive = false): { files: string[]; issues: Issue[] } {
  const files: string[] = [];
  const issues: Issue[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      issues.push(fsIssue(dir, e));
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
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
    } catch (e) {
      issues.push(fsIssue(p, e));
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
    if (isMap(parent))
      range = (parent.items.find((pair) => isScalar(pair.key) && pair.key.value === seg)?.key as { range?: [number, number, number] } | undefined)?.range;
    else if (isSeq(parent) && typeof seg === 'number') range = (parent.items[seg] as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  const root = (doc.contents as { range?: [number, number, number] } | null)?.range;
  return root ? lines.linePos(root[0]).line : undefined;
}

/** Limits for reading (LoadOptions carries them). */
export interface ReadOptions {
  /** Refuse a file or text larger than this many bytes (default DEFAULT_MAX_INPUT_BYTES, 64 MiB). */
  readonly maxInputBytes?: number;
  /** Refuse YAML with more tokens than this (default DEFAULT_MAX_YAML_TOKENS); JSON is not limited by it. */
  readonly maxYamlTokens?: number;
}

/** ReadOptions' keys and types, checked by readText and readFiles (model/check-options.ts). */
export const READ_OPTIONS: OptionSpec<ReadOptions> = { maxInputBytes: 'number', maxYamlTokens: 'number' };

/** The issue for an input over the size limit (`size` undefined: reading stopped at the limit). */
export const tooLarge = (file: string, max: number, size?: number): Issue => ({
  code: 'input-too-large',
  severity: 'error',
  file,
  path: '',
  message: `${size === undefined ? 'more' : `${size} bytes, more`} than the input limit of ${max} bytes (raise it with --max-input-bytes or LoadOptions.maxInputBytes)`,
});

/** `kubectl get -o json` output: a .json file, or text that starts like a JSON object or list. */
const looksLikeJSON = (text: string, file: string): boolean => file.endsWith('.json') || /^\s*[{[]/.test(text);

/** Flattens `kind: List` and typed `*List` wrappers into raw objects. */
function flatten(value: unknown, file: string, document: number, locate: (path: PathSegments) => number | undefined, out: ReadResult): void {
  const add = (v: unknown, prefix: (string | number)[]): void => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      out.issues.push({
        code: 'not-an-object',
        severity: 'error',
        file,
        document,
        line: locate(prefix),
        path: '',
        message: 'expected a Kubernetes object (a mapping with apiVersion and kind)',
      });
      return;
    }
    const obj = v as Record<string, unknown>;
    const kind = obj['kind'];
    if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(obj['items'])) {
      // Items of a typed list (NetworkPolicyList...) may omit kind and apiVersion, as the API returns them.
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      (obj['items'] as unknown[]).forEach((item, i) => {
        const typed = itemKind && typeof item === 'object' && item !== null && !Array.isArray(item) && (item as Record<string, unknown>)['kind'] === undefined;
        add(typed ? Object.assign(Object.create(null) as object, { apiVersion: obj['apiVersion'], kind: itemKind }, item) : item, [...prefix, 'items', i]);
      });
      return;
    }
    out.objects.push({ file, document, value: obj, locate: (path) => locate([...prefix, ...path]) });
  };
  add(value, []);
}

function readJSON(text: string, file: string, out: ReadResult): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return false; // YAML (a flow mapping) or broken JSON: the YAML reader reports it with a line
  }
  const lines = new JsonLines(text);
  const dup = findDuplicateKey(text);
  if (dup) {
    const path = formatPath(dup.path);
    out.issues.push({
      code: 'duplicate-key',
      severity: 'error',
      file,
      document: 0,
      line: lines.lineOf(dup.offset),
      path,
      message: `${path}: duplicate key ${JSON.stringify(truncate(String(dup.path[dup.path.length - 1])))}`,
    });
  }
  flatten(value, file, 0, (path) => lines.line(path), out);
  return true;
}

/** The key the parser's DUPLICATE_KEY error points at (it marks only the key's first character): up to the `:`, unquoted. */
function keyAt(text: string, at: number): string {
  const end = text.slice(at, at + 256).search(/:(\s|$)|\n/);
  const key = text.slice(at, end < 0 ? at + 256 : at + end).trim();
  return /^(["']).*\1$/.test(key) ? key.slice(1, -1) : key;
}

/** Counts YAML tokens without keeping them; false as soon as there are more than `max`. */
function withinTokens(text: string, max: number): boolean {
  if (text.length <= max) return true; // every token holds at least one character
  let n = 0;
  for (const _ of new Lexer().lex(text)) if (++n > max) return false;
  return true;
}

const MAX_SYNTAX_ERRORS = 20;

function readYAML(text: string, file: string, out: ReadResult, maxTokens: number): void {
  if (!withinTokens(text, maxTokens)) {
    out.issues.push({
      code: 'input-too-large',
      severity: 'error',
      file,
      path: '',
      message: `more than ${maxTokens} YAML tokens (raise the limit with --max-yaml-tokens or LoadOptions.maxYamlTokens, or give the same objects as JSON, which has no such limit)`,
    });
    return;
  }
  const lines = new LineCounter();
  let docs;
  try {
    // failsafe: every scalar stays text; decode.ts resolves it as kubectl does.
    docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, schema: 'failsafe' });
  } catch (e) {
    out.issues.push({ code: 'yaml-syntax', severity: 'error', file, path: '', message: `cannot parse: ${(e as Error).message}` });
    return;
  }
  if (!Array.isArray(docs)) return; // an empty stream
  const aliasBudget = Math.max(ALIAS_BUDGET_FLOOR, text.length);
  docs.forEach((doc, index) => {
    // The parser can report one error per nesting level: the first ones say enough.
    for (const err of doc.errors.slice(0, MAX_SYNTAX_ERRORS)) {
      const duplicate = err.code === 'DUPLICATE_KEY';
      out.issues.push({
        code: duplicate ? 'duplicate-key' : 'yaml-syntax',
        severity: 'error',
        file,
        document: index,
        line: lines.linePos(err.pos[0]).line,
        path: '',
        message: duplicate
          ? `duplicate key ${JSON.stringify(truncate(keyAt(text, err.pos[0])))}: a mapping may hold each key once`
          : `cannot parse: ${err.message.split('\n')[0]}`,
      });
    }
    if (doc.errors.length > MAX_SYNTAX_ERRORS) {
      out.issues.push({
        code: 'yaml-syntax',
        severity: 'error',
        file,
        document: index,
        path: '',
        message: `and ${doc.errors.length - MAX_SYNTAX_ERRORS} more syntax error(s) in this document`,
      });
    }
    if (doc.errors.length > 0) return;
    const { value, problems } = decodeDocument(doc, { maxDepth: MAX_DEPTH, aliasBudget });
    for (const p of problems) {
      out.issues.push({
        code: p.code,
        severity: p.severity,
        file,
        document: index,
        ...(p.offset !== undefined && { line: lines.linePos(p.offset).line }),
        path: formatPath(p.path),
        message: fieldMessage(p),
      });
    }
    if (value === null || value === undefined || problems.some((p) => p.severity === 'error')) return; // empty, or refused
    flatten(value, file, index, (path) => nodeLine(doc, lines, path), out);
  });
}

/** Parses one text (a file's content) into raw objects: JSON with JSON.parse, else YAML. */
export function readText(text: string, file: string, options: ReadOptions = {}): ReadResult {
  checkOptions('readText options', options, READ_OPTIONS);
  const out: ReadResult = { objects: [], issues: [] };
  const max = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  // A UTF-8 byte is at most one UTF-16 unit: only a text near the limit needs counting.
  if (text.length > max / 3 && Buffer.byteLength(text, 'utf8') > max) {
    out.issues.push(tooLarge(file, max, Buffer.byteLength(text, 'utf8')));
    return out;
  }
  if (looksLikeJSON(text, file) && readJSON(text, file, out)) return out;
  readYAML(text, file, out, options.maxYamlTokens ?? DEFAULT_MAX_YAML_TOKENS);
  return out;
}

/**
 * Reads files and directories (see listManifestFiles) into raw objects. An input given as a
 * FileInput with a `namespace` marks its objects with it (RawObject.defaultNamespace); every
 * object records which input it came from (`via: 'input #N'`, 1-based).
 */
export function readFiles(paths: readonly (string | FileInput)[], recursive = false, options: ReadOptions = {}): ReadResult {
  checkOptions('readFiles options', options, READ_OPTIONS);
  const inputs = paths.map((p, i) => {
    if (typeof p === 'string') return { path: p };
    if (typeof p?.path !== 'string' || (p.namespace !== undefined && typeof p.namespace !== 'string'))
      throw new TypeError(`readFiles: input #${i + 1} must be a path or { path: string, namespace?: string }`);
    return p;
  });
  const listed = inputs.map((input) => listManifestFiles([input.path], recursive));
  const objects: RawObject[] = [];
  const issues: Issue[] = listed.flatMap((l) => l.issues);
  const max = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  listed.forEach(({ files }, i) => {
    for (const file of files) {
      let text: string;
      try {
        const size = statSync(file).size;
        if (size > max) {
          issues.push(tooLarge(file, max, size));
          continue;
        }
        text = readFileSync(file, 'utf8');
      } catch (e) {
        issues.push(fsIssue(file, e));
        continue;
      }
      const r = readText(text, file, options);
      fromInput(objects, r.objects, inputs[i]!.namespace, `input #${i + 1}`);
      for (const issue of r.issues) issues.push(issue);
    }
  });
  return { objects, issues };
}
