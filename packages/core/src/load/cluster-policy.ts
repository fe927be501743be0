/**
 * ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2), AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy (v1alpha1) validation, rule by rule as their CRDs check them
 * (schema and CEL rules of network-policy-api), accumulating every problem with its field
 * path. Two checks go beyond the CRDs, to fail closed:
 * - label selectors are checked as LabelSelectorAsSelector would (operators, keys, values):
 *   the schema accepts any string, but no implementation can evaluate a bad selector;
 * - `domainNames` peers only in Accept (Allow) rules: the API documents them as Accept-only and
 *   implementations evaluate them nowhere else, but the CRD does not enforce it.
 */
import { EMPTY_SELECTOR } from '../model/selector.js';
import type {
  ClusterAction,
  ClusterPeer,
  ClusterPolicy,
  ClusterPolicyKind,
  ClusterPort,
  ClusterRule,
  ClusterSubject,
  Direction,
  Selector,
  Tier,
} from '../model/types.js';
import { checkKnownFields, getObject, getString, isAbsent, type Obj, type Problems } from './fields.js';
import type { PathSegments } from './issues.js';
import { validateMeta, validateSelector } from './meta.js';
import { validateCIDRField } from './cidr-field.js';
import { boundedInteger, boundedList, enumField, maxLength, oneOf, requireField, uniqueItems } from './crd-schema.js';
import { validatePortEntry, validateProtocolEntry } from './cluster-ports.js';

type PeerField = 'namespaces' | 'pods' | 'nodes' | 'networks' | 'domainNames';

/** What differs between the three kinds. */
interface Dialect {
  readonly apiVersion: string;
  readonly specFields: readonly string[];
  /** maxItems of ingress, egress, from and to. */
  readonly maxItems: number;
  readonly maxPorts: number;
  readonly actions: readonly string[];
  readonly portsField: 'protocols' | 'ports';
  readonly egressPeers: readonly PeerField[];
  /** v1alpha1's NamespacedPod requires namespaceSelector; v1alpha2's defaults it to all. */
  readonly podsNeedNamespaceSelector: boolean;
  /** The DomainName pattern, as each CRD writes it. */
  readonly domainName: RegExp;
}

const INGRESS_PEERS: readonly PeerField[] = ['namespaces', 'pods'];
const NAME_MAX = 100;
const CIDR_MAX = 43;
const LIST_MAX = 25;

const V1ALPHA2_DOMAIN = /^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$/;
/** v1alpha1's pattern has `A-z` for `A-Z` in two places (so `[`, `^`, `_`... may start a label); kept as the CRD has it. */
const V1ALPHA1_DOMAIN = /^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$/;

/** What AdminNetworkPolicy and BaselineAdminNetworkPolicy share. */
const V1ALPHA1 = {
  apiVersion: 'policy.networking.k8s.io/v1alpha1',
  maxItems: 100,
  maxPorts: 100,
  portsField: 'ports',
  podsNeedNamespaceSelector: true,
  domainName: V1ALPHA1_DOMAIN,
} as const;

const DIALECTS: Readonly<Record<ClusterPolicyKind, Dialect>> = {
  ClusterNetworkPolicy: {
    apiVersion: 'policy.networking.k8s.io/v1alpha2',
    specFields: ['tier', 'priority', 'subject', 'ingress', 'egress'],
    maxItems: 25,
    maxPorts: 25,
    actions: ['Accept', 'Deny', 'Pass'],
    portsField: 'protocols',
    egressPeers: ['namespaces', 'pods', 'nodes', 'networks', 'domainNames'],
    podsNeedNamespaceSelector: false,
    domainName: V1ALPHA2_DOMAIN,
  },
  AdminNetworkPolicy: {
    ...V1ALPHA1,
    specFields: ['priority', 'subject', 'ingress', 'egress'],
    actions: ['Allow', 'Deny', 'Pass'],
    egressPeers: ['namespaces', 'pods', 'nodes', 'networks', 'domainNames'],
  },
  BaselineAdminNetworkPolicy: {
    ...V1ALPHA1,
    specFields: ['subject', 'ingress', 'egress'],
    actions: ['Allow', 'Deny'],
    egressPeers: ['namespaces', 'pods', 'nodes', 'networks'],
  },
};

/** The apiVersion each cluster-scoped kind is loaded at. */
export const CLUSTER_POLICY_API_VERSIONS: Readonly<Record<ClusterPolicyKind, string>> = {
  ClusterNetworkPolicy: DIALECTS.ClusterNetworkPolicy.apiVersion,
  AdminNetworkPolicy: DIALECTS.AdminNetworkPolicy.apiVersion,
  BaselineAdminNetworkPolicy: DIALECTS.BaselineAdminNetworkPolicy.apiVersion,
};

