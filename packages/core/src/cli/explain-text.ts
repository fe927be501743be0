/** Human-readable explanations: the one place an explanation's data becomes sentences. */
import { stringify } from 'yaml';
import type { IPAddress } from '../ip/address.js';
import type { ClusterIndex } from '../model/cluster-index.js';
import { NAMESPACE_NAME_LABEL } from '../load/workloads.js';
import type {
  ClusterRuleRef,
  DirectionExplanation,
  Explanation,
  LabelMiss,
  PeerMiss,
  PeerMisses,
  PortMiss,
  PortMisses,
  RuleMiss,
  RuleRef,
} from '../model/flow.js';
import type { LabelledObject, ManifestFragment, SuggestedChange, Suggestion, SuggestionBasis } from '../model/suggestion.js';
import type { Direction } from '../model/types.js';

const peersField = (d: string): string => (d === 'ingress' ? 'from' : 'to');

export function ruleRefText(r: RuleRef): string {
  const peer = r.peerIndex === null ? `any ${r.direction === 'ingress' ? 'source' : 'destination'}` : `${peersField(r.direction)}[${r.peerIndex}]`;
  const port = r.portIndex === null ? 'any port' : `ports[${r.portIndex}]`;
  return `${r.policy} ${r.direction}[${r.ruleIndex}] (${peer}, ${port})`;
}

/**
 * A cluster-scoped rule as explanations name it: its policy and its name when it has one
 * (`cnp/allow-dns-first rule "pass-dns"`), else its index (`cnp/guard egress[0]`).
 */
export function clusterRuleText(r: ClusterRuleRef): string {
  return r.ruleName !== null ? `${r.policy} rule ${JSON.stringify(r.ruleName)}` : `${r.policy} ${r.direction}[${r.ruleIndex}]`;
}

/** Which peer and which protocols/ports entry of a cluster-scoped rule matched (v1alpha1 calls the list `ports`). */
function clusterMatchText(r: ClusterRuleRef): string {
  const ports = r.policy.startsWith('cnp/') ? 'protocols' : 'ports';
  return `${peersField(r.direction)}[${r.peerIndex}], ${r.portIndex === null ? 'all traffic' : `${ports}[${r.portIndex}]`}`;
}

const TIER_TITLE = { admin: 'Admin', baseline: 'Baseline' } as const;

/** One tier's part of the chain: its Pass, its decision, or that none of its rules matched. */
function tierText(d: DirectionExplanation, tier: 'admin' | 'baseline'): string {
  const title = TIER_TITLE[tier];
  const taken = d.clusterRules.find((r) => r.tier === tier);
  if (!taken) return `${title}: no rule matches`;
  if (taken.action === 'Pass') return `${title} pass (${clusterRuleText(taken)})`;
  return `${title}: ${taken.action === 'Accept' ? 'allowed' : 'DENIED'} by ${clusterRuleText(taken)} (${clusterMatchText(taken)})`;
}

/** What NetworkPolicy alone says, once the endpoint step has passed (the text before tiers existed). */
function networkPolicyText(d: DirectionExplanation): string {
  switch (d.reason) {
    case 'local-node':
      return `allowed: ${d.direction === 'ingress' ? 'from' : 'to'} the pod's own node (isolated by ${d.isolatedBy.join(', ')})`;
    case 'rule':
      return `allowed by ${d.allowedBy.map(ruleRefText).join('; ')}`;
    case 'no-rule-matched':
      return `DENIED: isolated by ${d.isolatedBy.join(', ')} and no ${d.direction} rule allows it`;
    default:
      return `not isolated: no policy selects the pod for ${d.direction}`;
  }
}

/**
 * The chain of a direction some cluster-scoped policy selects, one part per tier taken, e.g.
 * `Admin pass (cnp/allow-dns-first rule "pass-dns") → NetworkPolicy: DENIED: isolated by ...`.
 */
