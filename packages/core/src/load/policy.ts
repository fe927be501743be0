/**
 * NetworkPolicy defaulting and validation, check by check as the API server does it
 * (docs/semantics.md §1 and §3), in the API server's order, accumulating every problem.
 */
import { isStrictSubset, type CIDR } from '../ip/cidr.js';
import { EMPTY_SELECTOR } from '../model/selector.js';
import type { NetworkPolicy, Peer, PolicyPort, PolicyProtocol, Rule } from '../model/types.js';
import { checkKnownFields, getArray, getInteger, getObject, getString, isAbsent, type Obj, type Problems } from './fields.js';
import type { PathSegments } from './issues.js';
import { validateMeta, validateSelector } from './meta.js';
import { validateCIDRField } from './cidr-field.js';
import { portName, portNumber } from './syntax.js';

export interface PolicyOptions {
  readonly strict: boolean;
  readonly defaultNamespace: string;
  readonly fallbackName: string;
}

const PROTOCOLS: readonly PolicyProtocol[] = ['TCP', 'UDP', 'SCTP'];

function validatePort(pr: Problems, raw: unknown, path: PathSegments): PolicyPort | undefined {
  const obj = getObject(pr, raw, path) ?? {};
  checkKnownFields(pr, obj, path, ['protocol', 'port', 'endPort']);
  // SetDefaults_NetworkPolicyPort: only a nil protocol becomes TCP; "" stays and is rejected.
  const protocol = isAbsent(obj['protocol']) ? 'TCP' : getString(pr, obj['protocol'], [...path, 'protocol']);
  if (protocol !== undefined && !PROTOCOLS.includes(protocol as PolicyProtocol)) {
    pr.unsupported('unsupported-protocol', 'P1', [...path, 'protocol'], protocol, PROTOCOLS);
  }
  const rawPort = obj['port'];
  let port: number | string | undefined;
  if (!isAbsent(rawPort)) {
    if (typeof rawPort === 'string') port = rawPort;
    else port = getInteger(pr, rawPort, [...path, 'port']);
  }
  const endPort = getInteger(pr, obj['endPort'], [...path, 'endPort']);
  if (typeof port === 'number') {
    for (const msg of portNumber(port)) pr.invalid('invalid-port', 'P2', [...path, 'port'], port, msg);
    if (endPort !== undefined) {
      if (endPort < port) pr.invalid('endport-below-port', 'P4', [...path, 'endPort'], port, 'must be greater than or equal to `port`');
      for (const msg of portNumber(endPort)) pr.invalid('invalid-endport', 'P5', [...path, 'endPort'], endPort, msg);
    }
  } else if (typeof port === 'string') {
    if (endPort !== undefined) pr.invalid('endport-with-named-port', 'P6', [...path, 'endPort'], endPort, 'may not be specified when `port` is non-numeric');
    for (const msg of portName(port)) pr.invalid('invalid-port-name', 'P3', [...path, 'port'], port, msg);
  } else if (endPort !== undefined && isAbsent(rawPort)) {
    pr.invalid('endport-without-port', 'P7', [...path, 'endPort'], endPort, 'may not be specified when `port` is not specified');
  }
  if (protocol === undefined || !PROTOCOLS.includes(protocol as PolicyProtocol)) return undefined;
  return {
    protocol: protocol as PolicyProtocol,
    ...(port !== undefined && { port }),
    ...(endPort !== undefined && typeof port === 'number' && { endPort }),
  };
}

function validateIPBlock(pr: Problems, raw: Obj, path: PathSegments, strict: boolean): Peer | undefined {
  checkKnownFields(pr, raw, path, ['cidr', 'except']);
  const cidrText = getString(pr, raw['cidr'], [...path, 'cidr']) ?? '';
  const exceptRaw = getArray(pr, raw['except'], [...path, 'except']) ?? [];
  if (cidrText === '') {
    pr.required('cidr-required', 'B1', [...path, 'cidr'], '');
    return undefined;
  }
  const outer = validateCIDRField(pr, cidrText, [...path, 'cidr'], strict, false);
  if (!outer) return undefined; // the API server skips the except checks too
  const except: CIDR[] = [];
  exceptRaw.forEach((x, m) => {
    const p = [...path, 'except', m];
    // A null entry decodes to "" in Go, which then fails to parse.
    const text = isAbsent(x) ? '' : getString(pr, x, p);
    if (text === undefined) return;
    const e = validateCIDRField(pr, text, p, strict, true);
    if (!e) return;
    if (!isStrictSubset(e.cidr, outer.cidr, e.written, outer.written)) pr.invalid('except-not-subset', 'B7', p, text, 'must be a strict subset of `cidr`');
    except.push(e.cidr);
  });
  return { kind: 'ipBlock', ipBlock: { cidr: outer.cidr, except } };
}

