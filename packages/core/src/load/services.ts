/**
 * Service (v1) and EndpointSlice (discovery.k8s.io/v1) objects: the fields that say where
 * kube-proxy sends a connection (virtual addresses, ports, target ports, selector, backends),
 * validated as the API server validates them (ValidateService, ValidateEndpointSlice) and
 * defaulted as it defaults them (type ClusterIP, protocol TCP, targetPort = port). Every other
 * field (session affinity, traffic policies, ipFamilies, ...) is not read.
 */
import type { IPAddress } from '../ip/address.js';
import type { EndpointSlice, PolicyProtocol, Service, ServicePort, ServiceType, SliceEndpoint } from '../model/types.js';
import { getArray, getBoolean, getInteger, getObject, getString, getStringMap, isAbsent, type Obj, type Problems } from './fields.js';
import type { Issue, PathSegments } from './issues.js';
import { validateLabels, validateMeta } from './meta.js';
import { dns1035Label, dns1123Label, dns1123Subdomain, portName, portNumber } from './syntax.js';
import { validateIP } from './workloads.js';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const TYPES: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const PROTOCOLS: readonly PolicyProtocol[] = ['TCP', 'UDP', 'SCTP'];
const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;
/** The API server's default --service-node-port-range (clusters may configure another one). */
const NODE_PORT_RANGE = { first: 30000, last: 32767 } as const;
/** discovery/validation: at most this many endpoints per slice, addresses per endpoint, ports per slice. */
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_SLICE_PORTS = 20000;

/** A protocol field: absent is TCP (the API server's default), anything but TCP, UDP, SCTP is refused. */
function protocolField(pr: Problems, v: unknown, path: PathSegments): PolicyProtocol | undefined {
  if (isAbsent(v)) return 'TCP';
  const text = getString(pr, v, path);
  if (text === undefined) return undefined;
  if (PROTOCOLS.includes(text as PolicyProtocol)) return text as PolicyProtocol;
  pr.unsupported('unsupported-protocol', undefined, path, text, PROTOCOLS);
  return undefined;
}

/** A port number field (1-65535); absent or 0 gives undefined (the caller says whether that is allowed). */
function portField(pr: Problems, v: unknown, path: PathSegments, code: 'invalid-port' = 'invalid-port'): number | undefined {
  const n = getInteger(pr, v, path);
  if (n === undefined || n === 0) return undefined;
  const errs = portNumber(n);
  for (const msg of errs) pr.invalid(code, undefined, path, n, msg);
  return errs.length === 0 ? n : undefined;
}

/** A value that must be unique in its list and is not (`Duplicate value`). */
const duplicate = (pr: Problems, path: PathSegments, value: unknown, detail: string): void =>
  pr.add({ severity: 'error', code: 'duplicate-entry', path, type: 'Duplicate value', detail, value });

/** A list longer than the API server takes (`Too many`). */
const tooMany = (pr: Problems, path: PathSegments, length: number, max: number): void =>
  pr.add({ severity: 'error', code: 'too-many-items', path, type: 'Too many', value: length, detail: `must have at most ${max} items` });

/** ValidateNonSpecialIP: what an external IP may not be. */
function specialIP(ip: IPAddress): string | undefined {
  const v = ip.value;
  if (ip.family === 4) {
    if (v === 0n) return 'may not be unspecified (0.0.0.0)';
    if (v >> 24n === 127n) return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
    if (v >> 16n === 0xa9fen) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
    if (v >> 8n === 0xe00000n) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
    return undefined;
  }
  if (v === 0n) return 'may not be unspecified (::)';
  if (v === 1n) return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
  if (v >> 118n === 0x3fan) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
  if (v >> 112n === 0xff02n) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  return undefined;
}

