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
import { boundedInteger, oneOf, requireField } from './crd-schema.js';
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
  return oneOf(pr, raw, path, V1ALPHA2_FIELDS, (field, obj, p) => {
    if (field === 'destinationNamedPort') return namedPort(pr, obj[field], p);
    // MinProperties=1: `tcp: {}` is refused; every port of a protocol is the range 1-65535.
    const protocol = field.toUpperCase() as PolicyProtocol;
    return oneOf(pr, obj[field], p, ['destinationPort'], (_, proto, dp) =>
      oneOf<'number' | 'range', ClusterPort>(pr, proto['destinationPort'], dp, ['number', 'range'], (kind, dest, kp) => {
        if (kind === 'number') {
          const n = boundedInteger(pr, dest['number'], kp, 1, 65535, 'invalid-port');
          return n === undefined ? undefined : { kind: 'range', protocol, start: n, end: n };
        }
        const r = getObject(pr, dest['range'], kp) ?? {};
        checkKnownFields(pr, r, kp, ['start', 'end']);
        const range = portRange(pr, r, kp);
        return range && { kind: 'range', protocol, ...range };
      }),
    );
  });
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
  return oneOf(pr, raw, path, V1ALPHA1_FIELDS, (field, obj, p) => {
    if (field === 'namedPort') return namedPort(pr, obj[field], p);
    const o = getObject(pr, obj[field], p) ?? {};
    checkKnownFields(pr, o, p, field === 'portNumber' ? ['protocol', 'port'] : ['protocol', 'start', 'end']);
    const protocol = protocolOf(pr, o, p);
    if (field === 'portNumber') {
      const n = port(pr, o, 'port', p);
      return protocol && n !== undefined ? { kind: 'range', protocol, start: n, end: n } : undefined;
    }
    const range = portRange(pr, o, p);
    return protocol && range ? { kind: 'range', protocol, ...range } : undefined;
  });
}
