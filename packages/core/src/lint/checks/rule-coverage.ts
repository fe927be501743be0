/**
 * Which NetworkPolicies and rules can be removed without changing any verdict, computed over the
 * input's endpoints and the address blocks (rule-remotes.ts), per namespace and direction.
 *
 * What a pod S is allowed in a direction at the NetworkPolicy level is decided by the policies
 * that select S for it: none, and S is not isolated; some, and a flow is allowed iff one of
 * their rules matches it, a rule matching a remote by its peers and a port by its ports (named
 * ports resolved on the destination: S for ingress, the remote for egress). So:
 *   - a rule R can go when, for every pod its policy selects, each (remote, connection) R allows
 *     is allowed by other rules of the policies selecting that pod (the policy stays: isolation
 *     does not change);
 *   - a policy P can go when, for every pod it selects and every direction it isolates, another
 *     policy still isolates the pod and the others' rules allow all that P's rules allow, or P
 *     is the only one, allows every remote and connection (a rule with neither peers nor ports)
 *     and no Baseline-tier policy has rules in that direction (unisolated, the pod falls to the
 *     Baseline tier).
 * A default deny (a policy without rules in the directions it isolates) is reported only when
 * another policy isolates every pod it could ever select (an empty or the same podSelector):
 * it is the safety net for pods the input does not have yet.
 * Either way the NetworkPolicy-level answer is the same for every flow, and so is every
 * verdict, whatever the cluster-scoped tiers say. This is a sufficient condition, not a
 * necessary one: a policy whose effect the Admin tier overrides everywhere is not found.
 *
 * Greedy, so that everything reported can go at once: policies are tried last to first, a
 * removable one leaves the pool the next ones are compared with; then rules, last to first, over
 * the remaining policies. Of two identical rules (or policies) the later one is reported.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ConnectionSet } from '../../analysis/connection-set.js';
import type { ContainerPort, Direction, NetworkPolicy, Pod, Rule } from '../../model/types.js';
import { connectionsWithin, EVERY_CONNECTION, hasNamedPort, rulePorts, unionConnections } from './rule-ports.js';
import type { RuleScope } from './rule-remotes.js';

/** A rule of a policy in one direction. */
export interface RuleAt {
  readonly policy: NetworkPolicy;
  readonly direction: Direction;
  readonly ruleIndex: number;
}

/** A rule that other rules make redundant. */
export interface ShadowedRule extends RuleAt {
  /** Rules that together allow all it allows; one rule when one alone does (`single`). */
  readonly coveredBy: readonly RuleAt[];
  readonly single: boolean;
}

/** A policy whose removal changes no verdict. */
export interface RedundantPolicy {
  readonly policy: NetworkPolicy;
  /** Per direction it isolates: the other policies that keep its pods isolated and allow what it allows (empty: it allows everything and is the only one). */
  readonly coveredBy: Readonly<Partial<Record<Direction, readonly NetworkPolicy[]>>>;
}

/** What rule-coverage found. */
export interface Coverage {
  readonly policies: readonly RedundantPolicy[];
  readonly rules: readonly ShadowedRule[];
}

interface RuleInfo {
  readonly at: RuleAt;
  /** Index of its policy in NsDirection.policies. */
  readonly owner: number;
  readonly rule: Rule;
  readonly named: boolean;
  /** Its port sets, per destination ports key (constant when it has no named port). */
  readonly ports: Map<string, ConnectionSet>;
}

/** Remotes that every rule of a namespace and direction treats alike. */
interface RemoteClass {
  /** Rule ids (ascending) matching these remotes. */
  readonly rules: readonly number[];
  /** Egress: the destination pod named ports resolve on (undefined: an address). */
  readonly dst: Pod | undefined;
}

/** Subject pods that the same policies select (and, ingress with named ports, with the same container ports). */
interface SubjectGroup {
  /** Policy indices (ascending). */
  readonly policies: readonly number[];
  /** Ingress: a pod of the group, where named ports resolve. */
  readonly dst: Pod;
}

