/**
 * Problems found while loading, as data. The message follows the API server's
 * `field.Error` format (`<path>: <Type>: <value>: <detail>`) so users can match it to
 * what `kubectl apply` would have said.
 */
import { ECHO_LIMIT } from './limits.js';

/** An error refuses the input (no cluster); a warning does not. */
export type Severity = 'error' | 'warning';

/** The API server's error type (Go `field.ErrorType`) of a validation problem, as its messages print it. */
export type ErrorType = 'Invalid value' | 'Required value' | 'Unsupported value' | 'Forbidden' | 'Duplicate value' | 'Too long' | 'Too many';

/** Every code an Issue carries (loader, update and capacity problems): a closed set callers can switch on. */
export type IssueCode =
  | 'apply-failed'
  | 'banp-name-not-default'
  | 'capacity-exceeded'
  | 'cidr-host-bits'
  | 'cidr-ipv4-mapped'
  | 'cidr-leading-zeros'
  | 'cidr-not-canonical'
  | 'cidr-required'
  | 'container-port-required'
  | 'domain-names-not-accept'
  | 'duplicate-entry'
  | 'duplicate-family'
  | 'duplicate-key'
  | 'duplicate-object'
  | 'endpoint-slice-without-service'
  | 'endport-below-port'
  | 'endport-with-named-port'
  | 'endport-without-port'
  | 'except-not-subset'
  | 'field-required'
  | 'file-not-found'
  | 'file-unreadable'
  | 'input-too-large'
  | 'invalid-cidr'
  | 'invalid-cluster-ip'
  | 'invalid-domain-name'
  | 'invalid-endport'
  | 'invalid-ip'
  | 'invalid-label-key'
  | 'invalid-label-value'
  | 'invalid-name'
  | 'invalid-namespace'
  | 'invalid-port'
  | 'invalid-port-name'
  | 'invalid-selector-operator'
  | 'ip-leading-zeros'
  | 'kind-required'
  | 'multiple-controllers'
  | 'name-required'
  | 'named-port-with-address-peer'
  | 'namespace-not-found'
  | 'node-port-forbidden'
  | 'node-port-range'
  | 'not-an-object'
  | 'not-found'
  | 'not-json'
  | 'number-out-of-range'
  | 'one-of-conflict'
  | 'one-of-required'
  | 'owner-not-in-input'
  | 'peer-ipblock-combined'
  | 'peer-required'
  | 'port-range-order'
  | 'priority-out-of-range'
  | 'priority-tie'
  | 'rules-ignored'
  | 'selector-empty'
  | 'selector-mismatch'
  | 'selector-values-forbidden'
  | 'selector-values-required'
  | 'shared-node-ip'
  | 'shared-pod-ip'
  | 'skipped-kind'
  | 'too-deep'
  | 'too-few-items'
  | 'too-long'
  | 'too-many-items'
  | 'too-many-policy-types'
  | 'unknown-field'
  | 'unknown-kind'
  | 'unsupported-action'
  | 'unsupported-address-type'
  | 'unsupported-api-version'
  | 'unsupported-phase'
  | 'unsupported-policy'
  | 'unsupported-policy-type'
  | 'unsupported-protocol'
  | 'unsupported-service-type'
  | 'unsupported-tier'
  | 'wrong-type'
  | 'yaml-1.1-value'
  | 'yaml-alias-bomb'
  | 'yaml-key'
  | 'yaml-merge'
  | 'yaml-syntax'
  | 'yaml-tag';

/**
 * One problem in the input, as data: where (file, document, line, object, Go-style field path),
 * what (`code`, and `check` for the validation rules of docs/semantics.md §3.2) and the message
 * the CLI prints (formatIssue).
 */
export interface Issue {
  /** Stable machine-readable code, e.g. `invalid-cidr`. */
  readonly code: IssueCode;
  /** The check in docs/semantics.md §3.2 (M1..T2) when there is one. */
  readonly check?: string;
  readonly severity: Severity;
  readonly file?: string;
  /** 0-based index of the YAML document in the file. */
  readonly document?: number;
  /** 1-based line of the offending field (or its nearest present ancestor). */
  readonly line?: number;
  /** `Kind namespace/name` of the object, when known. */
  readonly object?: string;
  /** Go field.Path syntax, e.g. `spec.egress[1].to[2].ipBlock.except[1]`. */
  readonly path: string;
  readonly type?: ErrorType;
  readonly message: string;
}

/** A path as segments, so that it can be both printed Go-style and found in a YAML tree. */
export type PathSegments = readonly (string | number)[];

export function formatPath(path: PathSegments): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? truncate(seg) : `.${truncate(seg)}`;
  }
  // A path 512 levels deep is cut too: the start says where it is.
  return truncate(out, 5 * ECHO_LIMIT);
}

/** Input echoed into a message is cut: a 30 MB label must not become a 30 MB line. */
export function truncate(text: string, limit = ECHO_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}... (${text.length - limit} more characters)`;
}

/** Go's %q-ish rendering of the offending value in the message. */
function formatValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length <= ECHO_LIMIT
      ? JSON.stringify(value)
      : `${JSON.stringify(value.slice(0, ECHO_LIMIT))}... (${value.length - ECHO_LIMIT} more characters)`;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return truncate(JSON.stringify(value));
  return String(value);
}

export interface FieldProblem {
  readonly code: IssueCode;
  readonly check?: string;
  readonly severity: Severity;
  readonly path: PathSegments;
  readonly type?: ErrorType;
  readonly value?: unknown;
  readonly hasValue: boolean;
  readonly detail: string;
}

export function fieldMessage(p: FieldProblem): string {
  const path = formatPath(p.path);
  if (!p.type) return `${path}: ${p.detail}`;
  const withValue = p.hasValue && p.type !== 'Required value' && p.type !== 'Forbidden';
  // As Go's field.Error: no ': ' after the type (or value) when there is no detail.
  const detail = p.detail === '' ? '' : `: ${p.detail}`;
  return withValue ? `${path}: ${p.type}: ${formatValue(p.value)}${detail}` : `${path}: ${p.type}${detail}`;
}

const FOOTPRINT = Symbol.for('netpol/LoadError');

/** Thrown by the `...OrThrow` helpers; carries every issue, errors and warnings. */
export class LoadError extends Error {
  readonly issues: readonly Issue[];
  constructor(issues: readonly Issue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    super(`${errors.length} problem(s) in the input:\n${errors.map(formatIssue).join('\n')}`);
    this.name = 'LoadError';
    this.issues = issues;
    Object.defineProperty(this, FOOTPRINT, { value: true });
  }
  /** Works across duplicate copies of the package, unlike instanceof. */
  static isLoadError(e: unknown): e is LoadError {
    return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[FOOTPRINT] === true;
  }
}

/** `file:line: [doc N] Kind ns/name: message` — the one-line form the CLI prints. */
export function formatIssue(i: Issue): string {
  const where = [i.file, i.line].filter((x) => x !== undefined).join(':');
  const doc = i.document !== undefined ? `doc ${i.document}` : '';
  const head = [where, doc, i.object].filter(Boolean).join(' ');
  return `${i.severity}: ${head ? head + ': ' : ''}${i.message}`;
}
