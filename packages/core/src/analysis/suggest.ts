/**
 * Suggestions for a denied flow (model/suggestion.ts): per denying direction, the changes closest
 * to allowing it, read off the explanation's misses — the port a rule lacks, the except that
 * holds the address, the labels a selector wants, the peer to add, a first rule for a policy that
 * only isolates, an Accept before the cluster-scoped Deny that decided.
 *
 * Computed here, after any engine explained, from the explanation and the cluster: every engine's
 * explanation is the same (the differential and property suites check it), so suggestions are
 * the same by construction. Nothing is offered on faith: each candidate is applied to a copy of
 * the cluster and the flow judged again by the reference evaluator; only those that allow their
 * direction (without denying the other) are kept, cheapest first.
 */
import { bitsOf, unmapIPv4, type IPAddress } from '../ip/address.js';
import { cidrContains, formatCIDR, type CIDR } from '../ip/cidr.js';
import { clusterRule as clusterRuleDoc, peer as peerDoc, policyPort as portDoc, rule as ruleDoc, type Doc } from '../fuzz/to-yaml.js';
import { NAMESPACE_NAME_LABEL } from '../load/workloads.js';
import { isDenying, type DirectionExplanation, type Explanation, type Flow, type LabelMiss, type RuleMiss } from '../model/flow.js';
import { resolveOptions, type EvaluationOptions } from '../model/options.js';
import { protocolName } from '../model/protocol.js';
import { selectorMatches, selectorMisses } from '../model/selector.js';
import { subjectSelects } from '../model/cluster-match.js';
import type { LabelledObject, SuggestedChange, Suggestion, SuggestionBasis } from '../model/suggestion.js';
import {
  clusterPolicyKey,
  policyKey,
  type Cluster,
  type ClusterPeer,
  type ClusterPolicy,
  type ClusterRule,
  type Direction,
  type Labels,
  type NetworkPolicy,
  type Peer,
  type Pod,
  type PolicyPort,
  type PolicyProtocol,
  type Rule,
  type Selector,
} from '../model/types.js';
import { ReferenceEvaluator } from '../reference/evaluator.js';

/** How many suggestions each denying direction gets at most. */
export const SUGGESTIONS_PER_DIRECTION = 3;

/** How many candidates of one direction are checked at most (each check judges the flow on a changed cluster). */
const CANDIDATES_CHECKED = 24;

/**
 * What a change costs, so that the closest comes first: an edit of one term of an existing rule
 * (a port, an except, a selector key) is cheapest, a missing label added to (or one removed
 * from) a Pod or Namespace next (other policies see it), then a new peer, then a label that
 * replaces a value (REPLACED_LABEL_COST) and a new rule.
 */
const COST: Readonly<Record<SuggestedChange['kind'], number>> = {
  'add-port': 1,
  'remove-except': 1,
  'replace-peer': 1,
  'set-label': 2,
  'remove-label': 2,
  'add-peer': 3,
  'add-rule': 4,
  'insert-cluster-rule': 4,
};

/** A suggestion with how to apply it to the model (what the check judges). */
interface Candidate {
  readonly suggestion: Suggestion;
  readonly apply: (c: Cluster) => Cluster;
  /** Tried only when no other candidate of its direction holds (a new rule next to rules that come close). */
  readonly fallback?: boolean;
}

/** One model edit and the change it shows. */
interface Edit {
  readonly change: SuggestedChange;
  readonly apply: (c: Cluster) => Cluster;
}

/** The flow's ends as the reference evaluator sees them. */
interface Ends {
  readonly cluster: Cluster;
  readonly flow: Flow;
  readonly ref: ReferenceEvaluator;
  readonly addresses: Readonly<Record<'src' | 'dst', IPAddress>>;
  readonly pods: Readonly<Record<'src' | 'dst', Pod | undefined>>;
  readonly ipBlockMatchesPods: boolean;
}

/**
 * The suggestions for `flow` in `cluster` (empty when it is allowed, or nothing found holds):
 * per denying direction at most SUGGESTIONS_PER_DIRECTION, cheapest first, each checked against
 * the reference evaluator (model/suggestion.ts `Suggestion`). `explanation`: the flow's
 * explanation by any engine (the reference's when absent). Throws what `explain` throws.
 */
