/**
 * Endpoints: the groups of pods that connectivity reports name (`namespace/name[Kind]`), and
 * the template pods that stand for workloads none of whose pods is in the input (manifests
 * before deployment: `helm template`, `kustomize build`). A template pod has the labels and
 * container ports of its workload's pod template and no address: it is a subject and a
 * selector peer like any pod, and no ipBlock, `networks` or `nodes` peer ever matches it.
 */
import { isTerminal } from './cluster-index.js';
import type { Cluster, Pod, Workload } from './types.js';

/** A group of pods reported as one endpoint. */
export interface EndpointGroup {
  /** `namespace/name[Kind]`: the workload's, or for a pod on its own (or at pod level) `namespace/pod[Pod]`. */
  readonly name: string;
  readonly namespace: string;
  /** The workload's kind (`Deployment`, ...) or `Pod`. */
  readonly kind: string;
  /** The group's pods (at least one): real pods, or `[templatePod]`. */
  readonly pods: readonly Pod[];
  /** `pods` is a workload's template pod (no pod of the workload is in the input). */
  readonly template: boolean;
}

/** Options of endpointGroups. */
export interface EndpointGroupOptions {
  /**
   * Count hostNetwork pods and workloads as ordinary endpoints (netpol-analyzer's view). Default
   * false: their traffic is node traffic, and they are no endpoint.
   */
  readonly hostNetworkAsPods?: boolean;
}

const templates = new WeakMap<Cluster, readonly Pod[]>();

const ownerKey = (namespace: string, kind: string, name: string): string => `${namespace}/${name}[${kind}]`;

/**
 * One template pod per workload of `cluster.workloads` that is its own endpoint (not owned by
 * another workload of the input, as a Deployment's ReplicaSet is) and has no pod in
 * `cluster.pods` (Succeeded and Failed pods do not count). The same Pod objects on every call
 * for the same Cluster object (compile() keys its address-less entries by them). hostNetwork
 * workloads are included, with `hostNetwork: true`: callers that count them as node traffic
 * leave them out.
 */
export function templatePods(cluster: Cluster): readonly Pod[] {
  let pods = templates.get(cluster);
  if (pods) return pods;
  const workloads = cluster.workloads ?? [];
  const present = new Set(workloads.map((w) => ownerKey(w.namespace, w.kind, w.name)));
  const withPods = new Set<string>();
  for (const p of cluster.pods) if (p.owner && !isTerminal(p)) withPods.add(ownerKey(p.namespace, p.owner.kind, p.owner.name));
  pods = workloads
    .filter((w) => !(w.owner && present.has(ownerKey(w.namespace, w.owner.kind, w.owner.name))) && !withPods.has(ownerKey(w.namespace, w.kind, w.name)))
    .map(templatePod);
  templates.set(cluster, pods);
  return pods;
}

function templatePod(w: Workload): Pod {
  return {
    namespace: w.namespace,
    name: w.name,
    labels: w.labels,
    ips: [],
    hostNetwork: w.hostNetwork,
    phase: 'Running',
    ports: w.ports,
    owner: { kind: w.kind, name: w.name },
  };
}

/**
 * The endpoints of a cluster, sorted by name. `workload` level: pods grouped under their
 * top-level owner (`Pod.owner`), a pod without one on its own (`namespace/pod[Pod]`); `pod`
 * level: every pod its own endpoint (`namespace/pod[Pod]`). At both levels every workload
 * without a pod in the input is one endpoint of its template pod. Succeeded and Failed pods are
 * never endpoints; hostNetwork pods and workloads only with `hostNetworkAsPods`.
 */
export function endpointGroups(cluster: Cluster, level: 'workload' | 'pod', opts: EndpointGroupOptions = {}): EndpointGroup[] {
  const takesPart = (p: Pod): boolean => !isTerminal(p) && (opts.hostNetworkAsPods === true || !p.hostNetwork);
  const groups = new Map<string, { namespace: string; kind: string; pods: Pod[]; template: boolean }>();
  const add = (name: string, namespace: string, kind: string, pod: Pod, template: boolean): void => {
    const g = groups.get(name);
    if (g) g.pods.push(pod);
    else groups.set(name, { namespace, kind, pods: [pod], template });
  };
  for (const pod of cluster.pods) {
    if (!takesPart(pod)) continue;
    if (level === 'workload' && pod.owner) add(ownerKey(pod.namespace, pod.owner.kind, pod.owner.name), pod.namespace, pod.owner.kind, pod, false);
    else add(ownerKey(pod.namespace, 'Pod', pod.name), pod.namespace, 'Pod', pod, false);
  }
  for (const pod of templatePods(cluster)) {
    if (takesPart(pod)) add(ownerKey(pod.namespace, pod.owner!.kind, pod.owner!.name), pod.namespace, pod.owner!.kind, pod, true);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, g]) => ({ name, ...g }));
}