/** One namespace's policies of one direction, with their rules, remote classes and subject groups. */
class NsDirection {
  readonly rules: RuleInfo[] = [];
  readonly rulesOf: number[][];
  readonly classes: RemoteClass[] = [];
  readonly classesOf: number[][];
  readonly groups: SubjectGroup[] = [];
  readonly groupsOf: number[][];

  constructor(
    scope: RuleScope,
    readonly direction: Direction,
    /** The namespace's policies that isolate this direction and select some pod, in input order. */
    readonly policies: readonly NetworkPolicy[],
    portsKey: (pod: Pod) => string,
  ) {
    const remotes = scope.remotes(direction);
    this.rulesOf = policies.map(() => []);
    this.groupsOf = policies.map(() => []);
    // Remote classes by partition refinement: each rule splits the classes of the remotes it matches.
    // classOf is the direction's scratch array (all 0: matched by no rule); only the remotes some
    // rule matches are visited and reset, so a namespace costs what its rules match, not every remote.
    const classOf = remotes.scratch;
    const touched: number[] = [];
    const classRules: number[][] = [[]];
    policies.forEach((policy, owner) => {
      policy[direction].forEach((rule, ruleIndex) => {
        const id = this.rules.push({ at: { policy, direction, ruleIndex }, owner, rule, named: hasNamedPort(rule), ports: new Map() }) - 1;
        this.rulesOf[owner]!.push(id);
        const split = new Map<number, number>();
        for (const r of remotes.ruleRemotes(rule, policy.namespace)) {
          const old = classOf[r]!;
          if (old === 0) touched.push(r);
          let next = split.get(old);
          if (next === undefined) split.set(old, (next = classRules.push([...classRules[old]!, id]) - 1));
          classOf[r] = next;
        }
      });
    });
    const named = this.rules.some((r) => r.named);
    this.classesOf = this.rules.map(() => []);
    // The classes in use; egress with named ports also splits them by the destination pod's container ports.
    const classIds = new Map<string | number, number>();
    for (const r of touched) {
      const cls = classOf[r]!;
      classOf[r] = 0;
      const remote = remotes.remotes[r]!;
      const dst = direction === 'egress' && remote.kind === 'pod' ? remote.pod : undefined;
      const key = named && direction === 'egress' ? `${cls}|${dst ? portsKey(dst) : '-'}` : cls;
      if (classIds.has(key)) continue;
      const rules = classRules[cls]!;
      const id = this.classes.push({ rules, dst }) - 1;
      classIds.set(key, id);
      for (const rule of rules) this.classesOf[rule]!.push(id);
    }
    const groupIds = new Map<string, number>();
    const namespace = policies[0]!.namespace;
    const selecting = policies.map((p) => new Set(scope.subjects(p)));
    for (const pod of scope.podsIn(namespace)) {
      const mine = policies.flatMap((_, i) => (selecting[i]!.has(pod) ? [i] : []));
      if (mine.length === 0) continue;
      const key = named && direction === 'ingress' ? `${mine.join(',')}|${portsKey(pod)}` : mine.join(',');
      if (groupIds.has(key)) continue;
      const id = this.groups.push({ policies: mine, dst: pod }) - 1;
      groupIds.set(key, id);
      for (const p of mine) this.groupsOf[p]!.push(id);
    }
  }

  /** A rule's connections towards a destination, memoized per container-ports key. */
  portsOf(id: number, dst: Pod | undefined, portsKey: (pod: Pod) => string): ConnectionSet {
    const info = this.rules[id]!;
    const key = info.named && dst ? portsKey(dst) : '';
    let c = info.ports.get(key);
    if (!c) info.ports.set(key, (c = rulePorts(info.rule, info.named ? dst : undefined)));
    return c;
  }
}

const isEmpty = (c: ConnectionSet): boolean => !c.otherProtocols && c.tcp.length === 0 && c.udp.length === 0 && c.sctp.length === 0;

