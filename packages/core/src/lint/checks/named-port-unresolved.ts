/**
 * `named-port-unresolved`: a named port of a NetworkPolicy rule that resolves on none of the
 * destination pods it applies to, so that port entry allows nothing. Named ports resolve on the
 * destination of a flow: for an ingress rule the pods the policy selects, for an egress rule
 * the pods its peers match (every pod for a rule without peers). Init and sidecar container
 * ports count (the default). Rules with no destination pod in the input are left to the checks
 * that report selectors matching nothing.
 */
import { closestKey } from '../../model/check-options.js';
import { describePort } from '../../model/describe.js';
import { namedPortNumbers } from '../../model/rule-miss.js';
import type { Direction, NetworkPolicy, Pod, Rule } from '../../model/types.js';
import type { LintCheck } from '../types.js';
import { someOf } from './redundant-rules.js';
import { activeRules, ruleScope, type RuleScope } from './rule-remotes.js';

/** The destination pods a rule's named ports resolve on. */
function destinations(scope: RuleScope, policy: NetworkPolicy, direction: Direction, rule: Rule): readonly Pod[] {
  if (direction === 'ingress') return scope.subjects(policy);
  const remotes = scope.remotes('egress');
  const pods = new Set<Pod>();
  for (const i of remotes.ruleRemotes(rule, policy.namespace)) {
    const r = remotes.remotes[i]!;
    if (r.kind === 'pod') pods.add(r.pod);
  }
  return [...pods];
}

export const NAMED_PORT_UNRESOLVED: LintCheck = {
  id: 'named-port-unresolved',
  severity: 'warning',
  title: 'Named port that no destination pod declares',
  description:
    'A named port in a rule resolves, per flow, on the destination pod: the pods the policy selects for an ingress rule, the pods the peers match for an egress rule. When none of those pods has a container port of that name and protocol, the port entry allows nothing (a typo, a renamed port, or the protocol missing: named ports default to TCP). Use the container port name the pods declare, or the number.',
  *run(ctx) {
    const scope = ruleScope(ctx);
    for (const policy of ctx.cluster.policies) {
      for (const { direction, ruleIndex, rule } of activeRules(policy)) {
        if (!rule.ports.some((p) => typeof p.port === 'string')) continue;
        const pods = destinations(scope, policy, direction, rule);
        if (pods.length === 0) continue;
        for (const [portIndex, port] of rule.ports.entries()) {
          if (typeof port.port !== 'string') continue;
          const name = port.port;
          if (pods.some((pod) => (namedPortNumbers(pod, name, port.protocol, true) ?? []).length > 0)) continue;
          const declared = [...new Set(pods.flatMap((p) => p.ports.flatMap((cp) => (cp.name ? [`${cp.name}/${cp.protocol}`] : []))))];
          const otherProtocol = pods.find((p) => p.ports.some((cp) => cp.name === name));
          const names = [...new Set(pods.flatMap((p) => p.ports.flatMap((cp) => (cp.name && cp.protocol === port.protocol ? [cp.name] : []))))];
          const near = closestKey(name, names);
          const whose = direction === 'ingress' ? 'the pods it selects' : 'the pods its peers match';
          const why = otherProtocol
            ? `${otherProtocol.namespace}/${otherProtocol.name} declares ${name} with another protocol`
            : declared.length > 0
              ? `they declare ${someOf(declared, 5)}`
              : 'they declare no named container port';
          yield {
            object: { kind: 'NetworkPolicy', namespace: policy.namespace, name: policy.name },
            path: ['spec', direction, ruleIndex, 'ports', portIndex],
            message: `named port ${describePort(port)} resolves on none of ${whose} (${pods.length}: ${someOf(pods.map((p) => `${p.namespace}/${p.name}`))}), so it allows nothing: ${why}`,
            fix: otherProtocol
              ? `set the protocol the container port declares, or use the port number`
              : `use a container port name they declare${near ? ` (${near}?)` : names.length > 0 ? ` (${someOf(names, 5)})` : ''} or the port number`,
          };
        }
      }
    }
  },
};
