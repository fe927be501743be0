/** Verdict bytes ↔ the Decision strings every engine reports (below dataplane/ and packet/, which both decode). */
import { DECISION } from './layout.js';
import type { Decision, Verdict } from '../model/flow.js';

/** Indexed by decision code (compile/layout.ts DECISION). */
export const DECISIONS: readonly Decision[] = [
  'allowed',
  'denied',
  'not-isolated',
  'not-applicable',
  'admin-allowed',
  'admin-denied',
  'baseline-allowed',
  'baseline-denied',
];
export const DECISION_CODE: Readonly<Record<Decision, number>> = {
  allowed: DECISION.allowed,
  denied: DECISION.denied,
  'not-isolated': DECISION.notIsolated,
  'not-applicable': DECISION.notApplicable,
  'admin-allowed': DECISION.adminAllowed,
  'admin-denied': DECISION.adminDenied,
  'baseline-allowed': DECISION.baselineAllowed,
  'baseline-denied': DECISION.baselineDenied,
};

/** Whether a direction's decision denies the flow (model/flow.ts, beside Decision, where the reference reads it too). */
export { isDenying } from '../model/flow.js';

const VERDICTS: Verdict[] = [];
for (let b = 0; b < 128; b++) VERDICTS[b] = { allowed: (b & 1) === 1, egress: DECISIONS[(b >> 1) & 7]!, ingress: DECISIONS[(b >> 4) & 7]! };

/** Decodes a verdict byte (shared frozen objects: no allocation). */
export function decodeVerdict(byte: number): Verdict {
  const v = VERDICTS[byte & 127];
  if (!v || byte & 0x80) throw new RangeError(`malformed flow (verdict byte ${byte})`);
  return v;
}
for (const v of VERDICTS) Object.freeze(v);
