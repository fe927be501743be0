/**
 * Raw objects → validated model. Every problem of every object is reported; any error
 * means no cluster (fail closed): a policy the API server would reject never yields a verdict,
 * and neither does a cluster holding policies of an API netpol does not evaluate
 * (unsupported-policies.ts) unless the caller chooses to ignore them.
 */
import { ipKey } from '../ip/address.js';
import {
  ignoredObjectKey,
  type Cluster,
  type ClusterPolicy,
  type IgnoredObject,
  type Namespace,
  type NetworkPolicy,
  type Node,
  type Pod,
  type Workload,
  type EndpointSlice,
  type Service,
} from '../model/types.js';
import { Problems } from './fields.js';
import { fieldMessage, formatPath, LoadError, truncate, type FieldProblem, type Issue } from './issues.js';
import { DEFAULT_MAX_INPUT_BYTES } from './limits.js';
import { toPlainJSON } from './plain.js';
import { validatePolicy } from './policy.js';
import { CLUSTER_POLICY_API_VERSIONS, validateClusterPolicy } from './cluster-policy.js';
import { priorityTies, type LoadedClusterPolicy } from './priority-ties.js';
import { apiGroup, unsupportedPolicy } from './unsupported-policies.js';
import { READ_OPTIONS, readFiles, readText, type FileInput, type RawObject } from './read.js';
import { NAMESPACE_NAME_LABEL, validateNamespace, validateNode, validatePod } from './workloads.js';
import { capacityIssues } from './capacity.js';
import { followOwners, unlinkedReplicaSets } from './owners.js';
import { skippedKind } from './skipped-kinds.js';
import { validateWorkload, WORKLOAD_API_VERSIONS } from './workload.js';
import { orphanSlices, validateEndpointSlice, validateService } from './services.js';
import { checkOptions, pickOptions, type OptionSpec } from '../model/check-options.js';

/** Options of the load functions; an unknown key or a value of the wrong type throws a TypeError naming it. */
export interface LoadOptions {
  /** Reject legacy CIDR forms as a 1.36 API server does on create (default: warn). */
  readonly strict?: boolean;
  /**
   * Namespace for namespaced objects without one, like `kubectl -n` (default `default`); an
   * object read from a FileInput with a `namespace` (RawObject.defaultNamespace) goes to that one.
   */
  readonly defaultNamespace?: string;
  /** Descend into subdirectories (like `kubectl -R`). */
  readonly recursive?: boolean;
  /**
   * Refuse a file, a text or an object handed in directly that is larger than this many bytes
   * (as JSON, for objects). Default DEFAULT_MAX_INPUT_BYTES (64 MiB).
   */
  readonly maxInputBytes?: number;
  /** Refuse a YAML file or text of more tokens than this (default DEFAULT_MAX_YAML_TOKENS, 5M). */
  readonly maxYamlTokens?: number;
  /**
   * Policies of APIs netpol cannot evaluate (Cilium, Calico, Antrea, MultiNetworkPolicy,
   * EgressFirewall, other policy.networking.k8s.io kinds) are errors by default: verdicts
   * would ignore them. True makes each a warning and lists it in `Cluster.ignoredObjects`.
   */
  readonly ignoreUnsupportedPolicies?: boolean;
}

/** LoadOptions' keys and types, checked by every load function (model/check-options.ts). */
export const LOAD_OPTIONS: OptionSpec<LoadOptions> = {
  ...READ_OPTIONS,
  strict: 'boolean',
  defaultNamespace: 'string',
  recursive: 'boolean',
  ignoreUnsupportedPolicies: 'boolean',
};
/** loadText's: LoadOptions and the name its issues give the text. */
const LOAD_TEXT_OPTIONS: OptionSpec<LoadOptions & { file?: string }> = { ...LOAD_OPTIONS, file: 'string' };

/** What loading returns: the cluster when the input has no error, and every error and warning. */
export interface LoadResult {
  /** Undefined when any error was found. */
  readonly cluster: Cluster | undefined;
  /** Errors and warnings, in input order. */
  readonly issues: readonly Issue[];
}

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  Pod: 'v1',
  Node: 'v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  ...WORKLOAD_API_VERSIONS,
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  ...CLUSTER_POLICY_API_VERSIONS,
};

/** Kinds of networking.k8s.io that are not policies; any other kind there is a typo or a policy. */
const NETWORKING_OTHER_KINDS = new Set(['Ingress', 'IngressClass', 'IPAddress', 'ServiceCIDR']);