export function suggestChanges(cluster: Cluster, flow: Flow, options: EvaluationOptions = {}, explanation?: Explanation): Suggestion[] {
  const ref = new ReferenceEvaluator(cluster, options);
  const e = explanation ?? ref.explain(flow);
  if (e.allowed) return [];
  const resolved = resolveOptions(options);
  const addr = (a: IPAddress): IPAddress => (resolved.ipv4MappedAsIPv4 ? unmapIPv4(a) : a);
  const addresses = { src: addr(flow.src), dst: addr(flow.dst) };
  const ends: Ends = {
    cluster,
    flow,
    ref,
    addresses,
    pods: { src: ref.index.podByIP(addresses.src), dst: ref.index.podByIP(addresses.dst) },
    ipBlockMatchesPods: resolved.ipBlockMatchesPods,
  };
  const judge = (c: Cluster) => new ReferenceEvaluator(c, options).verdict(flow);
  const lists: Candidate[][] = [];
  for (const detail of [e.egressDetail, e.ingressDetail]) {
    if (!isDenying(detail.decision)) continue;
    const other = detail.direction === 'egress' ? e.ingress : e.egress;
    const holds = (c: Candidate): boolean => {
      try {
        const changed = c.apply(cluster);
        if (!sameSubjects(cluster, changed, c.suggestion)) return false;
        const v = judge(changed);
        return !isDenying(v[detail.direction]) && (isDenying(other) || !isDenying(v[detail.direction === 'egress' ? 'ingress' : 'egress']));
      } catch {
        return false; // a change the model cannot hold (none is expected): not offered
      }
    };
    const all = candidates(detail, ends);
    const pick = (cs: readonly Candidate[]): Candidate[] => {
      const kept: Candidate[] = [];
      for (const c of cs.slice(0, CANDIDATES_CHECKED)) if (kept.length < SUGGESTIONS_PER_DIRECTION && holds(c)) kept.push(c);
      return kept;
    };
    const found = pick(all.filter((c) => !c.fallback));
    lists.push(found.length > 0 ? found : pick(all.filter((c) => c.fallback)));
  }
  if (lists.length === 2 && lists[0]!.length > 0 && lists[1]!.length > 0) firstPairTogether(lists as [Candidate[], Candidate[]], cluster, judge);
  return lists.flat().map((c) => c.suggestion);
}

/** `e` with `suggestions` (suggestChanges) when it is a denial; unchanged when allowed. */
export function withSuggestions(cluster: Cluster, flow: Flow, e: Explanation, options: EvaluationOptions = {}): Explanation {
  return e.allowed ? e : { ...e, suggestions: suggestChanges(cluster, flow, options, e) };
}

/**
 * Whether the relabelled objects' pods are the subjects of the same policies after the change:
 * a label is suggested to make a peer match, never to take a pod out of (or into) a policy's
 * subjects, which would open (or close) far more than this flow.
 */
function sameSubjects(before: Cluster, after: Cluster, s: Suggestion): boolean {
  return s.changes.every((c) => {
    if (c.kind !== 'set-label' && c.kind !== 'remove-label') return true;
    const o = c.object;
    const namespace = o.kind === 'Pod' ? o.namespace! : o.name;
    const name = o.kind === 'Pod' ? o.name : undefined;
    return subjectsOf(before, namespace, name) === subjectsOf(after, namespace, name);
  });
}

/** The policies (NetworkPolicy and cluster-scoped) selecting each pod of `namespace` (only `name`, when given), as one string. */
function subjectsOf(c: Cluster, namespace: string, name: string | undefined): string {
  const nsLabels = c.namespaces.find((n) => n.name === namespace)?.labels ?? { [NAMESPACE_NAME_LABEL]: namespace };
  const pods = c.pods.filter((p) => p.namespace === namespace && (name === undefined || p.name === name));
  return JSON.stringify(
    pods.map((p) => [
      ...c.policies.filter((np) => np.namespace === namespace && selectorMatches(np.podSelector, p.labels)).map(policyKey),
      ...(c.clusterPolicies ?? []).filter((cp) => subjectSelects(cp.subject, p, nsLabels)).map(clusterPolicyKey),
    ]),
  );
}

/**
 * Both directions deny: the pair of one egress and one ingress suggestion, cheapest first, that
 * together allow the flow goes first in each list (two changes found apart may clash: one relabels
 * the pod the other's rule selects). When no pair does, the ingress list is dropped rather than
 * offer halves that do not add up.
 */