function tierChainText(d: DirectionExplanation): string {
  const took = (step: string): boolean => d.steps.some((s) => s.step === step);
  const parts: string[] = [];
  if (took('admin')) parts.push(tierText(d, 'admin'));
  if (d.reason === 'admin-rule') return parts.join(' → ');
  if (d.isolatedBy.length > 0) parts.push(`NetworkPolicy: ${networkPolicyText(d)}`);
  else parts.push('NetworkPolicy: not isolated');
  if (took('baseline')) parts.push(tierText(d, 'baseline'));
  if (d.reason === 'no-policy') parts.push('no tier decides: allowed');
  return parts.join(' → ');
}

/**
 * The policies whose order decided where upstream leaves it to the implementation (same tier,
 * same priority, rules matching this flow), e.g. `cnp/a and cnp/b have the same priority 10: ...`.
 */
export function tiesText(d: DirectionExplanation): string | undefined {
  if (d.ties.length === 0) return undefined;
  const order = 'order implementation-defined (netpol takes them by kind, then name)';
  const [only, ...more] = d.clusterRules;
  if (only && more.length === 0) return `${[only.policy, ...d.ties].join(' and ')} have the same priority ${only.priority}: ${order}`;
  // A Pass in each tier: the ties do not say which of the two they share a priority with.
  return `${d.ties.join(' and ')} share a tier and priority with ${d.clusterRules.map((r) => `${r.policy} (${TIER_TITLE[r.tier]} ${r.priority})`).join(' or ')}: ${order}`;
}

export function directionText(d: DirectionExplanation): string[] {
  const who = d.endpoint ?? 'not a pod';
  const tied = tiesText(d);
  return [
    `${d.direction.padEnd(7)} (${who}): ${decisionText(d)}`,
    ...(d.reason === 'no-rule-matched' ? d.rejected.map((m) => `    - ${ruleMissText(m)}`) : []),
    ...(tied ? [`    ! ${tied}`] : []),
  ];
}

function decisionText(d: DirectionExplanation): string {
  // A direction some Admin or Baseline policy selects: the chain across the tiers.
  if (d.steps.some((s) => s.step === 'admin' || s.step === 'baseline')) return tierChainText(d);
  switch (d.reason) {
    case 'not-a-pod':
      return 'no policy applies: this end is not a pod';
    case 'self':
      return 'allowed: a pod may always reach itself';
    case 'reply':
      return 'allowed: reply on an established connection';
    case 'icmpv6-nd':
      return 'allowed: ICMPv6 neighbour discovery (--allow-icmpv6-nd)';
    default:
      return networkPolicyText(d);
  }
}

/** Why one candidate rule did not allow the flow: which peer failed and why, which port. */
export function ruleMissText(m: RuleMiss): string {
  if (m.ruleIndex === null) return `${m.policy} has no ${m.direction} rules: it only isolates`;
  const parts: string[] = [];
  if (m.peers) parts.push(peerMissesText(m.peers, peersField(m.direction)));
  if (m.ports) parts.push(portMissesText(m.ports));
  return `${m.policy} ${m.direction}[${m.ruleIndex}]: ${parts.join('; ')}`;
}

function peerMissesText(p: PeerMisses, field: string): string {
  const who = p.pod ? (p.address ? `${p.pod} (${p.address})` : `${p.pod} (no address)`) : p.address;
  const why = p.misses.map((m, i) => `${field}[${i}] ${peerMissText(m)}`).join(', ');
  return `${p.side} ${who} matches none of its ${p.misses.length} peer(s): ${why}`;
}

function peerMissText(m: PeerMiss): string {
  switch (m.kind) {
    case 'outside-block':
      return `is ipBlock ${m.cidr}, which does not contain it`;
    case 'in-except':
      return `is ipBlock ${m.cidr}, and its except[${m.exceptIndex}] ${m.except} contains it`;
    case 'pod-or-node-address':
      return `is ipBlock ${m.cidr}, which never matches pod or node addresses (--ipblock-excludes-pods)`;
    case 'no-address':
      return `is ipBlock ${m.cidr}, which never matches a pod without an address`;
    case 'not-a-pod':
      return 'selects pods, and this address is not a pod';
    case 'other-namespace':
      return `selects pods in ${m.policyNamespace} only (no namespaceSelector), and the pod is in ${m.namespace}`;
    case 'namespace-labels':
      return `namespaceSelector: namespace ${m.namespace} ${labelMissText(m.label)}${byNameMistake(m.namespace, m.label) ? byNameText(m.namespace, m.label) : ''}`;
    case 'pod-labels':
      return `podSelector: ${labelMissText(m.label)}`;
  }
}

