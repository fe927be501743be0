/**
 * `metadata.ownerReferences`: which controller a pod or workload belongs to, and the top-level
 * owner a pod is grouped under (a Deployment's ReplicaSet's pod belongs to the Deployment when
 * both are in the input). Endpoint names (`namespace/name[Kind]`) are made of that owner.
 */
import type { Owner, Pod, Workload } from '../model/types.js';
import { getArray, getBoolean, getObject, getString, isAbsent, type Obj, type Problems } from './fields.js';
import { truncate, type Issue } from './issues.js';

/**
 * The owner reference with `controller: true`, if any. Checks what netpol reads of each
 * reference as the API server does: `kind` and `name` non-empty, `controller` a boolean, at most
 * one controller. A mirror pod's controller is its Node (a static pod): no workload, the pod is
 * its own endpoint, as netpol-analyzer has it.
 */
export function controllerOwner(pr: Problems, obj: Obj): Owner | undefined {
  const meta = obj['metadata'];
  // metadata's own type is validateMeta's to report.
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return undefined;
  const path = ['metadata', 'ownerReferences'];
  const refs = getArray(pr, (meta as Obj)['ownerReferences'], path) ?? [];
  const controllers: Owner[] = [];
  refs.forEach((r, i) => {
    const ref = getObject(pr, r, [...path, i]) ?? {};
    const kind = getString(pr, ref['kind'], [...path, i, 'kind']);
    const name = getString(pr, ref['name'], [...path, i, 'name']);
    // A value of the wrong type is reported once, by getString.
    if (kind === '' || isAbsent(ref['kind'])) pr.required('field-required', undefined, [...path, i, 'kind'], 'kind must not be empty');
    if (name === '' || isAbsent(ref['name'])) pr.required('field-required', undefined, [...path, i, 'name'], 'name must not be empty');
    if (getBoolean(pr, ref['controller'], [...path, i, 'controller']) === true) controllers.push({ kind: kind ?? '', name: name ?? '' });
  });
  if (controllers.length > 1) {
    const which = controllers.map((c) => `${c.kind}/${c.name}`).join(', ');
    pr.invalid('multiple-controllers', undefined, path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${which}`);
  }
  const owner = controllers[0];
  return owner && owner.kind !== 'Node' && owner.kind !== '' && owner.name !== '' ? owner : undefined;
}

const key = (namespace: string, o: Owner): string => `${namespace}/${o.kind}/${o.name}`;

/**
 * Pods regrouped under their top-level owner: a pod's controller is followed up while the
 * controller's own controller is in the input too (pod → ReplicaSet → Deployment, pod → Job →
 * CronJob). A controller that is not in the input stays the owner (a pod of an absent
 * ReplicaSet is `ns/replicaset[ReplicaSet]`, as netpol-analyzer names it), and so does a workload
 * whose own controller is absent. Owner cycles (invalid in a cluster) stop where they close.
 * Linear in pods and workloads; pods whose owner does not change are returned as they are.
 */
export function followOwners(pods: readonly Pod[], workloads: readonly Workload[]): Pod[] {
  const byKey = new Map<string, Workload>();
  for (const w of workloads) byKey.set(key(w.namespace, w), w);
  const top = new Map<string, Owner>();
  const topOf = (w: Workload): Owner => {
    const chain: string[] = [];
    const onChain = new Set<string>();
    let cur = w;
    let result: Owner | undefined;
    for (;;) {
      const k = key(cur.namespace, cur);
      const known = top.get(k);
      if (known) {
        result = known;
        break;
      }
      chain.push(k);
      onChain.add(k);
      const up = cur.owner && byKey.get(key(cur.namespace, cur.owner));
      if (!up || onChain.has(key(up.namespace, up))) {
        result = { kind: cur.kind, name: cur.name };
        break;
      }
      cur = up;
    }
    for (const k of chain) top.set(k, result);
    return result;
  };
  return pods.map((p) => {
    const w = p.owner && byKey.get(key(p.namespace, p.owner));
    if (!w) return p;
    const owner = topOf(w);
    return owner.kind === p.owner!.kind && owner.name === p.owner!.name ? p : { ...p, owner };
  });
}

/** The label a Deployment's ReplicaSet and its pods carry; the ReplicaSet is named `<deployment>-<hash>`. */
const TEMPLATE_HASH = 'pod-template-hash';

/**
 * A warning per ReplicaSet that is not in the input while pods of it and the Deployment that made
 * it are (a `kubectl get deployments,pods` dump): netpol does not guess the link from names, so
 * the pods are the ReplicaSet's endpoint and the Deployment is one more, of its template. The
 * warning says what to add to group them.
 */
export function unlinkedReplicaSets(pods: readonly Pod[], workloads: readonly Workload[]): Issue[] {
  const present = new Set(workloads.map((w) => key(w.namespace, w)));
  const warned = new Set<string>();
  const issues: Issue[] = [];
  for (const p of pods) {
    const rs = p.owner;
    const hash = p.labels[TEMPLATE_HASH];
    if (rs?.kind !== 'ReplicaSet' || !hash || !rs.name.endsWith(`-${hash}`)) continue;
    const rsKey = key(p.namespace, rs);
    const deployment = { kind: 'Deployment', name: rs.name.slice(0, -hash.length - 1) };
    if (present.has(rsKey) || warned.has(rsKey) || !present.has(key(p.namespace, deployment))) continue;
    warned.add(rsKey);
    const ns = p.namespace;
    const [rsName, name] = [truncate(rs.name), truncate(deployment.name)];
    issues.push({
      code: 'owner-not-in-input',
      severity: 'warning',
      object: `ReplicaSet ${ns}/${rsName}`,
      path: '',
      message: `pods of ReplicaSet ${ns}/${rsName}, which is not in the input, are the endpoint ${ns}/${rsName}[ReplicaSet], apart from Deployment ${ns}/${name} (its template); add the ReplicaSet to the input (kubectl get deployments,replicasets,pods) to group them under the Deployment`,
    });
  }
  return issues;
}