function firstPairTogether(lists: [Candidate[], Candidate[]], cluster: Cluster, judge: (c: Cluster) => { allowed: boolean }): void {
  const [a, b] = lists;
  const pairs = a.flatMap((x, i) => b.map((y, j) => [i, j] as const)).sort((p, q) => p[0] + p[1] - (q[0] + q[1]));
  for (const [i, j] of pairs) {
    let together = false;
    try {
      together = judge(b[j]!.apply(a[i]!.apply(cluster))).allowed;
    } catch {
      together = false;
    }
    if (together) {
      a.unshift(...a.splice(i, 1));
      b.unshift(...b.splice(j, 1));
      return;
    }
  }
  b.length = 0;
}

/** A label that replaces a value costs more than a new peer: the pod or namespace stops being what it was (to other selectors, Services, its controller). */
const REPLACED_LABEL_COST = 4;

const cost = (s: Suggestion): number => s.changes.reduce((n, c) => n + (c.kind === 'set-label' && c.replaces !== undefined ? REPLACED_LABEL_COST : COST[c.kind]), 0);

/** Every candidate for one denying direction, cheapest first (stable: rule order within a cost). */
function candidates(d: DirectionExplanation, ends: Ends): Candidate[] {
  const out: Candidate[] = [];
  if (d.decision === 'denied') for (const m of d.rejected) out.push(...ruleCandidates(m, ends));
  else {
    const deny = d.clusterRules[d.clusterRules.length - 1];
    const policy = deny && (ends.cluster.clusterPolicies ?? []).find((p) => clusterPolicyKey(p) === deny.policy);
    if (deny && policy) {
      const c = acceptBefore(policy, d.direction, deny.ruleIndex, ends);
      if (c) out.push(c);
    }
  }
  return out.map((c, i) => ({ c, i })).sort((x, y) => cost(x.c.suggestion) - cost(y.c.suggestion) || x.i - y.i).map((x) => x.c);
}

const other = (d: Direction): 'src' | 'dst' => (d === 'egress' ? 'dst' : 'src');

/**
 * The flow's port as a NetworkPolicy port entry; undefined for a flow without one (ICMP). Port 0
 * (which no manifest can name) gets the protocol's entry without a number: every port.
 */
function flowPort(flow: Flow): PolicyPort | undefined {
  const name = protocolName(flow.protocol);
  if (flow.port === undefined || (name !== 'TCP' && name !== 'UDP' && name !== 'SCTP')) return undefined;
  return flow.port >= 1 ? { protocol: name, port: flow.port } : { protocol: name };
}

const hostCIDR = (a: IPAddress): CIDR => ({ family: a.family, base: a.value, prefix: bitsOf(a.family) });

/**
 * Labels controllers put on each pod of a rollout or replica (a hash, a uid, an ordinal): a peer
 * selecting them would stop matching at the next rollout, so a pod is selected without them
 * (with its siblings, as a workload's pods should be).
 */
const CONTROLLER_LABELS: ReadonlySet<string> = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
]);

/** A pod's labels as a peer selects it: without CONTROLLER_LABELS. */
const podSelector = (pod: Pod): Selector => labelsSelector(Object.fromEntries(Object.entries(pod.labels).filter(([k]) => !CONTROLLER_LABELS.has(k))));
const labelsSelector = (labels: Labels): Selector => ({ matchLabels: { ...labels }, matchExpressions: [] });

/** A selector for namespace `ns` alone: its kubernetes.io/metadata.name, else all its labels. */
function namespaceSelector(ns: string, ends: Ends): Selector {
  const labels = ends.ref.index.namespaceLabels(ns);
  const name = labels[NAMESPACE_NAME_LABEL];
  return labelsSelector(name !== undefined ? { [NAMESPACE_NAME_LABEL]: name } : labels);
}

/**
 * A peer of a policy in `policyNamespace` matching exactly the remote end: the pod by its labels
 * (and its namespace, when another), else the address as a /32 or /128; undefined when no
 * NetworkPolicy peer can (a node's address with ipBlocks excluding pods and nodes).
 */
function exactPeer(direction: Direction, policyNamespace: string, ends: Ends): Peer | undefined {
  const pod = ends.pods[other(direction)];
  if (pod) {
    return pod.namespace === policyNamespace
      ? { kind: 'selector', podSelector: podSelector(pod) }
      : { kind: 'selector', namespaceSelector: namespaceSelector(pod.namespace, ends), podSelector: podSelector(pod) };
  }
  const address = ends.addresses[other(direction)];
  if (!ends.ipBlockMatchesPods && ends.ref.index.nodeByIP(address) !== undefined) return undefined;
  return { kind: 'ipBlock', ipBlock: { cidr: hostCIDR(address), except: [] } };
}

