/**
 * The lean path for single objects (LiveDataplane.apply): a Pod, a Namespace or a Node in its
 * common, valid form goes straight to its model (a NetworkPolicy: fast-policy.ts, on the readers
 * exported here), without the per-object costs of loadObjects (a
 * null-prototype copy of the whole object, field paths built for every field read, the
 * cluster-wide passes). It only ever accepts: an object it returns a model for is one loading
 * takes with no issue at all, and gives the same model; anything else (another kind, a
 * problem, a warning, a form it does not know, a field read as loading reads it only through
 * fallbacks) yields undefined, and the caller loads the object the full way, which reports
 * every problem with its path and message. So checks and messages are loading's by
 * construction; test/validation/fast-path.test.ts holds the two paths equal.
 *
 * The syntax checks are loading's own functions (syntax.ts, parseIPLoose, controllerOwner),
 * called only for their verdict.
 */
import { parseIPLoose, type IPAddress } from '../ip/address.js';
import type { ContainerPort, Namespace, Node, Pod, PodPhase, PolicyProtocol } from '../model/types.js';
import { Problems, type Obj } from './fields.js';
import { MAX_DEPTH } from './limits.js';
import { controllerOwner } from './owners.js';
import { dns1123Label, dns1123Subdomain, labelValue, portName, qualifiedName } from './syntax.js';
import { NAMESPACE_NAME_LABEL } from './workloads.js';

/** A model the lean path made, by kind. */
export type FastModel =
  | { readonly kind: 'Pod'; readonly model: Pod }
  | { readonly kind: 'Namespace'; readonly model: Namespace }
  | { readonly kind: 'Node'; readonly model: Node };

/** What the lean paths need of LiveDataplane's options. */
export interface FastPathOptions {
  readonly defaultNamespace: string;
  /** loadObjects' maxInputBytes: a larger object goes the full way (which refuses it). */
  readonly maxInputBytes: number;
}

/**
 * An object as getObject takes it (not null, not a list), and a plain one: plainJSON has seen
 * the object once, but a getter may hand the lean path's own read something else (a Map would
 * read as an empty object where loading's single copy saw what plainJSON saw).
 */
export function isObject(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
/** Absent or null: the same to the API server's decoder (isAbsent). */
export const absent = (v: unknown): v is null | undefined => v === undefined || v === null;

/**
 * What is left of `left` bytes once `v` is counted as toPlainJSON counts it, or -1 when
 * toPlainJSON would refuse `v` (not a JSON value, not a plain object, a hole, too deep, too
 * large). A module-level function with the budget passed along: no closure per call.
 */
function jsonBudget(v: unknown, depth: number, left: number): number {
  if (typeof v === 'string') return (left -= 2 + v.length) >= 0 ? left : -1;
  if ((left -= 2) < 0) return -1;
  if (v === null || typeof v === 'boolean') return left;
  if (typeof v === 'number') return Number.isFinite(v) ? left : -1;
  if (typeof v !== 'object' || depth >= MAX_DEPTH) return -1;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || (left = jsonBudget(v[i], depth + 1, left)) < 0) return -1;
    return left;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return -1;
  for (const k of Object.keys(v)) if ((left -= k.length + 3) < 0 || (left = jsonBudget((v as Obj)[k], depth + 1, left)) < 0) return -1;
  return left;
}

/**
 * Whether toPlainJSON would copy `input` without a problem: JSON values only, plain objects,
 * no holes, within the depth and byte limits (bytes counted as toPlainJSON counts them). A
 * cycle ends at the depth limit. Allocates nothing but the key lists.
 */
export const plainJSON = (input: unknown, maxBytes: number): boolean => jsonBudget(input, 0, maxBytes) >= 0;

/**
 * Label keys qualifiedName found valid. Objects repeat a few keys (app, tier, pod-template-hash)
 * and the check's split and regular expressions were a sixth of a pod's lean path. Keys only:
 * an object's property names are interned copies, so the set holds no slice of a larger string;
 * at most MEMO_LIMIT of them (cleared when full).
 */
const VALID_KEYS = new Set<string>();
const MEMO_LIMIT = 4096;

