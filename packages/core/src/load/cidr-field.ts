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
 *
 * `cel`: a cluster-scoped policy's `networks` entry instead, checked by the CRD's CEL
 * `isCIDR()` (netip.ParsePrefix, IPv4-mapped refused): leading zeros and IPv4-mapped
 * addresses are always errors, host bits are accepted (a warning: evaluated masked, as the
 * implementations do), and no NetworkPolicy check id is given.
 */
export function validateCIDRField(
  pr: Problems,
  text: string,
  path: PathSegments,
  strict: boolean,
  isExcept: boolean,
  cel = false,
): { cidr: CIDR; written: number } | undefined {
  const parsed = parseCIDR(text);
  if (!parsed.ok) {
    if (cel) pr.invalid('invalid-cidr', undefined, path, text, 'Invalid CIDR format provided (e.g. 10.9.8.0/24 or 2001:db8::/64)');
    else pr.invalid('invalid-cidr', isExcept ? 'B6' : 'B2', path, text, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
    return undefined;
  }
  for (const [flag, check, code, detail] of STRICT_CHECKS) {
    if (!parsed.legacy[flag]) continue;
    const id = cel ? undefined : isExcept ? 'B6' : check;
    if (cel && flag === 'hostBits') pr.warn(code, id, path, text, `${detail}; accepted by the CRD and evaluated as ${formatCIDR(parsed.cidr)}`);
    else if (strict || cel) pr.invalid(code, id, path, text, detail);
    else
      pr.warn(
        code,
        id,
        path,
        text,
        `${detail}; accepted as a legacy form and evaluated as ${formatCIDR(parsed.cidr)} (--strict rejects it, as a 1.36 API server does on create)`,
      );
  }
  const legacy = parsed.legacy.leadingZeros || parsed.legacy.ipv4Mapped || parsed.legacy.hostBits;
  if (!legacy && parsed.cidr.family === 6) {
    const canonical = formatCIDR(parsed.cidr);
    if (canonical !== text)
      pr.warn('cidr-not-canonical', undefined, path, text, `is not in canonical form; the canonical form is ${JSON.stringify(canonical)}`);
  }
  return { cidr: parsed.cidr, written: parsed.written };
}
