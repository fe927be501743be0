// Deleting a Node takes its labels away from the addresses still attributed to it (a
// hostNetwork pod naming the node keeps the address): a `nodes` peer of a cluster-scoped policy
// must stop matching them. The live compiler forgot the node's cached tier facts on a delete
// (it did on a relabel), so a Baseline Allow to `nodes: {role: edge}` still decided after the node
// was gone (found by the model-based test with background compactions, FC_SEED=901406827).
import { expect, test } from 'vitest';
import { CompiledDataplane, LiveDataplane, loadText, parseIP, readText, ReferenceEvaluator } from '@netpol/core';

const NODE = `apiVersion: v1
kind: Node
metadata: {name: node-0, labels: {role: edge}}
status: {addresses: [{type: InternalIP, address: 10.0.2.1}]}
`;
const REST = `apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: default}
spec: {nodeName: node-0, hostNetwork: true, containers: [{name: c, image: x}]}
status: {phase: Running, podIP: 10.0.2.1, podIPs: [{ip: 10.0.2.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: prod}
spec: {nodeName: node-2, containers: [{name: c, image: x}]}
status: {phase: Running, podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  egress:
  - {name: to-labelled-nodes, action: Allow, to: [{nodes: {matchLabels: {role: edge}}}]}
`;

test('a deleted Node no longer matches nodes peers through the addresses still attributed to it', () => {
  const flow = { src: parseIP('10.0.0.1')!, dst: parseIP('10.0.2.1')!, protocol: 6, port: 443 };
  const live = new LiveDataplane(readText(`${NODE}---\n${REST}`, 'cluster.yaml').objects, { compaction: 'manual' });
  try {
    expect(live.verdict(flow).egress).toBe('baseline-allowed');
    expect(live.apply([{ op: 'delete', kind: 'Node', name: 'node-0' }]).applied).toBe(true);
    const after = loadText(REST).cluster!;
    const want = new ReferenceEvaluator(after).verdict(flow);
    expect(want.egress).toBe('not-isolated');
    expect(new CompiledDataplane(after).verdict(flow)).toEqual(want);
    expect(live.verdict(flow)).toEqual(want);
    live.compact();
    expect(live.verdict(flow)).toEqual(want);
  } finally {
    live.close();
  }
});
