/** ObjectMeta, label and label-selector validation (apimachinery), producing model values. */
import type { Selector, SelectorOperator, SelectorRequirement } from '../model/types.js';
import { checkKnownFields, getArray, getObject, getString, getStringMap, type Obj, type Problems } from './fields.js';
import type { PathSegments } from './issues.js';
import { dns1123Label, dns1123Subdomain, labelValue, qualifiedName } from './syntax.js';

export interface Meta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
}

/** Validates labels like ValidateLabels: errors point at the map itself, not at the key. */
export function validateLabels(pr: Problems, labels: Record<string, string>, path: PathSegments, check?: { key: string; value: string }): void {
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of qualifiedName(k)) pr.invalid('invalid-label-key', check?.key, path, k, msg);
    for (const msg of labelValue(v)) pr.invalid('invalid-label-value', check?.value, path, v, msg);
  }
}

/**
 * metadata of any object. `defaultNamespace` is set for namespaced kinds: a missing
 * namespace takes it, as kubectl does.
 */
export function validateMeta(
  pr: Problems,
  obj: Obj,
  opts: { namespaced: boolean; defaultNamespace: string; nameIsLabel?: boolean; nameSyntax?: (name: string) => string[]; fallbackName: string },
): Meta {
  const path = ['metadata'];
  const meta = getObject(pr, obj['metadata'], path) ?? {};
  let name = getString(pr, meta['name'], [...path, 'name']) ?? '';
  const generateName = getString(pr, meta['generateName'], [...path, 'generateName']) ?? '';
  if (name === '') {
    if (generateName === '') pr.required('name-required', 'M1', [...path, 'name'], 'name or generateName is required');
    // The API server would append a random suffix; a stable one keeps runs reproducible.
    name = generateName === '' ? opts.fallbackName : `${generateName}${opts.fallbackName}`;
  } else {
    const errs = opts.nameSyntax ? opts.nameSyntax(name) : opts.nameIsLabel ? dns1123Label(name) : dns1123Subdomain(name);
    for (const msg of errs) pr.invalid('invalid-name', 'M2', [...path, 'name'], name, msg);
  }
  let namespace: string | undefined;
  if (opts.namespaced) {
    const ns = getString(pr, meta['namespace'], [...path, 'namespace']);
    namespace = ns === undefined || ns === '' ? opts.defaultNamespace : ns;
    for (const msg of dns1123Label(namespace)) pr.invalid('invalid-namespace', 'M4', [...path, 'namespace'], namespace, msg);
  }
  const labels = getStringMap(pr, meta['labels'], [...path, 'labels']) ?? {};
  validateLabels(pr, labels, [...path, 'labels']);
  return { name, namespace, labels };
}

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** A metav1.LabelSelector (checks S1-S7). Returns undefined when it is absent. */
export function validateSelector(pr: Problems, v: unknown, path: PathSegments): Selector | undefined {
  const obj = getObject(pr, v, path);
  if (!obj) return undefined;
  checkKnownFields(pr, obj, path, ['matchLabels', 'matchExpressions']);
  const matchLabels = getStringMap(pr, obj['matchLabels'], [...path, 'matchLabels']) ?? {};
  validateLabels(pr, matchLabels, [...path, 'matchLabels'], { key: 'S1', value: 'S2' });
  const expressions: SelectorRequirement[] = [];
  (getArray(pr, obj['matchExpressions'], [...path, 'matchExpressions']) ?? []).forEach((raw, i) => {
    const p = [...path, 'matchExpressions', i];
    const e = getObject(pr, raw, p) ?? {};
    checkKnownFields(pr, e, p, ['key', 'operator', 'values']);
    const key = getString(pr, e['key'], [...p, 'key']) ?? '';
    const operator = getString(pr, e['operator'], [...p, 'operator']) ?? '';
    const values = (getArray(pr, e['values'], [...p, 'values']) ?? []).map((x, j) => getString(pr, x, [...p, 'values', j]) ?? '');
    let validOperator = true;
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) pr.required('selector-values-required', 'S4', [...p, 'values'], "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0)
        pr.forbidden('selector-values-forbidden', 'S5', [...p, 'values'], "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
      validOperator = false;
      pr.invalid('invalid-selector-operator', 'S3', [...p, 'operator'], operator, 'not a valid selector operator');
    }
    for (const msg of qualifiedName(key)) pr.invalid('invalid-label-key', 'S6', [...p, 'key'], key, msg);
    values.forEach((val, j) => {
      for (const msg of labelValue(val)) pr.invalid('invalid-label-value', 'S7', [...p, 'values', j], val, msg);
    });
    if (validOperator && OPERATORS.includes(operator as SelectorOperator)) {
      expressions.push({ key, operator: operator as SelectorOperator, values });
    }
  });
  return { matchLabels, matchExpressions: expressions };
}