/** spec.clusterIP and spec.clusterIPs: the virtual addresses, `None` (headless), or nothing yet (allocated on create). */
function clusterIPs(pr: Problems, spec: Obj, type: ServiceType | undefined): { ips: IPAddress[]; headless: boolean } {
  const single = getString(pr, spec['clusterIP'], ['spec', 'clusterIP']) ?? '';
  const list = (getArray(pr, spec['clusterIPs'], ['spec', 'clusterIPs']) ?? []).map((v, i) => getString(pr, v, ['spec', 'clusterIPs', i]) ?? '');
  if (type === 'ExternalName') {
    if (single !== '') pr.forbidden('invalid-cluster-ip', undefined, ['spec', 'clusterIP'], 'may not be set for ExternalName services');
    else if (list.length > 0) pr.forbidden('invalid-cluster-ip', undefined, ['spec', 'clusterIPs'], 'may not be set for ExternalName services');
    return { ips: [], headless: false };
  }
  if (single !== '' && list.length > 0 && list[0] !== single)
    pr.invalid('invalid-cluster-ip', undefined, ['spec', 'clusterIPs', 0], list[0], 'must be equal to clusterIP');
  const texts = list.length > 0 ? list : single !== '' ? [single] : [];
  const path = (i: number): PathSegments => (list.length > 0 ? ['spec', 'clusterIPs', i] : ['spec', 'clusterIP']);
  if (texts.length > 2) pr.invalid('invalid-cluster-ip', undefined, ['spec', 'clusterIPs'], texts, 'may only hold up to 2 values');
  const headless = texts[0] === 'None';
  if (headless) {
    if (texts.length > 1) pr.invalid('invalid-cluster-ip', undefined, ['spec', 'clusterIPs', 1], texts[1], "must not be set when clusterIPs[0] is 'None'");
    if (type === 'NodePort' || type === 'LoadBalancer')
      pr.invalid('invalid-cluster-ip', undefined, ['spec', 'clusterIP'], 'None', `may not be set to 'None' for ${type} services`);
    return { ips: [], headless: true };
  }
  const ips: IPAddress[] = [];
  texts.forEach((text, i) => {
    if (text === 'None') return pr.invalid('invalid-cluster-ip', undefined, path(i), text, "must not be 'None' when more than one value is set");
    if (text === '') return pr.invalid('invalid-cluster-ip', undefined, path(i), text, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
    const ip = validateIP(pr, text, path(i));
    if (!ip) return;
    if (ips.some((x) => x.family === ip.family)) pr.invalid('invalid-cluster-ip', undefined, path(i), text, 'may not have the same family as clusterIPs[0]');
    else ips.push(ip);
  });
  return { ips, headless: false };
}

/** spec.ports: names (required when several, unique, DNS labels), numbers, protocols, target ports, node ports. */
function servicePorts(pr: Problems, spec: Obj, type: ServiceType | undefined, headless: boolean): ServicePort[] {
  const raw = getArray(pr, spec['ports'], ['spec', 'ports']) ?? [];
  if (raw.length === 0 && !headless && type !== 'ExternalName')
    pr.required('field-required', undefined, ['spec', 'ports'], 'a Service needs at least one port unless it is headless or ExternalName');
  const out: ServicePort[] = [];
  const names = new Set<string>();
  const ports = new Set<string>();
  const nodePorts = new Set<string>();
  raw.forEach((v, i) => {
    const path = ['spec', 'ports', i];
    const entry = getObject(pr, v, path) ?? {};
    const name = getString(pr, entry['name'], [...path, 'name']) ?? '';
    if (name === '') {
      if (raw.length > 1) pr.required('field-required', undefined, [...path, 'name'], 'every port needs a name when a Service has more than one');
    } else {
      for (const msg of dns1123Label(name)) pr.invalid('invalid-port-name', undefined, [...path, 'name'], name, msg);
      if (names.has(name)) duplicate(pr, [...path, 'name'], name, 'port names must be unique');
      names.add(name);
    }
    const protocol = protocolField(pr, entry['protocol'], [...path, 'protocol']);
    const port = portField(pr, entry['port'], [...path, 'port']);
    if (port === undefined && (isAbsent(entry['port']) || entry['port'] === 0))
      pr.invalid('invalid-port', undefined, [...path, 'port'], entry['port'] ?? 0, 'must be between 1 and 65535, inclusive');
    let targetPort: number | string | undefined = port;
    const tp = entry['targetPort'];
    if (typeof tp === 'string' && tp !== '') {
      const errs = portName(tp);
      for (const msg of errs) pr.invalid('invalid-port-name', undefined, [...path, 'targetPort'], tp, msg);
      targetPort = errs.length === 0 ? tp : undefined;
    } else if (typeof tp === 'number') {
      // 0 is the unset value, defaulted to `port`.
      if (tp !== 0) targetPort = portField(pr, tp, [...path, 'targetPort']);
    } else if (!isAbsent(tp) && tp !== '') pr.invalid('wrong-type', undefined, [...path, 'targetPort'], tp, 'must be an integer or a port name');
    const nodePort = portField(pr, entry['nodePort'], [...path, 'nodePort']);
    if (nodePort !== undefined) {
      if (type === 'ClusterIP' || type === undefined)
        pr.forbidden('node-port-forbidden', undefined, [...path, 'nodePort'], "may not be used when `type` is 'ClusterIP'");
      else if (nodePort < NODE_PORT_RANGE.first || nodePort > NODE_PORT_RANGE.last)
        pr.warn(
          'node-port-range',
          undefined,
          [...path, 'nodePort'],
          nodePort,
          `provided port is not in the valid range of a default API server (${NODE_PORT_RANGE.first}-${NODE_PORT_RANGE.last}); accepted, as --service-node-port-range may allow it`,
        );
      const key = `${nodePort}/${protocol}`;
      if (nodePorts.has(key)) duplicate(pr, [...path, 'nodePort'], nodePort, 'another port of the same protocol has this nodePort');
      nodePorts.add(key);
    }
    if (port !== undefined && protocol !== undefined) {
      const key = `${port}/${protocol}`;
      if (ports.has(key)) duplicate(pr, path, key, 'another port has this number and protocol');
      ports.add(key);
    }
    if (port !== undefined && protocol !== undefined && targetPort !== undefined) {
      out.push({ ...(name !== '' && { name }), protocol, port, targetPort, ...(nodePort !== undefined && type !== 'ClusterIP' && { nodePort }) });
    }
  });
  return out;
}

/** spec.externalIPs and status.loadBalancer.ingress[].ip: addresses kube-proxy DNATs like the ClusterIP. */
function externalIPs(pr: Problems, spec: Obj, status: Obj): IPAddress[] {
  const out: IPAddress[] = [];
  const add = (ip: IPAddress | undefined): void => {
    if (ip && !out.some((x) => x.family === ip.family && x.value === ip.value)) out.push(ip);
  };
  (getArray(pr, spec['externalIPs'], ['spec', 'externalIPs']) ?? []).forEach((v, i) => {
    const path = ['spec', 'externalIPs', i];
    const text = getString(pr, v, path);
    if (text === undefined) return;
    if (text === '') return pr.invalid('invalid-ip', undefined, path, text, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
    const ip = validateIP(pr, text, path);
    const special = ip && specialIP(ip);
    if (special) pr.invalid('invalid-ip', undefined, path, text, special);
    else add(ip);
  });
  const lb = getObject(pr, status['loadBalancer'], ['status', 'loadBalancer']) ?? {};
  (getArray(pr, lb['ingress'], ['status', 'loadBalancer', 'ingress']) ?? []).forEach((v, i) => {
    const path = ['status', 'loadBalancer', 'ingress', i];
    const entry = getObject(pr, v, path) ?? {};
    add(validateIP(pr, entry['ip'], [...path, 'ip']));
  });
  return out;
}

/** A Service object → the model's Service (problems into `pr`). */
export function validateService(pr: Problems, obj: Obj, defaultNamespace: string, fallbackName: string): Service {
  const meta = validateMeta(pr, obj, { namespaced: true, defaultNamespace, nameSyntax: dns1035Label, fallbackName });
  const spec = getObject(pr, obj['spec'], ['spec']) ?? {};
  const status = getObject(pr, obj['status'], ['status']) ?? {};
  let type: ServiceType | undefined = 'ClusterIP';
  const typeText = getString(pr, spec['type'], ['spec', 'type']);
  if (typeText !== undefined && typeText !== '') {
    if (TYPES.includes(typeText as ServiceType)) type = typeText as ServiceType;
    else {
      pr.unsupported('unsupported-service-type', undefined, ['spec', 'type'], typeText, TYPES);
      type = undefined;
    }
  }
  const { ips, headless } = clusterIPs(pr, spec, type);
  const ports = servicePorts(pr, spec, type, headless);
  let externalName: string | undefined;
  if (type === 'ExternalName') {
    const name = getString(pr, spec['externalName'], ['spec', 'externalName']) ?? '';
    if (name === '') pr.required('field-required', undefined, ['spec', 'externalName'], 'an ExternalName Service needs the DNS name it points to');
    // A fully qualified name may end in a dot.
    else for (const msg of dns1123Subdomain(name.replace(/\.$/, ''))) pr.invalid('invalid-name', undefined, ['spec', 'externalName'], name, msg);
    externalName = name;
  }
  const selectorMap = getStringMap(pr, spec['selector'], ['spec', 'selector']);
  if (selectorMap) validateLabels(pr, selectorMap, ['spec', 'selector']);
  // An empty selector is no selector: the API server stores neither, and no EndpointSlice is made from it.
  const selector = selectorMap && Object.keys(selectorMap).length > 0 && type !== 'ExternalName' ? selectorMap : undefined;
  return {
    namespace: meta.namespace!,
    name: meta.name,
    type: type ?? 'ClusterIP',
    clusterIPs: ips,
    headless,
    ...(selector && { selector }),
    ports,
    externalIPs: type === 'ExternalName' ? [] : externalIPs(pr, spec, status),
    ...(externalName !== undefined && { externalName }),
  };
}

/** One endpoints[i] entry: its addresses (of the slice's type), readiness, and the Pod it names. */
function sliceEndpoint(pr: Problems, v: unknown, path: PathSegments, addressType: string | undefined, namespace: string): SliceEndpoint | undefined {
  const entry = getObject(pr, v, path) ?? {};
  const raw = getArray(pr, entry['addresses'], [...path, 'addresses']) ?? [];
  if (raw.length === 0) pr.required('field-required', undefined, [...path, 'addresses'], 'must contain at least 1 address');
  if (raw.length > MAX_ADDRESSES) tooMany(pr, [...path, 'addresses'], raw.length, MAX_ADDRESSES);
  const addresses: IPAddress[] = [];
  raw.slice(0, MAX_ADDRESSES).forEach((a, j) => {
    const p = [...path, 'addresses', j];
    if (addressType === 'FQDN') {
      const name = getString(pr, a, p);
      if (name !== undefined) for (const msg of dns1123Subdomain(name)) pr.invalid('invalid-name', undefined, p, name, msg);
      return;
    }
    const ip = validateIP(pr, a, p);
    if (!ip) {
      if (a === '') pr.invalid('invalid-ip', undefined, p, a, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
      return;
    }
    const want = addressType === 'IPv6' ? 6 : 4;
    if (addressType !== undefined && ip.family !== want) pr.invalid('invalid-ip', undefined, p, a, `must be an ${addressType} address`);
    else addresses.push(ip);
  });
  const conditions = getObject(pr, entry['conditions'], [...path, 'conditions']) ?? {};
  const ready = getBoolean(pr, conditions['ready'], [...path, 'conditions', 'ready']) ?? true;
  const ref = getObject(pr, entry['targetRef'], [...path, 'targetRef']);
  let pod: string | undefined;
  if (ref) {
    const kind = getString(pr, ref['kind'], [...path, 'targetRef', 'kind']);
    const name = getString(pr, ref['name'], [...path, 'targetRef', 'name']);
    const ns = getString(pr, ref['namespace'], [...path, 'targetRef', 'namespace']) || namespace;
    if (kind === 'Pod' && name) pod = `${ns}/${name}`;
  }
  return { addresses, ready, ...(pod && { pod }) };
}

/** An EndpointSlice object → the model's EndpointSlice (problems into `pr`). */
export function validateEndpointSlice(pr: Problems, obj: Obj, defaultNamespace: string, fallbackName: string): EndpointSlice {
  const meta = validateMeta(pr, obj, { namespaced: true, defaultNamespace, fallbackName });
  const typeText = getString(pr, obj['addressType'], ['addressType']);
  let addressType: EndpointSlice['addressType'] | undefined;
  if (typeText === undefined || typeText === '') pr.required('field-required', undefined, ['addressType'], '');
  else if ((ADDRESS_TYPES as readonly string[]).includes(typeText)) addressType = typeText as EndpointSlice['addressType'];
  else pr.unsupported('unsupported-address-type', undefined, ['addressType'], typeText, ADDRESS_TYPES);
  const rawEndpoints = getArray(pr, obj['endpoints'], ['endpoints']) ?? [];
  if (rawEndpoints.length > MAX_ENDPOINTS) tooMany(pr, ['endpoints'], rawEndpoints.length, MAX_ENDPOINTS);
  const endpoints: SliceEndpoint[] = [];
  rawEndpoints.slice(0, MAX_ENDPOINTS).forEach((e, i) => {
    const ep = sliceEndpoint(pr, e, ['endpoints', i], addressType, meta.namespace!);
    if (ep) endpoints.push(ep);
  });
  const rawPorts = getArray(pr, obj['ports'], ['ports']) ?? [];
  if (rawPorts.length > MAX_SLICE_PORTS) tooMany(pr, ['ports'], rawPorts.length, MAX_SLICE_PORTS);
  const ports: { name: string; protocol: PolicyProtocol; port: number }[] = [];
  const names = new Set<string>();
  rawPorts.slice(0, MAX_SLICE_PORTS).forEach((v, i) => {
    const path = ['ports', i];
    const entry = getObject(pr, v, path) ?? {};
    const name = getString(pr, entry['name'], [...path, 'name']) ?? '';
    if (name !== '') for (const msg of dns1123Label(name)) pr.invalid('invalid-port-name', undefined, [...path, 'name'], name, msg);
    if (names.has(name)) duplicate(pr, [...path, 'name'], name, 'port names must be unique');
    names.add(name);
    const protocol = protocolField(pr, entry['protocol'], [...path, 'protocol']);
    const port = portField(pr, entry['port'], [...path, 'port']);
    if (entry['port'] === 0) pr.invalid('invalid-port', undefined, [...path, 'port'], 0, 'must be between 1 and 65535, inclusive');
    else if (isAbsent(entry['port']))
      pr.warn('invalid-port', undefined, [...path, 'port'], null, 'no port number: kube-proxy skips this port, so it gives the Service no backend');
    if (port !== undefined && protocol !== undefined) ports.push({ name, protocol, port });
  });
  const service = meta.labels[SERVICE_NAME_LABEL] ?? '';
  if (service === '')
    pr.add({
      severity: 'warning',
      code: 'endpoint-slice-without-service',
      path: ['metadata', 'labels'],
      detail: `no ${SERVICE_NAME_LABEL} label: the slice belongs to no Service and is not used`,
    });
  return { namespace: meta.namespace!, name: meta.name, service, addressType: addressType ?? 'IPv4', endpoints, ports };
}

/** EndpointSlices naming a Service the input does not hold: kept, but nothing reaches them through a Service. */
export function orphanSlices(services: readonly Service[], slices: readonly EndpointSlice[]): Issue[] {
  const known = new Set(services.map((s) => `${s.namespace}/${s.name}`));
  return slices
    .filter((s) => s.service !== '' && !known.has(`${s.namespace}/${s.service}`))
    .map((s) => ({
      code: 'endpoint-slice-without-service' as const,
      severity: 'warning' as const,
      object: `EndpointSlice ${s.namespace}/${s.name}`,
      path: `metadata.labels[${SERVICE_NAME_LABEL}]`,
      message: `names Service ${s.namespace}/${s.service}, which is not in the input: the slice is not used`,
    }));
}