const peersField = (d: Direction): 'from' | 'to' => (d === 'ingress' ? 'from' : 'to');

/** `cluster` with NetworkPolicy `key` changed by `f`. */
const withPolicy =
  (key: string, f: (p: NetworkPolicy) => NetworkPolicy) =>
  (c: Cluster): Cluster => ({ ...c, policies: c.policies.map((p) => (policyKey(p) === key ? f(p) : p)) });

/** `cluster` with rule `i` of `direction` of NetworkPolicy `key` changed by `f`. */
const withRule = (key: string, direction: Direction, i: number, f: (r: Rule) => Rule) =>
  withPolicy(key, (p) => ({ ...p, [direction]: p[direction].map((r, j) => (j === i ? f(r) : r)) }));

/** The candidates one missed rule offers (m.ruleIndex null: a first rule for a policy that only isolates). */
function ruleCandidates(m: RuleMiss, ends: Ends): Candidate[] {
  const policy = ends.cluster.policies.find((p) => policyKey(p) === m.policy);
  if (!policy) return [];
  const where = `NetworkPolicy ${m.policy}`;
  const { direction } = m;
  const port = flowPort(ends.flow);
  const suggestion = (basis: SuggestionBasis, ruleIndex: number | null, edits: readonly Edit[]): Candidate => ({
    suggestion: { direction, basis, policy: m.policy, ruleIndex, changes: edits.map((x) => x.change) },
    apply: (c) => edits.reduce((acc, x) => x.apply(acc), c),
  });
  const newRule = (basis: SuggestionBasis): Candidate | undefined => {
    const peer = exactPeer(direction, policy.namespace, ends);
    if (!peer) return undefined;
    const rule: Rule = { peers: [peer], ports: port ? [port] : [] };
    const doc = safeDoc(() => ruleDoc(rule, peersField(direction), where));
    if (!doc) return undefined;
    const edit: Edit = {
      change: { kind: 'add-rule', policy: m.policy, direction, rule: doc },
      apply: withPolicy(m.policy, (p) => ({ ...p, [direction]: [...p[direction], rule] })),
    };
    return { ...suggestion(basis, null, [edit]), fallback: basis === 'new-rule' };
  };
  if (m.ruleIndex === null) return [newRule('isolation-only')].filter((c) => c !== undefined);
  const ruleIndex = m.ruleIndex;
  const rule = policy[direction][ruleIndex]!;
  let portEdits: Edit[] = [];
  if (!m.portMatched) {
    // A flow without a port (ICMP) is allowed only by a rule without ports: a new rule.
    if (!port) return [newRule('new-rule')].filter((c) => c !== undefined);
    portEdits = [
      {
        change: { kind: 'add-port', policy: m.policy, direction, ruleIndex, port: portDoc(port) },
        apply: withRule(m.policy, direction, ruleIndex, (r) => ({ ...r, ports: [...r.ports, port] })),
      },
    ];
  }
  const peerAlternatives = m.peerMatched ? [[]] : peerEdits(m, policy, rule, ends);
  const basis: SuggestionBasis = m.peerMatched ? 'port' : m.portMatched ? 'peer' : 'peer-and-port';
  const out = peerAlternatives.map((alt) => suggestion(basis, ruleIndex, [...portEdits, ...alt]));
  const fallback = newRule('new-rule');
  return fallback ? [...out, fallback] : out;
}

/** Builds a manifest fragment; undefined for what no manifest can say (an IPv4-mapped IPv6 block). */
function safeDoc(f: () => Doc): Doc | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

