/**
 * Containment proved from the manifests alone (no pods needed): whether every pod a selector
 * matches is matched by another, whether one cluster-scoped peer or port entry covers
 * another. Each answer is sound (true only when containment holds for any pods, namespaces
 * and nodes a cluster could have) and may miss containments that need reasoning across
 * several terms; the checks that use it report only what is proved.
 */
import { cidrContains } from '../../ip/cidr.js';
import { domainMatches } from '../../model/cluster-match.js';
import type { ClusterPeer, ClusterPort, ClusterSubject, PolicyProtocol, Selector, SelectorRequirement } from '../../model/types.js';
import { EMPTY_SELECTOR } from '../../model/selector.js';

/** What `inner`'s terms say about `key`: a fixed value, a set of possible values, present, absent. */
function implied(inner: Selector, key: string): { values?: readonly string[]; present: boolean; absent: boolean; notIn: readonly string[] } {
  let values: readonly string[] | undefined;
  let present = false;
  let absent = false;
  const notIn: string[] = [];
  if (Object.hasOwn(inner.matchLabels, key)) {
    values = [inner.matchLabels[key]!];
    present = true;
  }
  for (const r of inner.matchExpressions) {
    if (r.key !== key) continue;
    if (r.operator === 'In') {
      values = values ? values.filter((v) => r.values.includes(v)) : r.values;
      present = true;
    } else if (r.operator === 'Exists') present = true;
    else if (r.operator === 'DoesNotExist') absent = true;
    else notIn.push(...r.values);
  }
  return { ...(values && { values }), present, absent, notIn };
}

/** Whether every label set `inner` matches satisfies `r`. */
function requirementImplied(inner: Selector, r: SelectorRequirement): boolean {
  const k = implied(inner, r.key);
  switch (r.operator) {
    case 'In':
      return k.values?.every((v) => r.values.includes(v)) === true;
    case 'NotIn':
      return k.absent || k.values?.every((v) => !r.values.includes(v)) === true || r.values.every((v) => k.notIn.includes(v));
    case 'Exists':
      return k.present;
    case 'DoesNotExist':
      return k.absent;
  }
}

/** Whether every label set `inner` matches is matched by `outer` (outer's terms each follow from inner's). */
export function selectorWithin(inner: Selector, outer: Selector): boolean {
  for (const key in outer.matchLabels) {
    if (!requirementImplied(inner, { key, operator: 'In', values: [outer.matchLabels[key]!] })) return false;
  }
  return outer.matchExpressions.every((r) => requirementImplied(inner, r));
}

/** A namespaces or pods selection as (namespaces, pods); a namespaces one selects every pod. */
type PodSet = { readonly namespaceSelector: Selector; readonly podSelector: Selector };
const podSet = (s: ClusterSubject | Extract<ClusterPeer, { kind: 'namespaces' | 'pods' }>): PodSet =>
  s.kind === 'pods' ? s : { namespaceSelector: s.namespaceSelector, podSelector: EMPTY_SELECTOR };

/** Whether every pod `inner` selects, `outer` selects too. */
export function subjectWithin(inner: ClusterSubject, outer: ClusterSubject): boolean {
  const i = podSet(inner);
  const o = podSet(outer);
  return selectorWithin(i.namespaceSelector, o.namespaceSelector) && selectorWithin(i.podSelector, o.podSelector);
}

/** Whether two subjects surely share a pod whenever the narrower one selects any: one contains the other. */
export const subjectsNest = (a: ClusterSubject, b: ClusterSubject): boolean => subjectWithin(a, b) || subjectWithin(b, a);

/** Whether `peers` hold `networks` covering every IPv4 and every IPv6 address (any addressed end). */
function coversEveryAddress(peers: readonly ClusterPeer[]): boolean {
  const all = (family: 4 | 6): boolean => peers.some((p) => p.kind === 'networks' && p.networks.some((c) => c.family === family && c.prefix === 0));
  return all(4) && all(6);
}

/**
 * Whether every remote end `inner` matches is matched by one of `outer` (the peers of one
 * rule). Pods and nodes are covered by networks only when those hold every address of both
 * families; a `networks` entry must sit inside one outer entry.
 */
export function peerWithin(inner: ClusterPeer, outer: readonly ClusterPeer[]): boolean {
  if (inner.kind !== 'networks' && inner.kind !== 'unknown' && coversEveryAddress(outer)) return true;
  switch (inner.kind) {
    case 'namespaces':
    case 'pods': {
      const i = podSet(inner);
      return outer.some(
        (o) =>
          (o.kind === 'namespaces' || o.kind === 'pods') &&
          selectorWithin(i.namespaceSelector, podSet(o).namespaceSelector) &&
          selectorWithin(i.podSelector, podSet(o).podSelector),
      );
    }
    case 'nodes':
      return outer.some((o) => o.kind === 'nodes' && selectorWithin(inner.nodeSelector, o.nodeSelector));
    case 'networks':
      return inner.networks.every((c) =>
        outer.some((o) => o.kind === 'networks' && o.networks.some((n) => cidrContains(n, { family: c.family, value: c.base }) && n.prefix <= c.prefix)),
      );
    case 'domainNames':
      // `*.a.x` is inside `*.x`; an exact name inside a pattern matching it.
      return inner.domainNames.every((d) =>
        outer.some(
          (o) =>
            o.kind === 'domainNames' &&
            o.domainNames.some(
              (pattern) => domainMatches(pattern, d.startsWith('*.') ? `x${d.slice(1)}` : d) && (!d.startsWith('*.') || pattern.startsWith('*.')),
            ),
        ),
      );
    case 'unknown':
      return false;
  }
}

/** Whether `ranges` (merged) cover every port from `start` to `end`. */
function rangesCover(ranges: readonly { start: number; end: number }[], start: number, end: number): boolean {
  let next = start;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.start > next) break;
    next = Math.max(next, r.end + 1);
    if (next > end) return true;
  }
  return next > end;
}

const rangesOf = (ports: readonly ClusterPort[], protocol: PolicyProtocol) =>
  ports.flatMap((p) => (p.kind === 'range' && p.protocol === protocol ? [{ start: p.start, end: p.end }] : []));

/**
 * Whether every flow `inner` matches (a port entry, or `all`: a rule without ports, ICMP
 * included) is matched by the port list `outer` (empty: all traffic).
 */
export function portWithin(inner: ClusterPort | 'all', outer: readonly ClusterPort[]): boolean {
  if (outer.length === 0) return true;
  if (inner === 'all') return false;
  if (inner.kind === 'range') return rangesCover(rangesOf(outer, inner.protocol), inner.start, inner.end);
  return (
    outer.some((o) => o.kind === 'named' && o.name === inner.name) ||
    (['TCP', 'UDP', 'SCTP'] as const).every((protocol) => rangesCover(rangesOf(outer, protocol), 1, 65535))
  );
}

/** Whether two port lists surely share a flow: one entry of either inside the other list. */
export function portsOverlap(a: readonly ClusterPort[], b: readonly ClusterPort[]): boolean {
  const entries = (ports: readonly ClusterPort[]): (ClusterPort | 'all')[] => (ports.length === 0 ? ['all'] : [...ports]);
  return entries(a).some((p) => portWithin(p, b)) || entries(b).some((p) => portWithin(p, a));
}

/** Whether two peer lists surely share a remote end: a peer of either inside the other list. */
export const peersOverlap = (a: readonly ClusterPeer[], b: readonly ClusterPeer[]): boolean =>
  a.some((p) => peerWithin(p, b)) || b.some((p) => peerWithin(p, a));