/** The API group, when `kind` in it may be a policy netpol would silently skip (policy.networking.k8s.io's are refused apart). */
function policyGroupKind(apiVersion: unknown, kind: string): string | undefined {
  if (typeof apiVersion !== 'string') return undefined;
  const group = apiGroup(apiVersion);
  if (group === 'networking.k8s.io' && !NETWORKING_OTHER_KINDS.has(kind)) return group;
  return undefined;
}

interface Collected {
  namespaces: Namespace[];
  pods: Pod[];
  nodes: Node[];
  policies: NetworkPolicy[];
  clusterPolicies: LoadedClusterPolicy[];
  ignored: IgnoredObject[];
  workloads: Workload[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  issues: Issue[];
  /** First object seen under each `Kind ns/name`, to report duplicates. */
  seen: Map<string, RawObject>;
}

function objectIssues(raw: RawObject, problems: readonly FieldProblem[], object: string | undefined): Issue[] {
  return problems.map((p) => ({
    code: p.code,
    ...(p.check && { check: p.check }),
    severity: p.severity,
    file: raw.file,
    document: raw.document,
    line: raw.locate(p.path),
    ...(object && { object: truncate(object) }),
    path: formatPath(p.path),
    ...(p.type && { type: p.type }),
    message: fieldMessage(p),
  }));
}

type CollectOptions = Required<Omit<LoadOptions, 'recursive' | 'maxYamlTokens'>>;

/** An object of a policy API netpol cannot evaluate: refused, or (by explicit choice) ignored and recorded. */
function unsupported(raw: RawObject, kind: string, fallbackName: string, opts: CollectOptions, out: Collected): boolean {
  const defaultNamespace = raw.defaultNamespace ?? opts.defaultNamespace;
  const apiVersion = raw.value['apiVersion'];
  const found = unsupportedPolicy(apiVersion, kind);
  if (!found) return false;
  const meta = raw.value['metadata'];
  const field = (key: string): string | undefined => {
    const v = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)[key] : undefined;
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const name = field('name') ?? fallbackName;
  const namespace = found.namespaced ? (field('namespace') ?? defaultNamespace) : undefined;
  const ignored: IgnoredObject = {
    apiVersion: truncate(String(apiVersion)),
    kind: truncate(kind),
    ...(namespace !== undefined && { namespace: truncate(namespace) }),
    name: truncate(name),
  };
  const object = ignoredObjectKey(ignored);
  const pr = new Problems();
  if (found.notEnforced) pr.add({ severity: 'warning', code: 'skipped-kind', path: ['kind'], detail: `${truncate(kind)} skipped: ${found.reason}` });
  else if (opts.ignoreUnsupportedPolicies) {
    pr.add({
      severity: 'warning',
      code: 'unsupported-policy',
      path: ['kind'],
      detail: `${truncate(kind)} of ${truncate(String(apiVersion))} ignored as asked (--ignore-unsupported-policies): ${found.reason}, and verdicts do not account for it`,
    });
    out.ignored.push(ignored);
  } else {
    pr.add({
      severity: 'error',
      code: 'unsupported-policy',
      path: ['kind'],
      detail: `netpol cannot evaluate ${truncate(kind)} of ${truncate(String(apiVersion))}: ${found.reason}, so verdicts that ignore it could say allowed where the cluster drops the traffic; remove it from the input, or pass --ignore-unsupported-policies (LoadOptions.ignoreUnsupportedPolicies) to evaluate without it`,
    });
  }
  out.issues.push(...objectIssues(raw, pr.list, object));
  return true;
}

function collect(given: RawObject, index: number, opts: CollectOptions, out: Collected): void {
  const pr = new Problems();
  // Only JSON values, copied into null-prototype objects: whatever the caller handed in.
  const plain = toPlainJSON(given.value, { maxBytes: opts.maxInputBytes });
  if (plain.value === undefined) {
    out.issues.push(...objectIssues(given, plain.problems, undefined));
    return;
  }
  const raw: RawObject = { ...given, value: plain.value as Record<string, unknown> };
  // The namespace of the object's own input (a per-file -n) before the options' one.
  const defaultNamespace = raw.defaultNamespace ?? opts.defaultNamespace;
  const kind = raw.value['kind'];
  const fallbackName = `unnamed-${index}`;
  if (typeof kind !== 'string' || kind === '') {
    pr.required('kind-required', undefined, ['kind'], 'every object needs a kind');
    out.issues.push(...objectIssues(raw, pr.list, undefined));
    return;
  }
  if (unsupported(raw, kind, fallbackName, opts, out)) return;
  const skipped = skippedKind(raw.value['apiVersion'], kind);
  if (skipped) {
    pr.add({ severity: 'warning', code: 'skipped-kind', path: ['kind'], detail: skipped });
    out.issues.push(...objectIssues(raw, pr.list, truncate(kind)));
    return;
  }
  const expected = Object.hasOwn(API_VERSIONS, kind) ? API_VERSIONS[kind] : undefined;
  if (expected === undefined) {
    const group = policyGroupKind(raw.value['apiVersion'], kind);
    if (group && opts.strict)
      pr.add({
        severity: 'error',
        code: 'unknown-kind',
        path: ['kind'],
        detail: `kind ${truncate(kind)} is not a kind netpol evaluates in ${group}: a typo, or a policy the verdicts would ignore (--strict refuses it)`,
      });
    else
      pr.add({ severity: 'warning', code: 'skipped-kind', path: ['kind'], detail: `kind ${truncate(kind)} is not used by NetworkPolicy evaluation; skipped` });
    out.issues.push(...objectIssues(raw, pr.list, truncate(kind)));
    return;
  }
  if (raw.value['apiVersion'] !== expected) {
    pr.unsupported('unsupported-api-version', undefined, ['apiVersion'], raw.value['apiVersion'] ?? '', [expected]);
  }
  let object: string;
  // Taken once the object is known valid and no duplicate (a duplicate must not count twice in the cluster-wide passes).
  let keep: () => void;
  switch (kind) {
    case 'Namespace': {
      const ns = validateNamespace(pr, raw.value, fallbackName);
      object = `Namespace ${ns.name}`;
      keep = () => out.namespaces.push(ns);
      break;
    }
    case 'Pod': {
      const pod = validatePod(pr, raw.value, defaultNamespace, fallbackName);
      object = `Pod ${pod.namespace}/${pod.name}`;
      keep = () => out.pods.push(pod);
      break;
    }
    case 'Node': {
      const node = validateNode(pr, raw.value, fallbackName);
      object = `Node ${node.name}`;
      keep = () => out.nodes.push(node);
      break;
    }
    case 'Service': {
      const service = validateService(pr, raw.value, defaultNamespace, fallbackName);
      object = `Service ${service.namespace}/${service.name}`;
      keep = () => out.services.push(service);
      break;
    }
    case 'EndpointSlice': {
      const slice = validateEndpointSlice(pr, raw.value, defaultNamespace, fallbackName);
      object = `EndpointSlice ${slice.namespace}/${slice.name}`;
      keep = () => out.endpointSlices.push(slice);
      break;
    }
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicationController':
    case 'Job':
    case 'CronJob': {
      const workload = validateWorkload(pr, raw.value, kind, defaultNamespace, fallbackName);
      object = `${kind} ${workload.namespace}/${workload.name}`;
      keep = () => out.workloads.push(workload);
      break;
    }
    case 'ClusterNetworkPolicy':
    case 'AdminNetworkPolicy':
    case 'BaselineAdminNetworkPolicy': {
      const policy = validateClusterPolicy(pr, raw.value, kind, fallbackName);
      object = `${kind} ${policy.name}`;
      keep = () => out.clusterPolicies.push({ policy, raw });
      break;
    }
    default: {
      const policy = validatePolicy(pr, raw.value, { strict: opts.strict, defaultNamespace, fallbackName });
      object = `NetworkPolicy ${policy.namespace}/${policy.name}`;
      for (const dir of ['ingress', 'egress'] as const) {
        if (!policy.affects[dir] && policy[dir].length > 0) {
          const type = dir === 'ingress' ? 'Ingress' : 'Egress';
          pr.add({
            severity: 'warning',
            code: 'rules-ignored',
            path: ['spec', dir],
            detail: `has ${policy[dir].length} rule(s) but policyTypes does not include ${type}: they have no effect`,
          });
        }
      }
      keep = () => out.policies.push(policy);
    }
  }
  const first = out.seen.get(object);
  if (first) {
    const firstLine = first.locate(['metadata', 'name']);
    const at = `${first.file}${firstLine ? ':' + firstLine : ''}`;
    // One file given twice (twice -f a.yaml, or a directory and a file in it): the same spot, so say how each copy came in.
    const again = first.file === raw.file && first.document === raw.document && firstLine === raw.locate(['metadata', 'name']);
    pr.add({
      severity: 'error',
      code: 'duplicate-object',
      path: ['metadata', 'name'],
      type: 'Duplicate value',
      detail: again
        ? `${object} is loaded twice: first at ${at}${first.via ? ` (via ${first.via})` : ''}${raw.via ? `, again via ${raw.via}` : ''}`
        : `${object} is also defined at ${at}`,
      value: object.split(' ')[1],
    });
  } else out.seen.set(object, raw);
  if (!pr.hasErrors) keep();
  out.issues.push(...objectIssues(raw, pr.list, object));
}

/** How many objects a namespace-not-found warning names before `and N more`. */
const REFERRERS_NAMED = 3;

/**
 * Namespaces that objects refer to but the input does not hold get only their name label (they
 * join `Cluster.namespaces`, so that namespace selectors see them), with one warning each naming
 * the first objects that use it.
 */
function implicitNamespaces(out: Collected): void {
  const known = new Set(out.namespaces.map((n) => n.name));
  // The first few users by name and a count: a namespace of 100k pods names three.
  const referrers = new Map<string, { named: string[]; count: number }>();
  const refer = (kind: string, o: { namespace: string; name: string }): void => {
    if (known.has(o.namespace)) return;
    const users = referrers.get(o.namespace) ?? { named: [], count: 0 };
    if (users.count++ < REFERRERS_NAMED) users.named.push(`${kind} ${o.namespace}/${o.name}`);
    referrers.set(o.namespace, users);
  };
  for (const p of out.pods) refer('Pod', p);
  for (const w of out.workloads) refer(w.kind, w);
  for (const p of out.policies) refer('NetworkPolicy', p);
  for (const s of out.services) refer('Service', s);
  for (const name of [...referrers.keys()].sort()) {
    const users = referrers.get(name)!;
    const more = users.count > REFERRERS_NAMED ? ` and ${users.count - REFERRERS_NAMED} more` : '';
    out.namespaces.push({ name, labels: { [NAMESPACE_NAME_LABEL]: name } });
    out.issues.push({
      code: 'namespace-not-found',
      severity: 'warning',
      object: `Namespace ${truncate(name)}`,
      path: '',
      message: `namespace ${truncate(name)} is used by ${users.named.join(', ')}${more} but not in the input; assuming its only label is ${NAMESPACE_NAME_LABEL}=${truncate(name)}`,
    });
  }
}

/** One IP on several nodes: the first node that lists it owns it (for local-node ingress). */
function sharedNodeIPs(out: Collected): void {
  const owners = new Map<number | string, string[]>();
  for (const node of out.nodes) for (const ip of node.ips) owners.set(ipKey(ip), [...(owners.get(ipKey(ip)) ?? []), node.name]);
  for (const [, nodes] of owners) {
    if (nodes.length < 2) continue;
    out.issues.push({
      code: 'shared-node-ip',
      severity: 'warning',
      path: 'status.addresses',
      message: `nodes ${nodes.join(', ')} list the same address; it counts as ${nodes[0]}'s for local-node ingress`,
    });
  }
}

/** Several live pods with one IP: the evaluators prefer a Running one; say so. */
function sharedIPs(out: Collected): void {
  const owners = new Map<number | string, Pod[]>();
  for (const pod of out.pods) {
    if (pod.hostNetwork || pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
    for (const ip of pod.ips) owners.set(ipKey(ip), [...(owners.get(ipKey(ip)) ?? []), pod]);
  }
  for (const pods of owners.values()) {
    if (pods.length < 2) continue;
    const names = pods.map((p) => `${p.namespace}/${p.name}`).join(', ');
    out.issues.push({ code: 'shared-pod-ip', severity: 'warning', path: 'status.podIPs', message: `pods ${names} claim the same IP; a Running pod wins` });
  }
}

/** Validates raw objects (from readFiles or readText, or handed in) into a cluster. */
export function loadObjects(raws: readonly RawObject[], options: LoadOptions = {}, readIssues: readonly Issue[] = []): LoadResult {
  checkOptions('loadObjects options', options, LOAD_OPTIONS);
  const opts = {
    strict: options.strict ?? false,
    defaultNamespace: options.defaultNamespace ?? 'default',
    maxInputBytes: options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES,
    ignoreUnsupportedPolicies: options.ignoreUnsupportedPolicies ?? false,
  };
  const out: Collected = {
    namespaces: [],
    pods: [],
    nodes: [],
    policies: [],
    clusterPolicies: [],
    ignored: [],
    workloads: [],
    services: [],
    endpointSlices: [],
    issues: [...readIssues],
    seen: new Map(),
  };
  raws.forEach((raw, i) => collect(raw, i, opts, out));
  out.pods = followOwners(out.pods, out.workloads);
  out.issues.push(...unlinkedReplicaSets(out.pods, out.workloads));
  implicitNamespaces(out);
  sharedIPs(out);
  sharedNodeIPs(out);
  out.issues.push(...orphanSlices(out.services, out.endpointSlices));
  out.issues.push(...capacityIssues(out.policies, out.pods, out.seen));
  out.issues.push(...priorityTies(out.clusterPolicies, out.pods, out.namespaces));
  const failed = out.issues.some((i) => i.severity === 'error');
  const clusterPolicies: ClusterPolicy[] = out.clusterPolicies.map((l) => l.policy);
  // Absent rather than empty, so that a NetworkPolicy-only cluster is what it always was.
  const cluster: Cluster | undefined = failed
    ? undefined
    : {
        namespaces: out.namespaces,
        pods: out.pods,
        nodes: out.nodes,
        policies: out.policies,
        ...(clusterPolicies.length > 0 && { clusterPolicies }),
        ...(out.ignored.length > 0 && { ignoredObjects: out.ignored }),
        ...(out.workloads.length > 0 && { workloads: out.workloads }),
        ...(out.services.length > 0 && { services: out.services }),
        ...(out.endpointSlices.length > 0 && { endpointSlices: out.endpointSlices }),
      };
  return { cluster, issues: out.issues };
}

/**
 * Loads files and directories (YAML or JSON, `List` wrappers included) into a Cluster,
 * validated as the API server validates (docs/semantics.md §3): `cluster` is undefined when any
 * error was found, and `issues` lists every error and warning with file, line and field path.
 * Never throws for bad input (a missing file is an issue too); throws a TypeError for an unknown
 * option. A path may come with the namespace of its objects that have none (FileInput, like a
 * `-n` per file); the others take `options.defaultNamespace`.
 *
 * @example
 * const { cluster, issues } = loadFiles(['cluster.yaml', 'policies/']);
 * for (const i of issues) console.error(formatIssue(i));
 * if (!cluster) process.exit(2);
 * // one namespace-less policy in two namespaces
 * loadFiles(['cluster.yaml', { path: 'deny.yaml', namespace: 'stars' }, { path: 'deny.yaml', namespace: 'client' }]);
 */
export function loadFiles(paths: readonly (string | FileInput)[], options: LoadOptions = {}): LoadResult {
  checkOptions('loadFiles options', options, LOAD_OPTIONS);
  const read = readFiles(paths, options.recursive, pickOptions(options, READ_OPTIONS));
  return loadObjects(read.objects, options, read.issues);
}

/** Loads manifests given as text; `file` only names them in issues. */
export function loadText(text: string, options: LoadOptions & { file?: string } = {}): LoadResult {
  checkOptions('loadText options', options, LOAD_TEXT_OPTIONS);
  const read = readText(text, options.file ?? '<input>', pickOptions(options, READ_OPTIONS));
  return loadObjects(read.objects, pickOptions(options, LOAD_OPTIONS), read.issues);
}

/** As loadFiles, but throws a LoadError listing every problem. */
export function loadFilesOrThrow(paths: readonly (string | FileInput)[], options: LoadOptions = {}): Cluster {
  const r = loadFiles(paths, options);
  if (!r.cluster) throw new LoadError(r.issues);
  return r.cluster;
}

/** As loadText, but throws a LoadError listing every problem. */
export function loadTextOrThrow(text: string, options: LoadOptions & { file?: string } = {}): Cluster {
  const r = loadText(text, options);
  if (!r.cluster) throw new LoadError(r.issues);
  return r.cluster;
}

/** What loadClusterPolicy found: the policy when it is valid, and every problem either way. */
export interface ClusterPolicyLoad {
  readonly policy: ClusterPolicy | undefined;
  readonly issues: readonly Issue[];
}

/**
 * Validates one ClusterNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy handed
 * in as an object (from a watch, JSON.parse or a program) exactly as loading validates it:
 * same codes, paths and messages. Any other kind is an error. `file` only names the object in
 * issues (default `<object>`).
 */
export function loadClusterPolicy(object: unknown, options: LoadOptions & { file?: string } = {}): ClusterPolicyLoad {
  checkOptions('loadClusterPolicy options', options, LOAD_TEXT_OPTIONS);
  const raw: RawObject = { file: options.file ?? '<object>', document: 0, value: object as Record<string, unknown>, locate: () => undefined };
  const r = loadObjects([raw], pickOptions(options, LOAD_OPTIONS));
  const policy = r.cluster?.clusterPolicies?.[0];
  if (r.cluster && !policy) {
    const kinds = Object.keys(CLUSTER_POLICY_API_VERSIONS).join(', ');
    const issue: Issue = { code: 'unknown-kind', severity: 'error', file: raw.file, document: 0, path: 'kind', message: `kind: expected one of ${kinds}` };
    return { policy: undefined, issues: [...r.issues, issue] };
  }
  return { policy, issues: r.issues };
}
