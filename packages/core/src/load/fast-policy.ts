/**
 * The lean path for a NetworkPolicy handed to LiveDataplane.apply, on the same terms as
 * fast-path.ts: it only ever accepts. A policy it returns a model for is one loadObjects takes
 * with no issue at all (no error, no warning: no legacy or non-canonical CIDR, no rules that
 * policyTypes leaves without effect, no capacity overflow), and the model is the one
 * validatePolicy makes of it, down to the shared EMPTY_SELECTOR of an absent podSelector and
 * the null-prototype label maps. Anything else (an unknown field, a null where loading would
 * default one, a value of the wrong type, any form it does not know) yields undefined, and the
 * caller loads the object the full way, which reports every problem with its path and message.
 *
 * Why: loading builds a null-prototype copy of the object, a field path for every field it
 * reads, a Problems list and the cluster-wide passes, which made validation about a quarter of
 * a policy add's cost at L. The checks here are loading's own (syntax.ts, validateCIDRField,
 * isStrictSubset, capacityIssues), called only for their verdict;
 * test/validation/fast-policy.test.ts holds the two paths equal.
 */
import { isStrictSubset, type CIDR } from '../ip/cidr.js';
import { EMPTY_SELECTOR } from '../model/selector.js';
import type { IPBlock, NetworkPolicy, Peer, PolicyPort, PolicyProtocol, Rule, Selector, SelectorOperator, SelectorRequirement } from '../model/types.js';
import { capacityIssues } from './capacity.js';
import { validateCIDRField } from './cidr-field.js';
import { absent, isObject, labelMap, labelsOf, nameOf, optionalString, plainJSON, type FastPathOptions } from './fast-path.js';
import { Problems, type Obj } from './fields.js';
import type { PathSegments } from './issues.js';
import { dns1123Label, dns1123Subdomain, labelValue, portName, portNumber, qualifiedName } from './syntax.js';

/** The policy's model when the lean path takes it. */
export interface FastPolicy {
  readonly kind: 'NetworkPolicy';
  readonly model: NetworkPolicy;
}

/** The fields each part may have (checkKnownFields' lists in policy.ts and meta.ts). */
const POLICY_FIELDS: ReadonlySet<string> = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const SPEC_FIELDS: ReadonlySet<string> = new Set(['podSelector', 'ingress', 'egress', 'policyTypes']);
const INGRESS_FIELDS: ReadonlySet<string> = new Set(['ports', 'from']);
const EGRESS_FIELDS: ReadonlySet<string> = new Set(['ports', 'to']);
const PORT_FIELDS: ReadonlySet<string> = new Set(['protocol', 'port', 'endPort']);
const PEER_FIELDS: ReadonlySet<string> = new Set(['podSelector', 'namespaceSelector', 'ipBlock']);
const IPBLOCK_FIELDS: ReadonlySet<string> = new Set(['cidr', 'except']);
const SELECTOR_FIELDS: ReadonlySet<string> = new Set(['matchLabels', 'matchExpressions']);
const EXPRESSION_FIELDS: ReadonlySet<string> = new Set(['key', 'operator', 'values']);

const PROTOCOLS: ReadonlySet<unknown> = new Set<PolicyProtocol>(['TCP', 'UDP', 'SCTP']);
const OPERATORS: ReadonlySet<unknown> = new Set<SelectorOperator>(['In', 'NotIn', 'Exists', 'DoesNotExist']);
/** validateCIDRField wants a path for the problems it reports; the lean path only counts them. */
const NO_PATH: PathSegments = [];

/** Whether every key of `o` is one the API server's strict decoding knows there. */
function knownOnly(o: Obj, known: ReadonlySet<string>): boolean {
  for (const k of Object.keys(o)) if (!known.has(k)) return false;
  return true;
}

/** The entries of an optional list, each read by `read`; undefined if the list or any entry is not taken. */
function listOf<T>(v: unknown, read: (x: unknown) => T | undefined): T[] | undefined {
  if (absent(v)) return [];
  if (!Array.isArray(v)) return undefined;
  const out: T[] = [];
  for (const x of v) {
    const t = read(x);
    if (t === undefined) return undefined;
    out.push(t);
  }
  return out;
}

const isPortNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && portNumber(v).length === 0;

function expressionOf(e: unknown): SelectorRequirement | undefined {
  if (!isObject(e) || !knownOnly(e, EXPRESSION_FIELDS)) return undefined;
  const key = e['key'];
  const operator = e['operator'];
  if (typeof key !== 'string' || !OPERATORS.has(operator) || qualifiedName(key).length > 0) return undefined;
  // A null value reads as '' there; this path leaves that form to loading.
  const values = listOf(e['values'], (x) => (typeof x === 'string' && labelValue(x).length === 0 ? x : undefined));
  if (!values) return undefined;
  // In and NotIn need values (S4), Exists and DoesNotExist take none (S5).
  if ((operator === 'In' || operator === 'NotIn') !== values.length > 0) return undefined;
  return { key, operator: operator as SelectorOperator, values };
}

/** A present selector as validateSelector reads it. */
function selectorOf(v: unknown): Selector | undefined {
  if (!isObject(v) || !knownOnly(v, SELECTOR_FIELDS)) return undefined;
  const matchLabels = labelMap(v['matchLabels']);
  const matchExpressions = matchLabels && listOf(v['matchExpressions'], expressionOf);
  return matchExpressions && { matchLabels: matchLabels!, matchExpressions };
}