/**
 * The classic mistake: a namespaceSelector on a label such as `name: x` that wants the
 * namespace's own name, while namespaces carry their name only as kubernetes.io/metadata.name
 * (set by the API server) unless someone labelled them.
 */
export function byNameMistake(namespace: string, l: LabelMiss): boolean {
  return l.key !== NAMESPACE_NAME_LABEL && l.actual === null && (l.operator === 'Equals' || l.operator === 'In') && l.values.includes(namespace);
}

const byNameText = (namespace: string, l: LabelMiss): string =>
  ` (the classic mistake: a namespace carries its name as ${NAMESPACE_NAME_LABEL}=${namespace}, set by the API server, not as ${l.key}; select on that)`;

function labelMissText(l: LabelMiss): string {
  const has = l.actual === null ? `has no ${l.key} label` : `has ${l.key}=${l.actual}`;
  switch (l.operator) {
    case 'Equals':
      return `needs ${l.key}=${l.values[0]}, ${has}`;
    case 'In':
      return `needs ${l.key} in (${l.values.join(', ')}), ${has}`;
    case 'NotIn':
      return `needs ${l.key} not in (${l.values.join(', ')}), ${has}`;
    case 'Exists':
      return `needs a ${l.key} label`;
    case 'DoesNotExist':
      return `needs no ${l.key} label, ${has}`;
  }
}

function portMissesText(p: PortMisses): string {
  const what = p.port !== null ? `${p.protocol}/${p.port}` : p.protocol;
  return `${what} matches none of its ports (${p.misses.map(portMissText).join(', ')})`;
}

function portMissText(m: PortMiss): string {
  if (m.kind !== 'named') return m.port;
  if (m.resolved !== null && m.resolved.length > 0) return `${m.port} = ${m.resolved.join(', ')} on the destination`;
  const name = m.port.slice(m.port.indexOf(' ') + 1);
  const u = m.unresolved ?? { reason: m.resolved === null ? 'not-a-pod' : 'no-such-port' };
  switch (u.reason) {
    case 'not-a-pod':
      return `${m.port}: the destination is not a pod, so it resolves to no port`;
    case 'no-such-port':
      return `${m.port}: the destination pod has no container port named ${name}`;
    case 'other-protocol':
      return `${m.port}: the destination pod has ${name} only as ${u.ports.join(', ')}`;
    case 'init-container':
      return `${m.port}: ${u.ports.join(', ')} on an init container of the destination, not counted (--ignore-init-container-ports)`;
  }
}

export function explanationText(e: Explanation, labels: { src: string; dst: string }): string {
  const what = e.port !== undefined ? `${e.protocol}/${e.port}` : e.protocol;
  return [
    `${labels.src} -> ${labels.dst} ${what}: ${e.allowed ? 'ALLOWED' : 'DENIED'}`,
    ...directionText(e.egressDetail).map((l) => `  ${l}`),
    ...directionText(e.ingressDetail).map((l) => `  ${l}`),
    ...(e.ignoring ? [`  ${ignoringText(e.ignoring)}`] : []),
    ...(e.suggestions && !e.allowed ? suggestionsText(e.suggestions) : []),
  ].join('\n');
}

/** A manifest fragment on one line, in YAML flow style (what to paste, as kubectl reads it). */
export const fragmentText = (f: ManifestFragment): string => stringify(f, { collectionStyle: 'flow', version: '1.1', lineWidth: 0 }).trimEnd();

