/**
 * Per-object suppression: the annotation `lint.netpol.io/ignore` lists the check ids whose
 * findings about that object are suppressed (comma-separated; `*` or `all` for every check).
 * Suppressed findings are reported apart (counted in the text summary, SARIF `suppressions`),
 * never dropped silently.
 */
import { metadataOf } from './objects.js';

/** The annotation that suppresses findings about the object it is on. */
export const IGNORE_ANNOTATION = 'lint.netpol.io/ignore';

/** What an object suppresses: every check, or the listed ids. */
export type Suppression = 'all' | ReadonlySet<string>;

const NONE: ReadonlySet<string> = new Set();

/** The object's suppression, read from its annotations as written. */
export function suppressionOf(value: Record<string, unknown>): Suppression {
  const annotations = metadataOf(value)?.['annotations'];
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations)) return NONE;
  const v = (annotations as Record<string, unknown>)[IGNORE_ANNOTATION];
  if (typeof v !== 'string') return NONE;
  const ids = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return ids.includes('*') || ids.includes('all') ? 'all' : new Set(ids);
}

/** Does `suppression` cover the check `id`? */
export const suppresses = (suppression: Suppression, id: string): boolean => suppression === 'all' || suppression.has(id);
