/**
 * Workloads: Deployment, ReplicaSet, StatefulSet, DaemonSet (apps/v1), ReplicationController
 * (v1), Job and CronJob (batch/v1). Only their pod template is read (labels, container and init
 * container ports, hostNetwork) with the selector that must match it, validated as the API server
 * validates those fields; other fields are not read, and unknown ones are ignored as on Pods.
 */
import type { Labels, Workload, WorkloadKind } from '../model/types.js';
import { selectorMatches } from '../model/selector.js';
import { getBoolean, getObject, getStringMap, isAbsent, type Obj, type Problems } from './fields.js';
import type { PathSegments } from './issues.js';
import { validateLabels, validateMeta, validateSelector } from './meta.js';
import { controllerOwner } from './owners.js';
import { containerPorts } from './workloads.js';

/** The apiVersion the API server serves each workload kind at (older ones were removed by Kubernetes 1.16 and 1.25). */
export const WORKLOAD_API_VERSIONS: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicationController: 'v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

/** Whether `kind` is one of the workload kinds netpol reads. */
export const isWorkloadKind = (kind: string): kind is WorkloadKind => Object.hasOwn(WORKLOAD_API_VERSIONS, kind);

/** What the API server says of an empty apps/v1 selector (ReplicaSet's message names deployments too). */
const EMPTY_SELECTOR_NOUN: Partial<Record<WorkloadKind, string>> = {
  Deployment: 'deployment',
  ReplicaSet: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
};

/** A CronJob's Jobs are named `<name>-<11 characters>`, so its name is limited to 63 - 11. */
const CRONJOB_NAME_MAX = 52;

function mismatch(pr: Problems, labelsPath: PathSegments, labels: Labels): void {
  pr.invalid('selector-mismatch', undefined, labelsPath, { ...labels }, '`selector` does not match template `labels`');
}

/**
 * `spec.selector` of the kinds that require a metav1.LabelSelector (apps/v1), or that may carry
 * one (Job, a CronJob's job template: generated when absent, so a missing one is fine).
 * `labels` undefined: the template's could not be read, so no comparison.
 */
function labelSelector(pr: Problems, kind: WorkloadKind, spec: Obj, base: PathSegments, labels: Labels | undefined): void {
  const path = [...base, 'selector'];
  const selector = validateSelector(pr, spec['selector'], path);
  const noun = EMPTY_SELECTOR_NOUN[kind];
  if (!selector) {
    if (noun) pr.required('field-required', undefined, path, '');
    return;
  }
  const empty = Object.keys(selector.matchLabels).length === 0 && selector.matchExpressions.length === 0;
  if (empty && noun) pr.invalid('selector-empty', undefined, path, spec['selector'], `empty selector is invalid for ${noun}`);
  // An empty selector matches everything; the API server checks only a non-empty one.
  else if (!empty && labels && !selectorMatches(selector, labels)) mismatch(pr, [...base, 'template', 'metadata', 'labels'], labels);
}

/** A ReplicationController's `spec.selector` is a plain map, defaulted to the template's labels. */
function mapSelector(pr: Problems, spec: Obj, labels: Labels | undefined): void {
  const path = ['spec', 'selector'];
  const selector = getStringMap(pr, spec['selector'], path) ?? {};
  validateLabels(pr, selector, path);
  const entries = Object.entries(selector);
  if (!labels) return;
  if (entries.length === 0) {
    if (Object.keys(labels).length === 0) pr.required('field-required', undefined, path, '');
  } else if (!entries.every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v)) mismatch(pr, ['spec', 'template', 'metadata', 'labels'], labels);
}

/**
 * Validates a workload object of `kind` (its apiVersion is checked by the caller) into a
 * Workload: metadata, owner, the pod template's labels, ports and hostNetwork, and the selector
 * against the template labels. Problems go to `pr` with Go field paths
 * (`spec.template.spec.containers[0].ports[1].containerPort`, and under
 * `spec.jobTemplate.spec.template` for a CronJob).
 */
export function validateWorkload(pr: Problems, obj: Obj, kind: WorkloadKind, defaultNamespace: string, fallbackName: string): Workload {
  const meta = validateMeta(pr, obj, { namespaced: true, defaultNamespace, fallbackName });
  if (kind === 'CronJob' && meta.name.length > CRONJOB_NAME_MAX)
    pr.invalid('invalid-name', undefined, ['metadata', 'name'], meta.name, `must be no more than ${CRONJOB_NAME_MAX} characters`);
  const owner = controllerOwner(pr, obj);
  // A missing part is reported once, where it is missing (one of the wrong type, by getObject).
  const spec = getObject(pr, obj['spec'], ['spec']);
  if (isAbsent(obj['spec'])) pr.required('field-required', undefined, ['spec'], '');
  // The object whose `template` and `selector` are read: a CronJob's job template spec.
  let base: PathSegments = ['spec'];
  let owning: Obj | undefined = spec;
  if (kind === 'CronJob' && spec) {
    base = ['spec', 'jobTemplate', 'spec'];
    const jobTemplate = getObject(pr, spec['jobTemplate'], ['spec', 'jobTemplate']);
    if (isAbsent(spec['jobTemplate'])) pr.required('field-required', undefined, ['spec', 'jobTemplate'], '');
    owning = jobTemplate && getObject(pr, jobTemplate['spec'], base);
    if (jobTemplate && isAbsent(jobTemplate['spec'])) pr.required('field-required', undefined, base, '');
  }
  const templatePath = [...base, 'template'];
  const template = owning && getObject(pr, owning['template'], templatePath);
  if (owning && isAbsent(owning['template'])) pr.required('field-required', undefined, templatePath, '');
  const templateMetaObject = template && getObject(pr, template['metadata'], [...templatePath, 'metadata']);
  const templateMeta = templateMetaObject ?? {};
  const labelsPath = [...templatePath, 'metadata', 'labels'];
  const labelsObject = getStringMap(pr, templateMeta['labels'], labelsPath);
  const labels = labelsObject ?? {};
  // The selector is compared with labels that were read: not with a template missing or of the wrong type.
  const labelsRead = !!template && (!!templateMetaObject || isAbsent(template['metadata'])) && (!!labelsObject || isAbsent(templateMeta['labels']));
  validateLabels(pr, labels, labelsPath);
  const podPath = [...templatePath, 'spec'];
  const podSpecObject = template && getObject(pr, template['spec'], podPath);
  const podSpec = podSpecObject ?? {};
  const containers = podSpec['containers'];
  const noContainers = isAbsent(containers) || (Array.isArray(containers) && containers.length === 0);
  if (template && (podSpecObject || isAbsent(template['spec'])) && noContainers) pr.required('field-required', undefined, [...podPath, 'containers'], '');
  const ports = [...containerPorts(pr, podSpec, 'containers', podPath), ...containerPorts(pr, podSpec, 'initContainers', podPath)];
  const hostNetwork = getBoolean(pr, podSpec['hostNetwork'], [...podPath, 'hostNetwork']) ?? false;
  if (owning && kind === 'ReplicationController') mapSelector(pr, owning, labelsRead ? labels : undefined);
  else if (owning) labelSelector(pr, kind, owning, base, labelsRead ? labels : undefined);
  return { kind, namespace: meta.namespace!, name: meta.name, labels, ports, hostNetwork, ...(owner && { owner }) };
}