const BASIS_TEXT: Readonly<Record<SuggestionBasis, (s: Suggestion) => string>> = {
  port: (s) => `${s.policy} ${s.direction}[${s.ruleIndex}] misses only the port`,
  peer: (s) => `${s.policy} ${s.direction}[${s.ruleIndex}] misses only the peer`,
  'peer-and-port': (s) => `${s.policy} ${s.direction}[${s.ruleIndex}] misses both peer and port`,
  'isolation-only': (s) => `${s.policy} has no ${s.direction} rules (it only isolates): a first rule`,
  'new-rule': (s) => `no rule of ${s.policy} comes close: a new rule`,
  'admin-deny': (s) =>
    `${s.policy} ${s.direction}[${s.ruleIndex}] is an Admin Deny: it decides before any NetworkPolicy, and neither a NetworkPolicy nor a lower-priority Accept can override it: an Accept ahead of it`,
  'baseline-deny': (s) =>
    `${s.policy} ${s.direction}[${s.ruleIndex}] is a Baseline Deny: it decides because no NetworkPolicy isolates the pod, and a lower-priority Baseline Accept cannot override it: an Accept ahead of it`,
};

const objectText = (o: LabelledObject): string => (o.kind === 'Pod' ? `Pod ${o.namespace}/${o.name}` : `Namespace ${o.name}`);

/** Where a pod's label lasts: its controller's pod template. */
const ownerNote = (o: LabelledObject): string => (o.owner ? ` (owned by ${o.owner.kind} ${o.owner.name}: change its pod template)` : '');

function changeText(c: SuggestedChange): string {
  const rule = (x: { policy: string; direction: Direction; ruleIndex: number }): string => `${x.policy} ${x.direction}[${x.ruleIndex}]`;
  switch (c.kind) {
    case 'add-port':
      return `add to ${rule(c)} ports: ${fragmentText(c.port)}`;
    case 'remove-except':
      return `remove ${c.except} from ${rule(c)} ${peersField(c.direction)}[${c.peerIndex}].ipBlock.except[${c.exceptIndex}]`;
    case 'add-peer':
      return `add to ${rule(c)} ${peersField(c.direction)}: ${fragmentText(c.peer)}`;
    case 'replace-peer':
      return `replace ${rule(c)} ${peersField(c.direction)}[${c.peerIndex}] with ${fragmentText(c.peer)}`;
    case 'add-rule':
      return `add to ${c.policy} ${c.direction}: ${fragmentText(c.rule)}`;
    case 'set-label':
      return `label ${objectText(c.object)} ${c.key}=${c.value}${c.replaces !== undefined ? ` (it has ${c.key}=${c.replaces})` : ''}${ownerNote(c.object)}`;
    case 'remove-label':
      return `remove label ${c.key} from ${objectText(c.object)}${ownerNote(c.object)}`;
    case 'insert-cluster-rule':
      return `insert into ${c.policy} ${c.direction} before rule ${c.before}: ${fragmentText(c.rule)}`;
  }
}

/** The suggestions of a denied flow, each labelled as one (nothing was applied). */
export function suggestionsText(suggestions: readonly Suggestion[]): string[] {
  if (suggestions.length === 0) return ['  suggestion: none found (no change netpol tried allows this flow)'];
  return suggestions.flatMap((s) => [`  suggestion (${s.direction}, not applied): ${BASIS_TEXT[s.basis](s)}`, ...s.changes.map((c) => `      ${changeText(c)}`)]);
}

/** The line every verdict, explanation and matrix prints when the cluster held objects of other policy APIs. */
export function ignoringText(ignoring: readonly string[]): string {
  return `partial: ignoring ${ignoring.length} object(s) of policy APIs netpol cannot evaluate (${ignoring.join(', ')}): they may change this verdict`;
}

/** `ns/pod (ip)`, `node name (ip)` or the bare IP. */
export function endpointText(index: ClusterIndex, ipText: string, ip: IPAddress): string {
  const pod = index.podByIP(ip);
  if (pod) return `${pod.namespace}/${pod.name} (${ipText})`;
  const node = index.nodeByIP(ip);
  return node ? `node ${node} (${ipText})` : ipText;
}