function portOf(v: unknown): PolicyPort | undefined {
  // A null entry reads as {} there (every TCP port): left to loading.
  if (!isObject(v) || !knownOnly(v, PORT_FIELDS)) return undefined;
  // Only a nil protocol defaults to TCP.
  const protocol = absent(v['protocol']) ? 'TCP' : v['protocol'];
  if (!PROTOCOLS.has(protocol)) return undefined;
  const p = protocol as PolicyProtocol;
  const port = v['port'];
  const endPort = v['endPort'];
  if (absent(port)) return absent(endPort) ? { protocol: p } : undefined;
  if (typeof port === 'string') return absent(endPort) && portName(port).length === 0 ? { protocol: p, port } : undefined;
  if (!isPortNumber(port)) return undefined;
  if (absent(endPort)) return { protocol: p, port };
  return isPortNumber(endPort) && endPort >= port ? { protocol: p, port, endPort } : undefined;
}

/** An ipBlock with no problem and no warning (a legacy or non-canonical CIDR warns). */
function ipBlockOf(v: unknown): IPBlock | undefined {
  if (!isObject(v) || !knownOnly(v, IPBLOCK_FIELDS)) return undefined;
  const text = v['cidr'];
  if (typeof text !== 'string' || text === '') return undefined;
  const pr = new Problems();
  const outer = validateCIDRField(pr, text, NO_PATH, false, false);
  if (!outer || pr.list.length > 0) return undefined;
  const except = listOf(v['except'], (x): CIDR | undefined => {
    if (typeof x !== 'string') return undefined;
    const e = validateCIDRField(pr, x, NO_PATH, false, true);
    return e && pr.list.length === 0 && isStrictSubset(e.cidr, outer.cidr, e.written, outer.written) ? e.cidr : undefined;
  });
  return except && { cidr: outer.cidr, except };
}

function peerOf(v: unknown): Peer | undefined {
  if (!isObject(v) || !knownOnly(v, PEER_FIELDS)) return undefined;
  const pods = v['podSelector'];
  const namespaces = v['namespaceSelector'];
  const block = v['ipBlock'];
  if (!absent(block)) {
    if (!absent(pods) || !absent(namespaces)) return undefined; // R2
    const ipBlock = ipBlockOf(block);
    return ipBlock && { kind: 'ipBlock', ipBlock };
  }
  if (absent(pods) && absent(namespaces)) return undefined; // R1
  const podSelector = absent(pods) ? undefined : selectorOf(pods);
  const namespaceSelector = absent(namespaces) ? undefined : selectorOf(namespaces);
  if ((!absent(pods) && !podSelector) || (!absent(namespaces) && !namespaceSelector)) return undefined;
  return { kind: 'selector', ...(podSelector && { podSelector }), ...(namespaceSelector && { namespaceSelector }) };
}

function rulesOf(v: unknown, peersField: 'from' | 'to', known: ReadonlySet<string>): Rule[] | undefined {
  return listOf(v, (r): Rule | undefined => {
    // A null rule reads as {} there (anyone, any port): left to loading.
    if (!isObject(r) || !knownOnly(r, known)) return undefined;
    const ports = listOf(r['ports'], portOf);
    const peers = ports && listOf(r[peersField], peerOf);
    return peers && { ports: ports!, peers };
  });
}

/** policyTypes defaulted as SetDefaults_NetworkPolicy does, when every entry is valid. */
function affectsOf(types: unknown, egressRules: number): NetworkPolicy['affects'] | undefined {
  if (absent(types) || (Array.isArray(types) && types.length === 0)) return { ingress: true, egress: egressRules > 0 };
  if (!Array.isArray(types) || types.length > 2) return undefined; // T1
  let ingress = false;
  let egress = false;
  for (const t of types) {
    if (t === 'Ingress') ingress = true;
    else if (t === 'Egress') egress = true;
    else return undefined; // T2
  }
  return { ingress, egress };
}

/**
 * The model of a networking.k8s.io/v1 NetworkPolicy handed in directly, when loading would take
 * it with no issue (the same model); undefined otherwise: load it the full way.
 */
export function fastPolicy(value: unknown, options: FastPathOptions): FastPolicy | undefined {
  if (!isObject(value) || value['apiVersion'] !== 'networking.k8s.io/v1' || value['kind'] !== 'NetworkPolicy') return undefined;
  if (!knownOnly(value, POLICY_FIELDS) || !plainJSON(value, options.maxInputBytes)) return undefined;
  const meta = value['metadata'];
  if (!isObject(meta)) return undefined;
  const name = nameOf(meta, dns1123Subdomain);
  const given = optionalString(meta['namespace']);
  if (name === undefined || given === undefined || !labelsOf(meta)) return undefined;
  const namespace = given === '' ? options.defaultNamespace : given;
  if (dns1123Label(namespace).length > 0) return undefined;
  // An absent spec is {podSelector: {}}.
  const spec = absent(value['spec']) ? {} : value['spec'];
  if (!isObject(spec) || !knownOnly(spec, SPEC_FIELDS)) return undefined;
  const podSelector = absent(spec['podSelector']) ? EMPTY_SELECTOR : selectorOf(spec['podSelector']);
  const ingress = rulesOf(spec['ingress'], 'from', INGRESS_FIELDS);
  const egress = rulesOf(spec['egress'], 'to', EGRESS_FIELDS);
  if (!podSelector || !ingress || !egress) return undefined;
  const affects = affectsOf(spec['policyTypes'], egress.length);
  // Rules of a direction policyTypes leaves out: loading warns (rules-ignored).
  if (!affects || (!affects.ingress && ingress.length > 0) || (!affects.egress && egress.length > 0)) return undefined;
  const model: NetworkPolicy = { namespace, name, podSelector, affects, ingress, egress };
  // More port classes than the image holds: loading's capacity-exceeded (it counts only past a bound).
  if (capacityIssues([model], [], new Map()).length > 0) return undefined;
  return { kind: 'NetworkPolicy', model };
}
