/**
 * What `netpol lint` reports and how a check is written. A check reads the validated cluster
 * (never YAML) and returns findings that name an object and a field path as segments; the
 * linter (lint.ts) turns those into file:line from the objects' sources and applies the
 * per-object suppression annotation.
 */
import type { PathSegments } from '../load/issues.js';
import type { Cluster, Pod } from '../model/types.js';

/** How serious a finding is; `--fail-on` compares against this order: info < warning < error. */
export type LintSeverity = 'error' | 'warning' | 'info';

/** The object a finding is about: its kind, namespace (absent for cluster-scoped kinds) and name. */
export interface LintObjectRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** A check's finding before the linter locates it. */
export interface CheckFinding {
  readonly object: LintObjectRef;
  /** Field path inside the object, as segments (`['spec', 'egress', 0, 'to', 1]`); `[]` for the whole object. */
  readonly path: PathSegments;
  /** One line: what is wrong and why it matters. */
  readonly message: string;
  /** One line: the suggested fix. */
  readonly fix: string;
  /** Overrides the check's default severity for this finding. */
  readonly severity?: LintSeverity;
}

/** A finding as reported: the check's id and severity, and where it is (file, line, Go field path). */
export interface LintFinding {
  /** The check's stable id, e.g. `policy-selects-no-pods`. */
  readonly id: string;
  readonly severity: LintSeverity;
  /** `Kind namespace/name`, or `Kind name` for cluster-scoped kinds. */
  readonly object: string;
  readonly ref: LintObjectRef;
  readonly file?: string;
  /** 1-based line of the field (or its nearest present ancestor). */
  readonly line?: number;
  /** Go field.Path syntax, e.g. `spec.egress[0].to[1]`; empty for the whole object. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/**
 * What a check may read. `endpoints` are the pods policies apply to: running and pending pods
 * with their addresses, plus one template pod per workload without pods (model/endpoints.ts).
 * `memo` shares an expensive derived value (a compiled image, a reference evaluator) between
 * checks of one run: the first caller computes it.
 */
export interface LintContext {
  readonly cluster: Cluster;
  readonly endpoints: readonly Pod[];
  /** The value computed for `key` in this run: the first call computes it with `compute`, later ones get the same value. */
  memo<T>(key: string, compute: () => T): T;
  /**
   * The object as written (its JSON value before defaulting), for a check that must tell a
   * defaulted field from a given one (was `policyTypes` written?). Undefined when the input
   * holds no such object or the caller built the context without sources.
   */
  source?(ref: LintObjectRef): Readonly<Record<string, unknown>> | undefined;
}

/** One lint check: a stable id, its default severity, a title and a longer description (docs, SARIF rule help). */
export interface LintCheck {
  readonly id: string;
  readonly severity: LintSeverity;
  /** Short, for SARIF `shortDescription` and `netpol lint --list`. */
  readonly title: string;
  /** Why it matters and what to do, a few sentences (SARIF `fullDescription`, docs/lint.md). */
  readonly description: string;
  /** The check's findings over one validated input (the linter locates, sorts and suppresses them). */
  run(ctx: LintContext): Iterable<CheckFinding>;
}
