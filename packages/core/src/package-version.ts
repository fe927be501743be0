/**
 * The version of the installed @netpol/core, from its package.json: one level up from both
 * src/ and dist/, so the same code works from the sources (tests) and the built package. Read
 * once; the CLI prints it, saved images record which netpol wrote them.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package's version string (package.json `version`), read on first use. */
export function netpolVersion(): string {
  return (cached ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version);
}
