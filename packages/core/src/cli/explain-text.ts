/** Human-readable explanations. */
import type { IPAddress } from '../ip/address.js';
import type { ClusterIndex } from '../model/cluster-index.js';
import type { DirectionExplanation, Explanation, RuleRef } from '../model/flow.js';

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
        ...d.rejected.map((m) => `    - ${m.ruleIndex === null ? m.reason : `${m.policy} ${m.direction}[${m.ruleIndex}]: ${m.reason}`}`),
      ];
  }
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
