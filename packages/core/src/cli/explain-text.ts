/** Human-readable explanations: the one place an explanation's data becomes sentences. */
import type { IPAddress } from '../ip/address.js';
import type { ClusterIndex } from '../model/cluster-index.js';
import type { DirectionExplanation, Explanation, LabelMiss, PeerMiss, PeerMisses, PortMiss, PortMisses, RuleMiss, RuleRef } from '../model/flow.js';

const peersField = (d: string): string => (d === 'ingress' ? 'from' : 'to');

export function ruleRefText(r: RuleRef): string {
  const peer = r.peerIndex === null ? `any ${r.direction === 'ingress' ? 'source' : 'destination'}` : `${peersField(r.direction)}[${r.peerIndex}]`;
  const port = r.portIndex === null ? 'any port' : `ports[${r.portIndex}]`;
  return `${r.policy} ${r.direction}[${r.ruleIndex}] (${peer}, ${port})`;
}

export function directionText(d: DirectionExplanation): string[] {
  const who = d.endpoint ?? 'not a pod';
  const head = `${d.direction.padEnd(7)} (${who}): `;
  switch (d.reason) {
    case 'not-a-pod':
      return [`${head}no policy applies: this end is not a pod`];
    case 'no-policy':
      return [`${head}not isolated: no policy selects the pod for ${d.direction}`];
    case 'self':
      return [`${head}allowed: a pod may always reach itself`];
    case 'reply':
      return [`${head}allowed: reply on an established connection`];
    case 'icmpv6-nd':
      return [`${head}allowed: ICMPv6 neighbour discovery (--allow-icmpv6-nd)`];
    case 'local-node':
      return [`${head}allowed: ${d.direction === 'ingress' ? 'from' : 'to'} the pod's own node (isolated by ${d.isolatedBy.join(', ')})`];
    case 'rule':
      return [`${head}allowed by ${d.allowedBy.map(ruleRefText).join('; ')}`];
    case 'no-rule-matched':
      return [
        `${head}DENIED: isolated by ${d.isolatedBy.join(', ')} and no ${d.direction} rule allows it`,
        ...d.rejected.map((m) => `    - ${ruleMissText(m)}`),
      ];
    case 'admin-rule':
    case 'baseline-rule':
      // Rendered with the tier chain (cluster-scoped policies); placeholder wording until then.
      return [`${head}${d.decision}`];
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
  const who = p.pod ? `${p.pod} (${p.address})` : p.address;
  const why = p.misses.map((m, i) => `${field}[${i}] ${peerMissText(m)}`).join(', ');
  return `${p.side} ${who} matches none of its ${p.misses.length} peer(s): ${why}`;
}

function peerMissText(m: PeerMiss): string {
  switch (m.kind) {
    case 'outside-block':
      return `is ipBlock ${m.cidr}, which does not contain it`;
    case 'in-except':
      return `is ipBlock ${m.cidr} except ${m.except}, which contains it`;
    case 'pod-or-node-address':
      return `is ipBlock ${m.cidr}, which never matches pod or node addresses (--ipblock-excludes-pods)`;
    case 'not-a-pod':
      return 'selects pods, and this address is not a pod';
    case 'other-namespace':
      return `selects pods in ${m.policyNamespace} only (no namespaceSelector), and the pod is in ${m.namespace}`;
    case 'namespace-labels':
      return `namespaceSelector: namespace ${m.namespace} ${labelMissText(m.label)}`;
    case 'pod-labels':
      return `podSelector: ${labelMissText(m.label)}`;
  }
}

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
  if (m.resolved === null) return `${m.port}: the destination is not a pod`;
  return m.resolved.length === 0 ? `${m.port}: not a port of the destination` : `${m.port} = ${m.resolved.join(', ')} on the destination`;
}

export function explanationText(e: Explanation, labels: { src: string; dst: string }): string {
  const what = e.port !== undefined ? `${e.protocol}/${e.port}` : e.protocol;
  return [`${labels.src} -> ${labels.dst} ${what}: ${e.allowed ? 'ALLOWED' : 'DENIED'}`, ...directionText(e.egressDetail).map((l) => `  ${l}`), ...directionText(e.ingressDetail).map((l) => `  ${l}`)].join('\n');
}

/** `ns/pod (ip)`, `node name (ip)` or the bare IP. */
export function endpointText(index: ClusterIndex, ipText: string, ip: IPAddress): string {
  const pod = index.podByIP(ip);
  if (pod) return `${pod.namespace}/${pod.name} (${ipText})`;
  const node = index.nodeByIP(ip);
  return node ? `node ${node} (${ipText})` : ipText;
}