/** qualifiedName(k) has no complaint, through VALID_KEYS; `k` must be a property name of the object read. */
function validLabelKey(k: string): boolean {
  if (VALID_KEYS.has(k)) return true;
  if (qualifiedName(k).length > 0) return false;
  if (VALID_KEYS.size >= MEMO_LIMIT) VALID_KEYS.clear();
  VALID_KEYS.add(k);
  return true;
}

/**
 * A label map as getStringMap and validateLabels read it (absent: `{}`; a null value is ''),
 * or undefined for any problem: metadata.labels, a selector's matchLabels.
 */
export function labelMap(l: unknown): Record<string, string> | undefined {
  if (absent(l)) return {};
  if (!isObject(l)) return undefined;
  const out = Object.create(null) as Record<string, string>;
  for (const k of Object.keys(l)) {
    const v = l[k] === null ? '' : l[k];
    if (typeof v !== 'string' || !validLabelKey(k) || labelValue(v).length > 0) return undefined;
    out[k] = v;
  }
  return out;
}

/** metadata.labels as validateMeta reads them, or undefined for any problem. */
export const labelsOf = (meta: Obj): Record<string, string> | undefined => labelMap(meta['labels']);

/** metadata.name when it is given and valid (generateName then plays no part). */
export function nameOf(meta: Obj, valid: (name: string) => string[]): string | undefined {
  const name = meta['name'];
  if (typeof name !== 'string' || name === '' || valid(name).length > 0) return undefined;
  const generateName = meta['generateName'];
  return absent(generateName) || typeof generateName === 'string' ? name : undefined;
}

/** An optional string field: '' for absent, undefined for another type. */
export const optionalString = (v: unknown): string | undefined => (absent(v) ? '' : typeof v === 'string' ? v : undefined);

/**
 * A dotted quad in its canonical form (1-3 digits per octet, no leading zero, at most 255) as a
 * number; undefined for anything else, which parseIPLoose then reads as loading does.
 */
function quad(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined; // a leading zero: loading warns
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else return undefined;
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : undefined;
}

/** An address field as validateIP reads it, 'none' when absent or empty; undefined for any problem (a legacy form warns). */
function addressOf(v: unknown): IPAddress | 'none' | undefined {
  const text = optionalString(v);
  if (text === undefined) return undefined;
  if (text === '') return 'none';
  const v4 = quad(text);
  if (v4 !== undefined) return { family: 4, value: BigInt(v4) };
  const ip = parseIPLoose(text);
  return ip && !ip.leadingZeros ? ip.address : undefined;
}

