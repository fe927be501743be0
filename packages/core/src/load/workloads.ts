/** Namespace, Pod and Node objects: only the fields policy evaluation needs (a Node's labels too, for `nodes` peers), validated. */
import { parseIPLoose, type IPAddress } from '../ip/address.js';
import type { ContainerPort, Namespace, Node, Pod, PodPhase, PolicyProtocol } from '../model/types.js';
import { getArray, getBoolean, getInteger, getObject, getString, isAbsent, type Obj, type Problems } from './fields.js';
import type { PathSegments } from './issues.js';
import { validateMeta } from './meta.js';
import { controllerOwner } from './owners.js';
import { portName, portNumber } from './syntax.js';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function validateNamespace(pr: Problems, obj: Obj, fallbackName: string): Namespace {
  const meta = validateMeta(pr, obj, { namespaced: false, defaultNamespace: '', nameIsLabel: true, fallbackName });
  // The API server always sets this label to the name, whatever the manifest says.
  const labels = Object.assign(Object.create(null) as Record<string, string>, meta.labels, { [NAMESPACE_NAME_LABEL]: meta.name });
  return { name: meta.name, labels };
}

/** An IP address field (a pod's, a node's, a Service's): legacy leading zeros are a warning. */
export function validateIP(pr: Problems, v: unknown, path: PathSegments): IPAddress | undefined {
  const text = getString(pr, v, path);
  if (text === undefined || text === '') return undefined;
  const ip = parseIPLoose(text);
  if (!ip) {
    pr.invalid('invalid-ip', undefined, path, text, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
    return undefined;
  }
  if (ip.leadingZeros) pr.warn('ip-leading-zeros', undefined, path, text, 'must not have leading 0s; accepted as a legacy form');
  return ip.address;
}

const PHASES: readonly PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const PROTOCOLS: readonly PolicyProtocol[] = ['TCP', 'UDP', 'SCTP'];

/**
 * The container ports of a pod spec (`base` is its path: `spec` for a Pod, `spec.template.spec`
 * for a workload), validated; init containers' carry `init` (the named-port rules use them).
 */
export function containerPorts(pr: Problems, spec: Obj, field: 'containers' | 'initContainers', base: PathSegments = ['spec']): ContainerPort[] {
  const out: ContainerPort[] = [];
  (getArray(pr, spec[field], [...base, field]) ?? []).forEach((c, i) => {
    const container = getObject(pr, c, [...base, field, i]) ?? {};
    const names = new Set<string>(); // port names are unique within a container (the API server's Duplicate value)
    (getArray(pr, container['ports'], [...base, field, i, 'ports']) ?? []).forEach((p, j) => {
      const path = [...base, field, i, 'ports', j];
      const port = getObject(pr, p, path) ?? {};
      const number = getInteger(pr, port['containerPort'], [...path, 'containerPort']);
      // Absent: Required; present with the wrong type, getInteger has said so already.
      if (number === undefined) {
        if (isAbsent(port['containerPort'])) pr.required('container-port-required', undefined, [...path, 'containerPort'], '');
      } else for (const msg of portNumber(number)) pr.invalid('invalid-port', undefined, [...path, 'containerPort'], number, msg);
      const protocol = isAbsent(port['protocol']) ? 'TCP' : getString(pr, port['protocol'], [...path, 'protocol']);
      if (protocol !== undefined && !PROTOCOLS.includes(protocol as PolicyProtocol))
        pr.unsupported('unsupported-protocol', undefined, [...path, 'protocol'], protocol, PROTOCOLS);
      const name = getString(pr, port['name'], [...path, 'name']);
      const nameProblems = name !== undefined && name !== '' ? portName(name) : [];
      for (const msg of nameProblems) pr.invalid('invalid-port-name', undefined, [...path, 'name'], name, msg);
      if (name && nameProblems.length === 0) {
        if (names.has(name)) pr.add({ severity: 'error', code: 'duplicate-entry', path: [...path, 'name'], type: 'Duplicate value', detail: '', value: name });
        names.add(name);
      }
      if (number !== undefined && protocol !== undefined) {
        out.push({ ...(name && { name }), port: number, protocol: protocol as PolicyProtocol, init: field === 'initContainers' });
      }
    });
  });
  return out;
}

export function validatePod(pr: Problems, obj: Obj, defaultNamespace: string, fallbackName: string): Pod {
  const meta = validateMeta(pr, obj, { namespaced: true, defaultNamespace, fallbackName });
  const spec = getObject(pr, obj['spec'], ['spec']) ?? {};
  const status = getObject(pr, obj['status'], ['status']) ?? {};
  const ips: IPAddress[] = [];
  const addIP = (ip: IPAddress | undefined): void => {
    if (ip && !ips.some((x) => x.family === ip.family && x.value === ip.value)) ips.push(ip);
  };
  addIP(validateIP(pr, status['podIP'], ['status', 'podIP']));
  (getArray(pr, status['podIPs'], ['status', 'podIPs']) ?? []).forEach((entry, i) => {
    const e = getObject(pr, entry, ['status', 'podIPs', i]) ?? {};
    addIP(validateIP(pr, e['ip'], ['status', 'podIPs', i, 'ip']));
  });
  if (ips.length === 2 && ips[0]!.family === ips[1]!.family) {
    pr.invalid('duplicate-family', undefined, ['status', 'podIPs'], undefined, 'must have at most one IP of each family');
  }
  const phaseText = getString(pr, status['phase'], ['status', 'phase']);
  let phase: PodPhase = 'Running';
  if (phaseText !== undefined) {
    if (PHASES.includes(phaseText as PodPhase)) phase = phaseText as PodPhase;
    else pr.unsupported('unsupported-phase', undefined, ['status', 'phase'], phaseText, PHASES);
  }
  const nodeName = getString(pr, spec['nodeName'], ['spec', 'nodeName']);
  const owner = controllerOwner(pr, obj);
  return {
    namespace: meta.namespace!,
    name: meta.name,
    labels: meta.labels,
    ips,
    ...(nodeName && { nodeName }),
    hostNetwork: getBoolean(pr, spec['hostNetwork'], ['spec', 'hostNetwork']) ?? false,
    phase,
    ports: [...containerPorts(pr, spec, 'containers'), ...containerPorts(pr, spec, 'initContainers')],
    ...(owner && { owner }),
  };
}

export function validateNode(pr: Problems, obj: Obj, fallbackName: string): Node {
  const meta = validateMeta(pr, obj, { namespaced: false, defaultNamespace: '', fallbackName });
  const status = getObject(pr, obj['status'], ['status']) ?? {};
  const ips: IPAddress[] = [];
  (getArray(pr, status['addresses'], ['status', 'addresses']) ?? []).forEach((a, i) => {
    const addr = getObject(pr, a, ['status', 'addresses', i]) ?? {};
    const type = getString(pr, addr['type'], ['status', 'addresses', i, 'type']);
    // Hostname and DNS entries carry names, not addresses.
    if (type !== 'InternalIP' && type !== 'ExternalIP') return;
    const ip = validateIP(pr, addr['address'], ['status', 'addresses', i, 'address']);
    if (ip && !ips.some((x) => x.family === ip.family && x.value === ip.value)) ips.push(ip);
  });
  // Labels are validated by validateMeta like a pod's; cluster-scoped `nodes` peers select on them.
  return { name: meta.name, ips, ...(Object.keys(meta.labels).length > 0 && { labels: meta.labels }) };
}