/** The BaselineAdminNetworkPolicy's evaluation priority: after every Baseline-tier ClusterNetworkPolicy. */
export const BANP_PRIORITY = 1001;

/** NamespacedPod: `namespaceSelector` (optional in v1alpha2: all namespaces) and `podSelector`. */
function namespacedPod(pr: Problems, raw: unknown, path: PathSegments, d: Dialect): { namespaceSelector: Selector; podSelector: Selector } | undefined {
  const obj = getObject(pr, raw, path) ?? {};
  checkKnownFields(pr, obj, path, ['namespaceSelector', 'podSelector']);
  const hasNamespaces = d.podsNeedNamespaceSelector ? requireField(pr, obj, 'namespaceSelector', path) : true;
  const hasPods = requireField(pr, obj, 'podSelector', path);
  const namespaceSelector = validateSelector(pr, obj['namespaceSelector'], [...path, 'namespaceSelector']) ?? EMPTY_SELECTOR;
  const podSelector = validateSelector(pr, obj['podSelector'], [...path, 'podSelector']) ?? EMPTY_SELECTOR;
  return hasNamespaces && hasPods ? { namespaceSelector, podSelector } : undefined;
}

/** A subject has an ingress peer's shape: exactly one of namespaces, pods. */
const validateSubject = (pr: Problems, raw: unknown, path: PathSegments, d: Dialect): ClusterSubject | undefined =>
  validatePeer(pr, raw, path, INGRESS_PEERS, d) as ClusterSubject | undefined;

/** A `networks` or `domainNames` list: 1-25 strings, a set, each checked by `item`. */
function stringSet<T>(pr: Problems, obj: Obj, key: string, path: PathSegments, item: (text: string, path: PathSegments) => T | undefined): T[] | undefined {
  const list = boundedList(pr, obj, key, path, { min: 1, max: LIST_MAX });
  if (!list) return undefined;
  const p = [...path, key];
  const texts = list.map((x, i) => getString(pr, x, [...p, i]));
  uniqueItems(
    pr,
    texts.filter((t) => t !== undefined),
    p,
  );
  const out = texts.map((t, i) => (t === undefined ? undefined : item(t, [...p, i])));
  return out.every((x) => x !== undefined) ? (out as T[]) : undefined;
}

function peerOf(pr: Problems, obj: Obj, field: PeerField, path: PathSegments, d: Dialect): ClusterPeer | undefined {
  const p = [...path, field];
  switch (field) {
    case 'namespaces': {
      const s = validateSelector(pr, obj[field], p);
      return s && { kind: 'namespaces', namespaceSelector: s };
    }
    case 'pods': {
      const s = namespacedPod(pr, obj[field], p, d);
      return s && { kind: 'pods', ...s };
    }
    case 'nodes': {
      const s = validateSelector(pr, obj[field], p);
      return s && { kind: 'nodes', nodeSelector: s };
    }
    case 'networks': {
      const networks = stringSet(pr, obj, field, path, (text, ip) => {
        return maxLength(pr, text, ip, CIDR_MAX) ? validateCIDRField(pr, text, ip, false, false, true)?.cidr : undefined;
      });
      return networks && { kind: 'networks', networks };
    }
    case 'domainNames': {
      const domainNames = stringSet(pr, obj, field, path, (text, ip) => {
        if (d.domainName.test(text)) return text;
        pr.invalid(
          'invalid-domain-name',
          undefined,
          ip,
          text,
          `should match '${d.domainName.source}' (an exact name, or *. and a name for any one or more labels in front of it)`,
        );
        return undefined;
      });
      return domainNames && { kind: 'domainNames', domainNames };
    }
  }
}

/** One `from`/`to` entry: exactly one of `fields` (MinProperties/MaxProperties = 1). */
const validatePeer = (pr: Problems, raw: unknown, path: PathSegments, fields: readonly PeerField[], d: Dialect): ClusterPeer | undefined =>
  oneOf(pr, raw, path, fields, (field, obj) => peerOf(pr, obj, field, path, d));

const ADDRESS_PEERS: readonly string[] = ['networks', 'nodes', 'domainNames'];