const PHASES: ReadonlySet<string> = new Set<PodPhase>(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
const PROTOCOLS: ReadonlySet<string> = new Set<PolicyProtocol>(['TCP', 'UDP', 'SCTP']);

/** Container ports of `spec[field]`, appended to `out`; false for any problem. */
function containerPorts(spec: Obj, field: 'containers' | 'initContainers', out: ContainerPort[]): boolean {
  const list = spec[field];
  if (absent(list)) return true;
  if (!Array.isArray(list)) return false;
  for (const c of list) {
    if (!isObject(c)) return false;
    const ports = c['ports'];
    if (absent(ports)) continue;
    if (!Array.isArray(ports)) return false;
    const names = new Set<string>(); // a name twice in one container is loading's Duplicate value
    for (const p of ports) {
      if (!isObject(p)) return false;
      const port = p['containerPort'];
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return false;
      const protocol = absent(p['protocol']) ? 'TCP' : p['protocol'];
      if (typeof protocol !== 'string' || !PROTOCOLS.has(protocol)) return false;
      const name = optionalString(p['name']);
      if (name === undefined || (name !== '' && (portName(name).length > 0 || names.has(name)))) return false;
      if (name !== '') names.add(name);
      const init = field === 'initContainers';
      out.push(name ? { name, port, protocol: protocol as PolicyProtocol, init } : { port, protocol: protocol as PolicyProtocol, init });
    }
  }
  return true;
}

function fastPod(o: Obj, defaultNamespace: string): Pod | undefined {
  const meta = o['metadata'];
  if (!isObject(meta)) return undefined;
  const name = nameOf(meta, dns1123Subdomain);
  const given = optionalString(meta['namespace']);
  if (name === undefined || given === undefined) return undefined;
  const namespace = given === '' ? defaultNamespace : given;
  if (dns1123Label(namespace).length > 0) return undefined;
  const labels = labelsOf(meta);
  const spec = absent(o['spec']) ? {} : o['spec'];
  const status = absent(o['status']) ? {} : o['status'];
  if (!labels || !isObject(spec) || !isObject(status)) return undefined;
  const ips: IPAddress[] = [];
  const add = (ip: IPAddress | 'none' | undefined): boolean => {
    if (ip === undefined) return false;
    if (ip !== 'none' && !ips.some((x) => x.family === ip.family && x.value === ip.value)) ips.push(ip);
    return true;
  };
  if (!add(addressOf(status['podIP']))) return undefined;
  const podIPs = status['podIPs'];
  if (!absent(podIPs)) {
    if (!Array.isArray(podIPs)) return undefined;
    for (const e of podIPs) if (!isObject(e) || !add(addressOf(e['ip']))) return undefined;
  }
  // Two of one family is an error; more than two is a form this path leaves to loading.
  if (ips.length > 2 || (ips.length === 2 && ips[0]!.family === ips[1]!.family)) return undefined;
  const phase = absent(status['phase']) ? 'Running' : status['phase'];
  const nodeName = optionalString(spec['nodeName']);
  const hostNetwork = absent(spec['hostNetwork']) ? false : spec['hostNetwork'];
  if (typeof phase !== 'string' || !PHASES.has(phase) || nodeName === undefined || typeof hostNetwork !== 'boolean') return undefined;
  const ports: ContainerPort[] = [];
  if (!containerPorts(spec, 'containers', ports) || !containerPorts(spec, 'initContainers', ports)) return undefined;
  const pr = new Problems();
  const owner = controllerOwner(pr, o);
  if (pr.list.length > 0) return undefined;
  return {
    namespace,
    name,
    labels,
    ips,
    ...(nodeName && { nodeName }),
    hostNetwork,
    phase: phase as PodPhase,
    ports,
    ...(owner && { owner }),
  };
}

function fastNamespace(o: Obj): Namespace | undefined {
  const meta = o['metadata'];
  if (!isObject(meta)) return undefined;
  const name = nameOf(meta, dns1123Label);
  const labels = labelsOf(meta);
  if (name === undefined || !labels) return undefined;
  // The API server always sets this label to the name, whatever the manifest says.
  return { name, labels: Object.assign(Object.create(null) as Record<string, string>, labels, { [NAMESPACE_NAME_LABEL]: name }) };
}

const ADDRESS_TYPES: ReadonlySet<unknown> = new Set(['InternalIP', 'ExternalIP']);

function fastNode(o: Obj): Node | undefined {
  const meta = o['metadata'];
  if (!isObject(meta)) return undefined;
  const name = nameOf(meta, dns1123Subdomain);
  const labels = labelsOf(meta);
  const status = absent(o['status']) ? {} : o['status'];
  if (name === undefined || !labels || !isObject(status)) return undefined;
  const ips: IPAddress[] = [];
  const addresses = status['addresses'];
  if (!absent(addresses)) {
    if (!Array.isArray(addresses)) return undefined;
    for (const a of addresses) {
      if (!isObject(a)) return undefined;
      const type = a['type'];
      if (!absent(type) && typeof type !== 'string') return undefined;
      if (!ADDRESS_TYPES.has(type)) continue; // Hostname and DNS entries carry names, not addresses
      const ip = addressOf(a['address']);
      if (ip === undefined) return undefined;
      if (ip !== 'none' && !ips.some((x) => x.family === ip.family && x.value === ip.value)) ips.push(ip);
    }
  }
  return { name, ips, ...(Object.keys(labels).length > 0 && { labels }) };
}

/**
 * The model of one object handed in directly, when it is a v1 Pod, Namespace or Node that
 * loading would take with no issue (same model); undefined otherwise: load it the full way.
 */
export function fastModel(value: unknown, options: FastPathOptions): FastModel | undefined {
  if (!isObject(value) || value['apiVersion'] !== 'v1') return undefined;
  const kind = value['kind'];
  if (kind !== 'Pod' && kind !== 'Namespace' && kind !== 'Node') return undefined;
  if (!plainJSON(value, options.maxInputBytes)) return undefined;
  if (kind === 'Pod') {
    const model = fastPod(value, options.defaultNamespace);
    return model && { kind, model };
  }
  if (kind === 'Node') {
    const model = fastNode(value);
    return model && { kind, model };
  }
  const model = fastNamespace(value);
  return model && { kind, model };
}
