/** ipBlock CIDR strings: Go's sloppy parse plus the strict checks of KEP-4858 (B2-B6). */

import { formatCIDR, parseCIDR, type CIDR } from '../ip/cidr.js';
import type { Problems } from './fields.js';
import type { PathSegments } from './issues.js';

const STRICT_CHECKS = [
  ['leadingZeros', 'B3', 'cidr-leading-zeros', 'must not have leading 0s in IP or prefix length'],
  ['ipv4Mapped', 'B4', 'cidr-ipv4-mapped', 'must not have an IPv4-mapped IPv6 address'],
  ['hostBits', 'B5', 'cidr-host-bits', 'must not have bits set beyond the prefix length'],
] as const;

/**
 * Validates one CIDR of an ipBlock. Legacy forms are errors with `strict` (a 1.36 API
 * server on create) and warnings otherwise (what older servers stored), evaluated masked.
 */
export function validateCIDRField(pr: Problems, text: string, path: PathSegments, strict: boolean, isExcept: boolean): { cidr: CIDR; written: number } | undefined {
  const parsed = parseCIDR(text);
  if (!parsed.ok) {
    pr.invalid('invalid-cidr', isExcept ? 'B6' : 'B2', path, text, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
    return undefined;
  }
  for (const [flag, check, code, detail] of STRICT_CHECKS) {
    if (!parsed.legacy[flag]) continue;
    const id = isExcept ? 'B6' : check;
    if (strict) pr.invalid(code, id, path, text, detail);
    else pr.warn(code, id, path, text, `${detail}; accepted as a legacy form and evaluated as ${formatCIDR(parsed.cidr)} (--strict rejects it, as a 1.36 API server does on create)`);
  }
  const legacy = parsed.legacy.leadingZeros || parsed.legacy.ipv4Mapped || parsed.legacy.hostBits;
  if (!legacy && parsed.cidr.family === 6) {
    const canonical = formatCIDR(parsed.cidr);
    if (canonical !== text) pr.warn('cidr-not-canonical', undefined, path, text, `is not in canonical form; the canonical form is ${JSON.stringify(canonical)}`);
  }
  return { cidr: parsed.cidr, written: parsed.written };
}