function validateRule(pr: Problems, raw: unknown, path: PathSegments, direction: Direction, d: Dialect): ClusterRule | undefined {
  const peersField = direction === 'ingress' ? 'from' : 'to';
  const rule = getObject(pr, raw, path) ?? {};
  checkKnownFields(pr, rule, path, ['name', 'action', peersField, d.portsField]);
  const name = getString(pr, rule['name'], [...path, 'name']);
  if (name !== undefined) maxLength(pr, name, [...path, 'name'], NAME_MAX);
  const written = enumField(pr, rule, 'action', path, d.actions, 'unsupported-action');
  const action: ClusterAction | undefined = written === 'Allow' ? 'Accept' : (written as ClusterAction | undefined);
  const fields = direction === 'ingress' ? INGRESS_PEERS : d.egressPeers;
  const peersRaw = boundedList(pr, rule, peersField, path, { min: 1, max: d.maxItems, required: true }) ?? [];
  const peers = peersRaw.map((p, k) => validatePeer(pr, p, [...path, peersField, k], fields, d));
  const portsRaw = boundedList(pr, rule, d.portsField, path, { min: 1, max: d.maxPorts }) ?? [];
  const entry = d.portsField === 'protocols' ? validateProtocolEntry : validatePortEntry;
  const ports = portsRaw.map((p, j) => entry(pr, p, [...path, d.portsField, j]));
  if (direction === 'egress') {
    const peerObjects = peersRaw.map((p) => (typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Obj) : {}));
    const named = (key: string): boolean => portsRaw.some((p) => typeof p === 'object' && p !== null && !isAbsent((p as Obj)[key]));
    // The CRD's CEL rule: networks/nodes/domainNames are no pods, so they have no named ports.
    const addressPeer = peerObjects.some((o) => ADDRESS_PEERS.some((f) => fields.includes(f as PeerField) && !isAbsent(o[f])));
    if (addressPeer && named(d.portsField === 'protocols' ? 'destinationNamedPort' : 'namedPort')) {
      const peers = ADDRESS_PEERS.filter((f) => fields.includes(f as PeerField)).join('/');
      pr.invalid(
        'named-port-with-address-peer',
        undefined,
        path,
        'object',
        `${peers} peer cannot be set with namedPorts since there are no namedPorts for ${peers}`,
      );
    }
    if (written !== undefined && action !== 'Accept' && fields.includes('domainNames')) {
      peerObjects.forEach((o, k) => {
        if (!isAbsent(o['domainNames']))
          pr.forbidden(
            'domain-names-not-accept',
            undefined,
            [...path, 'to', k, 'domainNames'],
            `may only be used in ${d.actions[0]} rules, not ${written}: the API supports domainNames in ${d.actions[0]} rules only (the CRD does not enforce it) and implementations evaluate them nowhere else, so netpol cannot either`,
          );
      });
    }
  }
  if (!action || peers.some((p) => p === undefined) || ports.some((p) => p === undefined)) return undefined;
  return { ...(name && { name }), action, peers: peers as ClusterPeer[], ports: ports as ClusterPort[] };
}

/** Validates one ClusterNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy. Meaningful only without errors. */
export function validateClusterPolicy(pr: Problems, obj: Obj, kind: ClusterPolicyKind, fallbackName: string): ClusterPolicy {
  const d = DIALECTS[kind];
  checkKnownFields(pr, obj, [], ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  const meta = validateMeta(pr, obj, { namespaced: false, defaultNamespace: '', fallbackName });
  const writtenName = (obj['metadata'] as Obj | undefined)?.['name'];
  if (kind === 'BaselineAdminNetworkPolicy' && typeof writtenName === 'string' && writtenName !== '' && writtenName !== 'default') {
    pr.invalid(
      'banp-name-not-default',
      undefined,
      ['metadata', 'name'],
      writtenName,
      'Only one baseline admin network policy with metadata.name="default" can be created in the cluster',
    );
  }
  let tier: Tier = kind === 'BaselineAdminNetworkPolicy' ? 'Baseline' : 'Admin';
  let priority = BANP_PRIORITY;
  let subject: ClusterSubject | undefined;
  const rules: Record<Direction, ClusterRule[]> = { ingress: [], egress: [] };
  if (requireField(pr, obj, 'spec', [])) {
    const spec = getObject(pr, obj['spec'], ['spec']) ?? {};
    checkKnownFields(pr, spec, ['spec'], d.specFields);
    if (kind === 'ClusterNetworkPolicy') tier = enumField<Tier>(pr, spec, 'tier', ['spec'], ['Admin', 'Baseline'], 'unsupported-tier') ?? tier;
    if (kind !== 'BaselineAdminNetworkPolicy' && requireField(pr, spec, 'priority', ['spec'])) {
      priority = boundedInteger(pr, spec['priority'], ['spec', 'priority'], 0, 1000, 'priority-out-of-range') ?? 0;
    }
    if (requireField(pr, spec, 'subject', ['spec'])) subject = validateSubject(pr, spec['subject'], ['spec', 'subject'], d);
    for (const direction of ['ingress', 'egress'] as const) {
      (boundedList(pr, spec, direction, ['spec'], { max: d.maxItems }) ?? []).forEach((raw, i) => {
        const rule = validateRule(pr, raw, ['spec', direction, i], direction, d);
        if (rule) rules[direction].push(rule);
      });
    }
  }
  return {
    kind,
    name: meta.name,
    tier,
    priority,
    subject: subject ?? { kind: 'namespaces', namespaceSelector: EMPTY_SELECTOR },
    ingress: rules.ingress,
    egress: rules.egress,
  };
}