/** Computes what the module comment says, over the run's scope. */
export function ruleCoverage(scope: RuleScope): Coverage {
  const cluster = scope.cluster;
  const keys = new Map<readonly ContainerPort[], string>();
  const portsKey = (pod: Pod): string => {
    let k = keys.get(pod.ports);
    if (k === undefined) keys.set(pod.ports, (k = JSON.stringify(pod.ports)));
    return k;
  };
  const baselineRules = (d: Direction): boolean => (cluster.clusterPolicies ?? []).some((cp) => cp.tier === 'Baseline' && cp[d].length > 0);
  const byNamespace = new Map<string, NetworkPolicy[]>();
  for (const p of cluster.policies) {
    if (scope.subjects(p).length === 0) continue; // selects nothing: another check's finding, and it covers nobody
    const list = byNamespace.get(p.namespace);
    if (list) list.push(p);
    else byNamespace.set(p.namespace, [p]);
  }
  const policies: RedundantPolicy[] = [];
  const rules: ShadowedRule[] = [];
  for (const nsPolicies of byNamespace.values()) {
    const dirs = (['ingress', 'egress'] as const).flatMap((d) => {
      const ps = nsPolicies.filter((p) => p.affects[d]);
      return ps.length > 0 ? [new NsDirection(scope, d, ps, portsKey)] : [];
    });
    // Policies, last to first.
    const removed = new Set<NetworkPolicy>();
    for (let i = nsPolicies.length - 1; i >= 0; i--) {
      const policy = nsPolicies[i]!;
      const coveredBy: Partial<Record<Direction, NetworkPolicy[]>> = {};
      if (isDefaultDeny(policy) && !outlived(policy, nsPolicies, removed)) continue;
      const ok = dirs.every((nd) => {
        const pi = nd.policies.indexOf(policy);
        if (pi < 0) return true;
        const others = policyCoveredBy(nd, pi, removed, baselineRules(nd.direction), portsKey);
        if (others) coveredBy[nd.direction] = others;
        return others !== undefined;
      });
      if (ok) {
        removed.add(policy);
        policies.push({ policy, coveredBy });
      }
    }
    // Rules of the remaining policies, last to first.
    for (const nd of dirs) {
      const pool = new Set(nd.rules.flatMap((r, id) => (removed.has(r.at.policy) ? [] : [id])));
      for (let id = nd.rules.length - 1; id >= 0; id--) {
        if (!pool.has(id)) continue;
        const covering = ruleCoveredBy(nd, id, pool, portsKey);
        if (!covering) continue;
        pool.delete(id);
        rules.push({ ...nd.rules[id]!.at, ...covering });
      }
    }
  }
  return { policies, rules };
}

const DIRECTIONS = ['ingress', 'egress'] as const;

/** A policy with no rules in the directions it isolates: a default deny. */
const isDefaultDeny = (p: NetworkPolicy): boolean => DIRECTIONS.every((d) => !p.affects[d] || p[d].length === 0);

/**
 * Whether another policy of the pool isolates, in every direction `p` does, every pod `p` could
 * ever select (its podSelector is empty or the same). A default deny is a safety net for pods
 * not in the input yet: redundant today is not enough, it must stay redundant for those too.
 */
function outlived(p: NetworkPolicy, nsPolicies: readonly NetworkPolicy[], removed: ReadonlySet<NetworkPolicy>): boolean {
  const wider = (q: NetworkPolicy): boolean =>
    (q.podSelector.matchExpressions.length === 0 && Object.keys(q.podSelector.matchLabels).length === 0) || isDeepStrictEqual(q.podSelector, p.podSelector);
  return DIRECTIONS.every((d) => !p.affects[d] || nsPolicies.some((q) => q !== p && !removed.has(q) && q.affects[d] && wider(q)));
}

