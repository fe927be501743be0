/**
 * How a policy port is written in explanations (PortMiss.port). Shared by every engine's
 * explain, so it lives in the model layer (the compiled engine must not import its oracle).
 */
import type { PolicyPort } from './types.js';

/** A policy port as written in a rule: `TCP 80`, `TCP 8000-8080`, `UDP any`, `TCP http`. */
export function describePort(p: PolicyPort): string {
  if (p.port === undefined) return `${p.protocol} any`;
  if (p.endPort !== undefined) return `${p.protocol} ${p.port}-${p.endPort}`;
  return `${p.protocol} ${p.port}`;
}
