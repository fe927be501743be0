/**
 * `rule-cross-product`: one egress rule whose peers and ports belong to different services, so
 * that every port is allowed to every peer: DNS to kube-dns and HTTPS to an external /32 in one
 * rule also allow DNS to the external host and HTTPS to kube-dns.
 *
 * The rule needs at least two peers and ports of at least two services (a port number or range,
 * a whole protocol, or a named port's numbers: UDP 53 and TCP 53 are one service). Each peer
 * gets a profile from the input: a selector peer whose pods declare container ports serving
 * some of the rule's services is *known* (it serves those); a peer of kube-dns pods (label
 * `k8s-app=kube-dns`) is known to serve 53 even without pods in the input; any other peer
 * (an ipBlock, a selector matching no pod or pods declaring none of the ports) is *unknown*.
 * The rule is reported when
 *   - a known peer does not serve one of the rule's services that another known peer serves
 *     (one that does not also serve all the first one serves: the peers' services differ both
 *     ways), or that an unknown peer unrelated to it may be meant for; or
 *   - two unknown peers are unrelated,
 * where two peers are unrelated when one is an ipBlock and the other a selector, or both are
 * selectors with different pod selectors over disjoint sets of namespaces. Ingress rules are
 * left alone: their ports are the selected pods' own, and nothing in the input tells which
 * source was meant for which port.
 */
import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { peer as peerDoc, policyPort } from '../../fuzz/to-yaml.js';
import { formatCIDR } from '../../ip/cidr.js';
import { describePort } from '../../model/describe.js';
import { namedPortNumbers } from '../../model/rule-miss.js';
import { selectorMatches } from '../../model/selector.js';
import type { NetworkPolicy, Peer, Pod, PolicyPort, Rule, Selector } from '../../model/types.js';
import type { LintCheck } from '../types.js';
import { someOf } from './redundant-rules.js';
import { ruleScope, type RuleScope } from './rule-remotes.js';

/** A service of the rule: the ports (indices into rule.ports) that are one thing, and its name. */
interface Service {
  readonly key: string;
  readonly ports: number[];
}

interface Profile {
  readonly peer: Peer;
  readonly index: number;
  /** Namespaces a selector peer can match (undefined for an ipBlock). */
  readonly namespaces?: ReadonlySet<string>;
  /** Known: the services (keys) its pods serve; undefined: unknown. */
  readonly serves?: ReadonlySet<string>;
}

const DNS_PORT = 53;

/** YAML on one line, as a fix shows it. */
const FLOW_YAML = { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: false } as const;

/** Whether a pod declares a container port the policy port names (number in range, whole protocol, or the name). */
function declares(pod: Pod, port: PolicyPort): boolean {
  if (typeof port.port === 'string') return (namedPortNumbers(pod, port.port, port.protocol, true) ?? []).length > 0;
  const [lo, hi] = port.port === undefined ? [1, 65535] : [port.port, port.endPort ?? port.port];
  return pod.ports.some((cp) => cp.protocol === port.protocol && cp.port >= lo && cp.port <= hi);
}

/** The rule's services: ports grouped by number (or range, or whole protocol; named ports by what they resolve to on the peers' pods). */
function services(rule: Rule, pods: readonly Pod[]): Service[] {
  const byKey = new Map<string, number[]>();
  rule.ports.forEach((p, i) => {
    let key: string;
    if (p.port === undefined) key = `${p.protocol} any`;
    else if (typeof p.port === 'number') key = p.endPort !== undefined ? `${p.port}-${p.endPort}` : `${p.port}`;
    else {
      const numbers = new Set(pods.flatMap((pod) => namedPortNumbers(pod, p.port as string, p.protocol, true) ?? []));
      key = numbers.size > 0 ? [...numbers].sort((a, b) => a - b).join(',') : `${p.port}`;
    }
    const list = byKey.get(key);
    if (list) list.push(i);
    else byKey.set(key, [i]);
  });
  return [...byKey].map(([key, ports]) => ({ key, ports }));
}

const isDnsSelector = (s: Selector | undefined): boolean => s !== undefined && s.matchLabels['k8s-app'] === 'kube-dns';

/** One peer's profile (see the module comment). */
function profile(scope: RuleScope, policy: NetworkPolicy, peer: Peer, index: number, rule: Rule, all: readonly Service[]): Profile {
  if (peer.kind === 'ipBlock') return { peer, index };
  const namespaces = new Set(
    peer.namespaceSelector ? scope.namespaces.filter((ns) => selectorMatches(peer.namespaceSelector!, scope.index.namespaceLabels(ns))) : [policy.namespace],
  );
  const remotes = scope.remotes('egress');
  const pods = [...new Set(Array.from(remotes.peerRemotes(peer, policy.namespace), (i) => (remotes.remotes[i] as { pod: Pod }).pod))];
  const serves = new Set(all.filter((s) => s.ports.some((i) => pods.some((pod) => declares(pod, rule.ports[i]!)))).map((s) => s.key));
  if (serves.size > 0) return { peer, index, namespaces, serves };
  if (isDnsSelector(peer.podSelector) && all.some((s) => s.key === `${DNS_PORT}`)) return { peer, index, namespaces, serves: new Set([`${DNS_PORT}`]) };
  return { peer, index, namespaces };
}

function unrelated(a: Profile, b: Profile): boolean {
  if ((a.peer.kind === 'ipBlock') !== (b.peer.kind === 'ipBlock')) return true;
  if (a.peer.kind === 'ipBlock' || b.peer.kind === 'ipBlock') return false;
  if (isDeepStrictEqual(a.peer.podSelector, b.peer.podSelector)) return false;
  for (const ns of a.namespaces!) if (b.namespaces!.has(ns)) return false;
  return true;
}