/**
 * The rules of `pool` covering rule `id` for every subject group of its policy (see the module
 * comment), the single one when one alone does; undefined when they do not, or the rule allows
 * nothing at all (a rule matching nothing is another check's finding, not a shadowed one).
 */
function ruleCoveredBy(
  nd: NsDirection,
  id: number,
  pool: ReadonlySet<number>,
  portsKey: (pod: Pod) => string,
): { coveredBy: RuleAt[]; single: boolean } | undefined {
  const owner = nd.rules[id]!.owner;
  const contributors = new Set<number>();
  let grants = false;
  /** Whether the rules `avail` allows cover rule `id` (collecting contributors when asked). */
  const covers = (avail: (r: number, group: SubjectGroup) => boolean, collect: boolean): boolean => {
    for (const g of nd.groupsOf[owner]!) {
      const group = nd.groups[g]!;
      for (const c of nd.classesOf[id]!) {
        const cls = nd.classes[c]!;
        const dst = nd.direction === 'egress' ? cls.dst : group.dst;
        const want = nd.portsOf(id, dst, portsKey);
        if (isEmpty(want)) continue;
        grants = true;
        let have: ConnectionSet | undefined;
        for (const r of cls.rules) {
          if (r === id || !avail(r, group)) continue;
          const p = nd.portsOf(r, dst, portsKey);
          if (isEmpty(p)) continue;
          have = have ? unionConnections(have, p) : p;
          if (collect) contributors.add(r);
        }
        if (!have || !connectionsWithin(want, have)) return false;
      }
    }
    return true;
  };
  const applies = (r: number, group: SubjectGroup): boolean => pool.has(r) && group.policies.includes(nd.rules[r]!.owner);
  if (!covers(applies, true) || !grants) return undefined;
  const at = (r: number): RuleAt => nd.rules[r]!.at;
  for (const r of contributors) if (covers((x, group) => x === r && applies(x, group), false)) return { coveredBy: [at(r)], single: true };
  return { coveredBy: [...contributors].sort((a, b) => a - b).map(at), single: false };
}

/**
 * The other policies (not removed) that keep policy `pi`'s pods isolated and allow all it allows
 * (empty: it allows everything, is the only one, and no Baseline rule waits behind it);
 * undefined when its removal could change a verdict.
 */
function policyCoveredBy(
  nd: NsDirection,
  pi: number,
  removed: ReadonlySet<NetworkPolicy>,
  baselineRules: boolean,
  portsKey: (pod: Pod) => string,
): NetworkPolicy[] | undefined {
  const mine = nd.rulesOf[pi]!;
  const allowsAll = mine.some((r) => nd.rules[r]!.rule.peers.length === 0 && nd.portsOf(r, undefined, portsKey) === EVERY_CONNECTION);
  const used = new Set<number>();
  for (const g of nd.groupsOf[pi]!) {
    const group = nd.groups[g]!;
    const others = group.policies.filter((q) => q !== pi && !removed.has(nd.policies[q]!));
    if (others.length === 0) {
      if (allowsAll && !baselineRules) continue;
      return undefined;
    }
    for (const q of others) used.add(q);
    const otherRules = new Set(others.flatMap((q) => nd.rulesOf[q]!));
    const classes = new Set(mine.flatMap((r) => nd.classesOf[r]!));
    for (const c of classes) {
      const cls = nd.classes[c]!;
      const dst = nd.direction === 'egress' ? cls.dst : group.dst;
      let want: ConnectionSet | undefined;
      let have: ConnectionSet | undefined;
      for (const r of cls.rules) {
        const p = nd.portsOf(r, dst, portsKey);
        if (nd.rules[r]!.owner === pi) want = want ? unionConnections(want, p) : p;
        else if (otherRules.has(r)) have = have ? unionConnections(have, p) : p;
      }
      if (want && !isEmpty(want) && (!have || !connectionsWithin(want, have))) return undefined;
    }
  }
  return [...used].sort((a, b) => a - b).map((q) => nd.policies[q]!);
}