/** The ways to make one of the rule's peers match the remote end, each a list of edits. */
function peerEdits(m: RuleMiss, policy: NetworkPolicy, rule: Rule, ends: Ends): Edit[][] {
  const { direction } = m;
  const ruleIndex = m.ruleIndex!;
  const where = `NetworkPolicy ${m.policy}`;
  const remote = ends.addresses[other(direction)];
  const pod = ends.pods[other(direction)];
  const alternatives: Edit[][] = [];
  (m.peers?.misses ?? []).forEach((miss, peerIndex) => {
    const peer = rule.peers[peerIndex]!;
    if (miss.kind === 'in-except' && peer.kind === 'ipBlock') {
      // Every except holding the address goes (the miss names the first), highest index first so the others keep theirs.
      const holding = peer.ipBlock.except.flatMap((x, i) => (cidrContains(x, remote) ? [i] : [])).reverse();
      alternatives.push(
        holding.map((exceptIndex) => ({
          change: {
            kind: 'remove-except',
            policy: m.policy,
            direction,
            ruleIndex,
            peerIndex,
            exceptIndex,
            except: formatCIDR(peer.ipBlock.except[exceptIndex]!),
          },
          apply: withRule(m.policy, direction, ruleIndex, (r) => ({
            ...r,
            peers: r.peers.map((p, j) =>
              j === peerIndex && p.kind === 'ipBlock' ? { ...p, ipBlock: { ...p.ipBlock, except: p.ipBlock.except.filter((_, k) => k !== exceptIndex) } } : p,
            ),
          })),
        })),
      );
    }
    if ((miss.kind === 'namespace-labels' || miss.kind === 'pod-labels') && pod && peer.kind === 'selector') {
      if (miss.kind === 'namespace-labels' && peer.namespaceSelector) {
        const fixed = byNameSelector(peer.namespaceSelector, pod.namespace, miss.label);
        if (fixed) {
          const replaced: Peer = { ...peer, namespaceSelector: fixed };
          const doc = peerDoc(replaced, where);
          alternatives.push([
            {
              change: { kind: 'replace-peer', policy: m.policy, direction, ruleIndex, peerIndex, peer: doc },
              apply: withRule(m.policy, direction, ruleIndex, (r) => ({ ...r, peers: r.peers.map((p, j) => (j === peerIndex ? replaced : p)) })),
            },
          ]);
        }
      }
      const nsObject: LabelledObject = { kind: 'Namespace', name: pod.namespace };
      const podObject: LabelledObject = { kind: 'Pod', namespace: pod.namespace, name: pod.name, ...(pod.owner && { owner: { ...pod.owner } }) };
      const others = new Set(ends.cluster.namespaces.map((n) => n.name).filter((n) => n !== pod.namespace));
      const nsEdits = peer.namespaceSelector
        ? labelEdits(nsObject, selectorMisses(peer.namespaceSelector, ends.ref.index.namespaceLabels(pod.namespace)), others)
        : [];
      const podEdits = peer.podSelector ? labelEdits(podObject, selectorMisses(peer.podSelector, pod.labels)) : [];
      if (nsEdits && podEdits && nsEdits.length + podEdits.length > 0) alternatives.push([...nsEdits, ...podEdits]);
    }
    if (miss.kind === 'other-namespace' && pod && peer.kind === 'selector') {
      // Keep the peer (it still means this namespace) and add one for the pod's namespace.
      alternatives.push([addPeer(m, { ...peer, namespaceSelector: namespaceSelector(pod.namespace, ends) }, where)]);
    }
  });
  const exact = exactPeer(direction, policy.namespace, ends);
  const exactDoc = exact && safeDoc(() => peerDoc(exact, where));
  if (exact && exactDoc) alternatives.push([addPeer(m, exact, where)]);
  // The same edits reached two ways (two peers wanting the same label) are one alternative.
  const seen = new Set<string>();
  return alternatives.filter((a) => {
    const key = JSON.stringify(a.map((x) => x.change));
    return !seen.has(key) && (seen.add(key), true);
  });
}

function addPeer(m: RuleMiss, peer: Peer, where: string): Edit {
  return {
    change: { kind: 'add-peer', policy: m.policy, direction: m.direction, ruleIndex: m.ruleIndex!, peer: peerDoc(peer, where) },
    apply: withRule(m.policy, m.direction, m.ruleIndex!, (r) => ({ ...r, peers: [...r.peers, peer] })),
  };
}

/**
 * The `name: x` mistake fixed: the selector with the term that wants the namespace's name by
 * another key (a matchLabels entry, or an `In` expression) selecting kubernetes.io/metadata.name
 * instead; undefined when the miss is not that mistake.
 */
function byNameSelector(s: Selector, namespace: string, miss: LabelMiss): Selector | undefined {
  if (miss.key === NAMESPACE_NAME_LABEL || miss.actual !== null || !miss.values.includes(namespace)) return undefined;
  if (miss.operator === 'Equals') {
    const { [miss.key]: _, ...rest } = s.matchLabels;
    return { ...s, matchLabels: { ...rest, [NAMESPACE_NAME_LABEL]: namespace } };
  }
  if (miss.operator !== 'In') return undefined;
  return { ...s, matchExpressions: s.matchExpressions.map((r) => (r.key === miss.key && r.operator === 'In' ? { ...r, key: NAMESPACE_NAME_LABEL } : r)) };
}

