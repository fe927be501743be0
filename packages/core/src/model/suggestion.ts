/**
 * What `explain` suggests for a denied flow (Explanation.suggestions): the smallest changes
 * found that would allow it, as data. Each suggestion is for one denying direction and names
 * the rule it builds on; its changes are given as manifest fragments (what to paste into the
 * YAML) and object references, so a consumer can apply them without knowing netpol's model.
 * analysis/suggest.ts computes and checks them; cli/explain-text.ts renders them.
 */
import type { Direction } from './types.js';

/** A piece of a manifest exactly as it would be written in YAML: a `ports` entry, a `from`/`to` entry, a rule. */
export type ManifestFragment = { readonly [key: string]: unknown };

/**
 * A Pod or Namespace whose labels a change edits. `owner`: the pod's top-level controller, when
 * it has one (the lasting change is to its pod template).
 */
export interface LabelledObject {
  readonly kind: 'Pod' | 'Namespace';
  /** The pod's namespace; absent for a Namespace. */
  readonly namespace?: string;
  readonly name: string;
  readonly owner?: { readonly kind: string; readonly name: string };
}

/**
 * One edit. NetworkPolicy edits name the policy (`namespace/name`), the direction's rule list
 * (`ingress`/`egress`) and the rule's index as written; peers and excepts by index too.
 * - add-port: append `port` to the rule's `ports`;
 * - remove-except: delete `except` (at `exceptIndex`) from the ipBlock of peer `peerIndex`;
 * - add-peer: append `peer` to the rule's `from`/`to`;
 * - replace-peer: replace peer `peerIndex` with `peer` (the `name: x` namespace-label mistake);
 * - add-rule: append `rule` to the policy's `ingress`/`egress`;
 * - set-label / remove-label: on a Pod or Namespace (`replaces`: the value a set replaces);
 * - insert-cluster-rule: insert `rule` into a cluster-scoped policy (`cnp/x`, `anp/x`,
 *   `banp/default`) before its rule `before` (so it is matched first).
 */
export type SuggestedChange =
  | { readonly kind: 'add-port'; readonly policy: string; readonly direction: Direction; readonly ruleIndex: number; readonly port: ManifestFragment }
  | {
      readonly kind: 'remove-except';
      readonly policy: string;
      readonly direction: Direction;
      readonly ruleIndex: number;
      readonly peerIndex: number;
      readonly exceptIndex: number;
      readonly except: string;
    }
  | { readonly kind: 'add-peer'; readonly policy: string; readonly direction: Direction; readonly ruleIndex: number; readonly peer: ManifestFragment }
  | {
      readonly kind: 'replace-peer';
      readonly policy: string;
      readonly direction: Direction;
      readonly ruleIndex: number;
      readonly peerIndex: number;
      readonly peer: ManifestFragment;
    }
  | { readonly kind: 'add-rule'; readonly policy: string; readonly direction: Direction; readonly rule: ManifestFragment }
  | {
      readonly kind: 'set-label';
      readonly object: LabelledObject;
      readonly key: string;
      readonly value: string;
      /** The value the label has now, when it has one (the change replaces it). */
      readonly replaces?: string;
    }
  | { readonly kind: 'remove-label'; readonly object: LabelledObject; readonly key: string }
  | { readonly kind: 'insert-cluster-rule'; readonly policy: string; readonly direction: Direction; readonly before: number; readonly rule: ManifestFragment };

/**
 * What the rule a suggestion builds on missed: only its ports (`port`), only its peers (`peer`),
 * both (`peer-and-port`); `isolation-only`: the policy has no rule for the direction (it only
 * isolates), so the suggestion is a first rule; `new-rule`: no rule of the policy is close, so a
 * new one; `admin-deny`: an Admin-tier Deny rule decided, before any NetworkPolicy, and no
 * NetworkPolicy or lower-priority Accept can override it, so the change is an Accept ahead of it
 * in that policy; `baseline-deny`: a Baseline-tier Deny decided (no NetworkPolicy isolates the
 * pod) and no lower-priority Baseline Accept can override it: an Accept ahead of it likewise
 * (a NetworkPolicy selecting the pod would also take the decision away from the Baseline tier,
 * but isolates the pod for everything else, so it is not suggested).
 */
export type SuggestionBasis = 'port' | 'peer' | 'peer-and-port' | 'isolation-only' | 'new-rule' | 'admin-deny' | 'baseline-deny';

/**
 * A change that would allow a denied flow in one direction, checked against the reference
 * evaluator before it is offered: applied alone, the direction no longer denies and the other
 * direction does not start to; the first suggestion of each denying direction, applied
 * together, allow the flow (when no pair found does, the ingress suggestions are left out
 * rather than offer halves that do not add up).
 */
export interface Suggestion {
  readonly direction: Direction;
  readonly basis: SuggestionBasis;
  /** The policy the suggestion builds on (`namespace/name`, or `cnp/x` for a cluster-scoped Deny). */
  readonly policy: string;
  /** The rule it completes (for `admin-deny`/`baseline-deny`: the Deny rule); null: a new rule. */
  readonly ruleIndex: number | null;
  readonly changes: readonly SuggestedChange[];
}