/** How a peer reads in a message: `to[1] (ipBlock 1.2.3.4/32)`. */
function describePeer(p: Profile): string {
  const peer = p.peer;
  if (peer.kind === 'ipBlock') return `to[${p.index}] (ipBlock ${formatCIDR(peer.ipBlock.cidr)})`;
  const labels = (s: Selector | undefined): string =>
    s === undefined
      ? ''
      : Object.entries(s.matchLabels)
          .map(([k, v]) => `${k}=${v}`)
          .concat(s.matchExpressions.map((e) => `${e.key} ${e.operator}${e.values.length > 0 ? ` (${e.values.join(',')})` : ''}`))
          .join(',') || 'all';
  const ns = peer.namespaceSelector ? `namespaces ${labels(peer.namespaceSelector)}` : 'this namespace';
  return `to[${p.index}] (${ns}${peer.podSelector ? `, pods ${labels(peer.podSelector)}` : ''})`;
}

export const RULE_CROSS_PRODUCT: LintCheck = {
  id: 'rule-cross-product',
  severity: 'warning',
  title: 'Egress rule whose ports apply to unrelated peers',
  description:
    'An egress rule allows every one of its ports to every one of its peers. When the peers are unrelated (an ipBlock and a pod selector, selectors of different namespaces, or pods serving different ports), the rule grants more than was meant: DNS to kube-dns and HTTPS to an external host in one rule also allow DNS to the external host and HTTPS to kube-dns. Split it into one rule per peer (or group of related peers), each with only the ports it needs.',
  *run(ctx) {
    const scope = ruleScope(ctx);
    for (const policy of ctx.cluster.policies) {
      if (!policy.affects.egress) continue;
      for (const [ruleIndex, rule] of policy.egress.entries()) {
        if (rule.peers.length < 2 || rule.ports.length < 2) continue;
        const remotes = scope.remotes('egress');
        const pods = Array.from(remotes.ruleRemotes(rule, policy.namespace)).flatMap((i) => {
          const r = remotes.remotes[i]!;
          return r.kind === 'pod' ? [r.pod] : [];
        });
        const all = services(rule, pods);
        if (all.length < 2) continue;
        const profiles = rule.peers.map((peer, i) => profile(scope, policy, peer, i, rule, all));
        const known = profiles.filter((p) => p.serves);
        const unknown = profiles.filter((p) => !p.serves);
        // (peer, service) combinations the rule allows but probably does not mean.
        const extra = new Map<Profile, Set<string>>();
        const note = (p: Profile, s: string): void => void (extra.get(p) ?? extra.set(p, new Set()).get(p)!).add(s);
        for (const p of known) {
          for (const s of all) {
            if (p.serves!.has(s.key)) continue;
            // Another peer serves it, and not everything p serves (a superset is the same service, more of it).
            const servedElsewhere = known.some((q) => q !== p && q.serves!.has(s.key) && [...p.serves!].some((t) => !q.serves!.has(t)));
            const unknownOther = unknown.some((q) => unrelated(p, q));
            if (servedElsewhere || unknownOther) note(p, s.key);
          }
        }
        for (const q of unknown) for (const p of known) if (unrelated(p, q)) for (const s of p.serves!) note(q, s);
        const unrelatedUnknown = unknown.some((a, i) => unknown.some((b, j) => j > i && unrelated(a, b)));
        if (extra.size === 0 && !unrelatedUnknown) continue;
        const portsOf = (key: string): PolicyPort[] => all.find((s) => s.key === key)!.ports.map((i) => rule.ports[i]!);
        const portText = (key: string): string => portsOf(key).map(describePort).join(', ');
        const combos = [...extra].sort(([a], [b]) => a.index - b.index).map(([p, keys]) => `${[...keys].map(portText).join(', ')} to ${describePeer(p)}`);
        const message =
          combos.length > 0
            ? `every port applies to every peer, so it also allows ${combos.slice(0, 3).join('; ')}${combos.length > 3 ? `; and ${combos.length - 3} more` : ''}`
            : `its peers are unrelated (${someOf(profiles.map(describePeer))}) and every port (${someOf(all.map((s) => portText(s.key)))}) applies to every peer`;
        // The split: each known peer with its services; the unknown ones with the services no known peer serves.
        const leftover = all.filter((s) => !known.some((p) => p.serves!.has(s.key))).map((s) => s.key);
        const split = [
          ...known.map((p) => ({ to: [peerDoc(p.peer, '')], ports: [...p.serves!].flatMap(portsOf).map(policyPort) })),
          ...(unknown.length > 0 && leftover.length > 0
            ? [{ to: unknown.map((p) => peerDoc(p.peer, '')), ports: leftover.flatMap(portsOf).map(policyPort) }]
            : []),
        ];
        yield {
          object: { kind: 'NetworkPolicy', namespace: policy.namespace, name: policy.name },
          path: ['spec', 'egress', ruleIndex],
          message,
          fix:
            // One rule for the unknown peers is only right when they are related to each other.
            known.length > 0 && !unrelatedUnknown && (unknown.length === 0 || leftover.length > 0)
              ? `split it into one rule per peer, each with its own ports: egress: ${stringify(split, FLOW_YAML).trim()}`
              : 'split it into one egress rule per peer (or group of related peers), each with only the ports that peer needs',
        };
      }
    }
  },
};
