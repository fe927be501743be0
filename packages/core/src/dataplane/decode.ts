/** Verdict bytes ↔ the Decision strings every engine reports. */
import { DECISION } from '../compile/layout.js';
import type { Decision, Verdict } from '../model/flow.js';

export const DECISIONS: readonly Decision[] = ['allowed', 'denied', 'not-isolated', 'not-applicable'];
export const DECISION_CODE: Readonly<Record<Decision, number>> = { allowed: DECISION.allowed, denied: DECISION.denied, 'not-isolated': DECISION.notIsolated, 'not-applicable': DECISION.notApplicable };

const VERDICTS: Verdict[] = [];
for (let b = 0; b < 32; b++) VERDICTS[b] = { allowed: (b & 1) === 1, egress: DECISIONS[(b >> 1) & 3]!, ingress: DECISIONS[(b >> 3) & 3]! };

/** Decodes a verdict byte (shared frozen objects: no allocation). */
export function decodeVerdict(byte: number): Verdict {
  const v = VERDICTS[byte & 31];
  if (!v || byte & 0x80) throw new RangeError(`malformed flow (verdict byte ${byte})`);
  return v;
}
for (const v of VERDICTS) Object.freeze(v);