function validatePeer(pr: Problems, raw: unknown, path: PathSegments, strict: boolean): Peer | undefined {
  const obj = getObject(pr, raw, path) ?? {};
  checkKnownFields(pr, obj, path, ['podSelector', 'namespaceSelector', 'ipBlock']);
  const podSelector = validateSelector(pr, obj['podSelector'], [...path, 'podSelector']);
  const namespaceSelector = validateSelector(pr, obj['namespaceSelector'], [...path, 'namespaceSelector']);
  const ipBlockRaw = getObject(pr, obj['ipBlock'], [...path, 'ipBlock']);
  const ipBlock = ipBlockRaw && validateIPBlock(pr, ipBlockRaw, [...path, 'ipBlock'], strict);
  const count = [podSelector, namespaceSelector, ipBlockRaw].filter((x) => x !== undefined).length;
  if (count === 0) pr.required('peer-required', 'R1', path, 'must specify a peer');
  else if (count > 1 && ipBlockRaw) pr.forbidden('peer-ipblock-combined', 'R2', path, 'may not specify both ipBlock and another peer');
  if (ipBlockRaw) return ipBlock;
  if (count === 0) return undefined;
  return { kind: 'selector', ...(podSelector && { podSelector }), ...(namespaceSelector && { namespaceSelector }) };
}

function validateRules(pr: Problems, spec: Obj, direction: 'ingress' | 'egress', strict: boolean): Rule[] {
  const peersField = direction === 'ingress' ? 'from' : 'to';
  const rules: Rule[] = [];
  (getArray(pr, spec[direction], ['spec', direction]) ?? []).forEach((raw, i) => {
    const path = ['spec', direction, i];
    const rule = getObject(pr, raw, path) ?? {};
    checkKnownFields(pr, rule, path, ['ports', peersField]);
    const ports = (getArray(pr, rule['ports'], [...path, 'ports']) ?? []).map((p, j) => validatePort(pr, p, [...path, 'ports', j]));
    const peers = (getArray(pr, rule[peersField], [...path, peersField]) ?? []).map((p, k) => validatePeer(pr, p, [...path, peersField, k], strict));
    rules.push({ ports: ports.filter((p) => p !== undefined), peers: peers.filter((p) => p !== undefined) });
  });
  return rules;
}

/** Validates and defaults one NetworkPolicy object. The result is meaningful only without errors. */
export function validatePolicy(pr: Problems, obj: Obj, opts: PolicyOptions): NetworkPolicy {
  checkKnownFields(pr, obj, [], ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  const meta = validateMeta(pr, obj, { namespaced: true, defaultNamespace: opts.defaultNamespace, fallbackName: opts.fallbackName });
  // An absent spec is {podSelector: {}}: after defaulting, deny all ingress in the namespace.
  const spec = getObject(pr, obj['spec'], ['spec']) ?? {};
  checkKnownFields(pr, spec, ['spec'], ['podSelector', 'ingress', 'egress', 'policyTypes']);
  const podSelector = validateSelector(pr, spec['podSelector'], ['spec', 'podSelector']) ?? EMPTY_SELECTOR;
  const ingress = validateRules(pr, spec, 'ingress', opts.strict);
  const egress = validateRules(pr, spec, 'egress', opts.strict);
  const typesRaw = getArray(pr, spec['policyTypes'], ['spec', 'policyTypes']) ?? [];
  const types = typesRaw.map((t, i) => getString(pr, t, ['spec', 'policyTypes', i]) ?? '');
  if (types.length > 2) {
    pr.invalid('too-many-policy-types', 'T1', ['spec', 'policyTypes'], types, 'may not specify more than two policyTypes');
  } else {
    types.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') pr.unsupported('unsupported-policy-type', 'T2', ['spec', 'policyTypes', i], t, ['Ingress', 'Egress']);
    });
  }
  // SetDefaults_NetworkPolicy: only an empty list is defaulted; `egress: []` does not add Egress.
  const egressListLength = Array.isArray(spec['egress']) ? spec['egress'].length : 0;
  const affects =
    types.length === 0 ? { ingress: true, egress: egressListLength > 0 } : { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
  return { namespace: meta.namespace!, name: meta.name, podSelector, affects, ingress, egress };
}