/** The value an `Exists` requirement is satisfied with when the label is missing. */
const ANY_VALUE = 'true';

/**
 * The label edits that make `obj` pass every failed term (set for Equals/In/Exists, remove for
 * NotIn/DoesNotExist); undefined when one would change a namespace's kubernetes.io/metadata.name
 * (the API server keeps it equal to the name), or give a namespace the name of another one of
 * `otherNamespaces` as a value (`name: other` on this one: the selector means the other).
 */
function labelEdits(obj: LabelledObject, misses: readonly LabelMiss[], otherNamespaces: ReadonlySet<string> = new Set()): Edit[] | undefined {
  const wanted = new Map<string, { value: string | null; actual: string | null }>();
  for (const l of misses) {
    const value = l.operator === 'Equals' || l.operator === 'In' ? l.values[0]! : l.operator === 'Exists' ? ANY_VALUE : null;
    if (!wanted.has(l.key)) wanted.set(l.key, { value, actual: l.actual });
  }
  const values = [...wanted.values()].map((w) => w.value);
  if (obj.kind === 'Namespace' && (wanted.has(NAMESPACE_NAME_LABEL) || values.some((v) => v !== null && otherNamespaces.has(v)))) return undefined;
  return [...wanted].map(([key, { value, actual }]) => ({
    change:
      value === null
        ? { kind: 'remove-label', object: obj, key }
        : { kind: 'set-label', object: obj, key, value, ...(actual !== null && { replaces: actual }) },
    apply: relabel(obj, key, value),
  }));
}

/** `cluster` with label `key` of `obj` set to `value` (null: removed); a Namespace not in the cluster is added. */
function relabel(obj: LabelledObject, key: string, value: string | null) {
  const edit = (labels: Labels): Labels => {
    const { [key]: _, ...rest } = labels;
    return value === null ? rest : { ...rest, [key]: value };
  };
  return (c: Cluster): Cluster => {
    if (obj.kind === 'Pod') return { ...c, pods: c.pods.map((p) => (p.namespace === obj.namespace && p.name === obj.name ? { ...p, labels: edit(p.labels) } : p)) };
    const known = c.namespaces.some((n) => n.name === obj.name);
    const namespaces = known
      ? c.namespaces.map((n) => (n.name === obj.name ? { ...n, labels: edit(n.labels) } : n))
      : [...c.namespaces, { name: obj.name, labels: edit({ [NAMESPACE_NAME_LABEL]: obj.name }) }];
    return { ...c, namespaces };
  };
}

/**
 * An Accept rule for exactly this flow, inserted before the Deny rule that decided, in the same
 * policy: nothing evaluated after that Deny (a NetworkPolicy, a lower-priority Accept) can
 * override it. Undefined when no cluster-scoped peer names the remote end (an ingress source that
 * is not a pod).
 */
function acceptBefore(policy: ClusterPolicy, direction: Direction, before: number, ends: Ends): Candidate | undefined {
  const pod = ends.pods[other(direction)];
  let peer: ClusterPeer;
  if (pod) peer = { kind: 'pods', namespaceSelector: namespaceSelector(pod.namespace, ends), podSelector: podSelector(pod) };
  else if (direction === 'egress') peer = { kind: 'networks', networks: [hostCIDR(ends.addresses.dst)] };
  else return undefined;
  const port = flowPort(ends.flow);
  const rule: ClusterRule = {
    action: 'Accept',
    peers: [peer],
    // No ports (all traffic) for a flow without one, or on port 0, which no cluster-scoped port names.
    ports: typeof port?.port === 'number' ? [{ kind: 'range', protocol: port.protocol, start: port.port, end: port.port }] : [],
  };
  const key = clusterPolicyKey(policy);
  const doc = safeDoc(() => clusterRuleDoc(policy, rule, peersField(direction), key));
  if (!doc) return undefined;
  return {
    suggestion: {
      direction,
      basis: policy.tier === 'Admin' ? 'admin-deny' : 'baseline-deny',
      policy: key,
      ruleIndex: before,
      changes: [{ kind: 'insert-cluster-rule', policy: key, direction, before, rule: doc }],
    },
    apply: (c) => ({
      ...c,
      clusterPolicies: (c.clusterPolicies ?? []).map((p) =>
        clusterPolicyKey(p) === key ? { ...p, [direction]: [...p[direction].slice(0, before), rule, ...p[direction].slice(before)] } : p,
      ),
    }),
  };
}
