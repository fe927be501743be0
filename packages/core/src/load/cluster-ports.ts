/**
 * The port part of a cluster-scoped rule, as the CRDs validate it: v1alpha2's `protocols`
 * entries (exactly one of tcp, udp, sctp, destinationNamedPort; a protocol's destinationPort
 * is exactly one of number or range) and v1alpha1's `ports` entries (exactly one of
 * portNumber, portRange, namedPort; the protocol defaults to TCP). Ports are 1-65535 and a
 * range's start must be below its end.
 */
import type { ClusterPort, PolicyProtocol } from '../model/types.js';
import { checkKnownFields, getObject, getString, isAbsent, type Obj, type Problems } from './fields.js';
import type { PathSegments } from './issues.js';
import { boundedInteger, exactlyOne, requireField } from './crd-schema.js';
import { portName } from './syntax.js';

const PROTOCOLS: readonly PolicyProtocol[] = ['TCP', 'UDP', 'SCTP'];
const V1ALPHA2_FIELDS = ['tcp', 'udp', 'sctp', 'destinationNamedPort'] as const;
const V1ALPHA1_FIELDS = ['portNumber', 'namedPort', 'portRange'] as const;

const port = (pr: Problems, obj: Obj, key: string, path: PathSegments): number | undefined =>
  requireField(pr, obj, key, path) ? boundedInteger(pr, obj[key], [...path, key], 1, 65535, 'invalid-port') : undefined;

/** `start` and `end` (both required, 1-65535) with the CEL rule start < end. */
function portRange(pr: Problems, obj: Obj, path: PathSegments): { start: number; end: number } | undefined {
  const start = port(pr, obj, 'start', path);
  const end = port(pr, obj, 'end', path);
  if (start === undefined || end === undefined) return undefined;
  if (start >= end) {
    pr.invalid('port-range-order', undefined, path, { start, end }, 'Start port must be less than End port (a single port is written as a number)');
    return undefined;
  }
  return { start, end };
}

/** A named port: any string is accepted, as by the CRD; one no container port can have is said to match nothing. */
function namedPort(pr: Problems, v: unknown, path: PathSegments): ClusterPort | undefined {
  const name = getString(pr, v, path);
  if (name === undefined) return undefined;
  const errs = portName(name);
  if (errs.length > 0) pr.warn('invalid-port-name', undefined, path, name, `no container port can have this name (${errs[0]}): the entry matches nothing`);
  return { kind: 'named', name };
}

/** One v1alpha2 `protocols` entry. */
export function validateProtocolEntry(pr: Problems, raw: unknown, path: PathSegments): ClusterPort | undefined {
  const obj = getObject(pr, raw, path) ?? {};
  checkKnownFields(pr, obj, path, V1ALPHA2_FIELDS);
  const which = exactlyOne(pr, obj, path, V1ALPHA2_FIELDS);
  let out: ClusterPort | undefined;
  // Every field set is checked, so that a second one's problems are listed too.
  for (const field of V1ALPHA2_FIELDS) {
    if (isAbsent(obj[field])) continue;
    const p = [...path, field];
    let entry: ClusterPort | undefined;
    if (field === 'destinationNamedPort') entry = namedPort(pr, obj[field], p);
    else {
      const proto = getObject(pr, obj[field], p) ?? {};
      checkKnownFields(pr, proto, p, ['destinationPort']);
      // MinProperties=1: `tcp: {}` is refused; every port of a protocol is the range 1-65535.
      if (exactlyOne(pr, proto, p, ['destinationPort']) === undefined) continue;
      const dp = [...p, 'destinationPort'];
      const dest = getObject(pr, proto['destinationPort'], dp) ?? {};
      checkKnownFields(pr, dest, dp, ['number', 'range']);
      const kind = exactlyOne(pr, dest, dp, ['number', 'range']);
      const protocol = field.toUpperCase() as PolicyProtocol;
      const number = isAbsent(dest['number']) ? undefined : boundedInteger(pr, dest['number'], [...dp, 'number'], 1, 65535, 'invalid-port');
      let range: { start: number; end: number } | undefined;
      if (!isAbsent(dest['range'])) {
        const rp = [...dp, 'range'];
        const r = getObject(pr, dest['range'], rp) ?? {};
        checkKnownFields(pr, r, rp, ['start', 'end']);
        range = portRange(pr, r, rp);
      }
      if (kind === 'number' && number !== undefined) entry = { kind: 'range', protocol, start: number, end: number };
      else if (kind === 'range' && range) entry = { kind: 'range', protocol, ...range };
    }
    if (field === which) out = entry;
  }
  return out;
}

function protocolOf(pr: Problems, obj: Obj, path: PathSegments): PolicyProtocol | undefined {
  // The CRD defaults an absent protocol to TCP; it has no enum, but netpol evaluates only these three.
  const protocol = isAbsent(obj['protocol']) ? 'TCP' : getString(pr, obj['protocol'], [...path, 'protocol']);
  if (protocol === undefined) return undefined;
  if (PROTOCOLS.includes(protocol as PolicyProtocol)) return protocol as PolicyProtocol;
  pr.unsupported('unsupported-protocol', undefined, [...path, 'protocol'], protocol, PROTOCOLS);
  return undefined;
}

/** One v1alpha1 `ports` entry. */
export function validatePortEntry(pr: Problems, raw: unknown, path: PathSegments): ClusterPort | undefined {
  const obj = getObject(pr, raw, path) ?? {};
  checkKnownFields(pr, obj, path, V1ALPHA1_FIELDS);
  const which = exactlyOne(pr, obj, path, V1ALPHA1_FIELDS);
  let out: ClusterPort | undefined;
  for (const field of V1ALPHA1_FIELDS) {
    if (isAbsent(obj[field])) continue;
    const p = [...path, field];
    let entry: ClusterPort | undefined;
    if (field === 'namedPort') entry = namedPort(pr, obj[field], p);
    else {
      const o = getObject(pr, obj[field], p) ?? {};
      checkKnownFields(pr, o, p, field === 'portNumber' ? ['protocol', 'port'] : ['protocol', 'start', 'end']);
      const protocol = protocolOf(pr, o, p);
      if (field === 'portNumber') {
        const n = port(pr, o, 'port', p);
        if (protocol && n !== undefined) entry = { kind: 'range', protocol, start: n, end: n };
      } else {
        const range = portRange(pr, o, p);
        if (protocol && range) entry = { kind: 'range', protocol, ...range };
      }
    }
    if (field === which) out = entry;
  }
  return out;
}
