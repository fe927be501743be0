// Endpoints: template pods for workloads without pods, and the groups connectivity reports name.
import { describe, expect, test } from 'vitest';
import { endpointGroups, templatePods } from '../../packages/core/src/model/endpoints.js';
import { cluster, ns, pod, tcp, workload } from './builders.js';

describe('templatePods', () => {
  const web = workload('Deployment', 'prod', 'web', { app: 'web' }, { ports: [tcp(8080, 'http')] });
  const c = cluster({ namespaces: [ns('prod')], workloads: [web] });

  test('a workload without pods is one template pod: its labels and ports, no address, Running, owned by it', () => {
    expect(templatePods(c)).toEqual([
      {
        namespace: 'prod',
        name: 'web',
        labels: { app: 'web' },
        ips: [],
        hostNetwork: false,
        phase: 'Running',
        ports: [tcp(8080, 'http')],
        owner: { kind: 'Deployment', name: 'web' },
      },
    ]);
    expect(templatePods(c)[0]).not.toHaveProperty('nodeName');
  });

  test('the same Pod objects on every call for one Cluster object, new ones for another', () => {
    expect(templatePods(c)[0]).toBe(templatePods(c)[0]);
    expect(templatePods({ ...c })[0]).not.toBe(templatePods(c)[0]);
  });

  test('a workload with a pod of it (not finished) has no template; one with only finished pods has', () => {
    const running = pod('prod', 'web-1', { app: 'web' }, ['10.0.0.1'], { owner: { kind: 'Deployment', name: 'web' } });
    expect(templatePods({ ...c, pods: [running] })).toEqual([]);
    const done = { ...running, phase: 'Succeeded' as const };
    expect(templatePods({ ...c, pods: [done] }).map((p) => p.name)).toEqual(['web']);
  });

  test("a workload owned by another of the input (a Deployment's ReplicaSet) is not its own endpoint; one whose owner is absent is", () => {
    const rs = workload('ReplicaSet', 'prod', 'web-abc', { app: 'web' }, { owner: { kind: 'Deployment', name: 'web' } });
    expect(templatePods({ ...c, workloads: [web, rs] }).map((p) => `${p.owner!.kind}/${p.name}`)).toEqual(['Deployment/web']);
    expect(templatePods({ ...c, workloads: [rs] }).map((p) => `${p.owner!.kind}/${p.name}`)).toEqual(['ReplicaSet/web-abc']);
  });

  test('a hostNetwork workload keeps hostNetwork on its template pod', () => {
    const agent = workload('DaemonSet', 'prod', 'agent', {}, { hostNetwork: true });
    expect(templatePods({ ...c, workloads: [agent] })[0]!.hostNetwork).toBe(true);
  });
});

describe('endpointGroups', () => {
  const c = cluster({
    namespaces: [ns('prod'), ns('dev')],
    workloads: [
      workload('Deployment', 'prod', 'web', { app: 'web' }),
      workload('StatefulSet', 'prod', 'db', { app: 'db' }),
      workload('DaemonSet', 'dev', 'agent', { app: 'agent' }, { hostNetwork: true }),
    ],
    pods: [
      pod('prod', 'web-2', { app: 'web' }, ['10.0.0.2'], { owner: { kind: 'Deployment', name: 'web' } }),
      pod('prod', 'web-1', { app: 'web' }, ['10.0.0.1'], { owner: { kind: 'Deployment', name: 'web' } }),
      pod('prod', 'web-old', { app: 'web' }, [], { owner: { kind: 'Deployment', name: 'web' }, phase: 'Failed' }),
      pod('dev', 'debug', { run: 'debug' }, ['10.0.1.1']),
      pod('dev', 'pending', { run: 'pending' }),
      pod('dev', 'node-exporter', {}, ['192.168.0.1'], { hostNetwork: true, nodeName: 'n1' }),
    ],
  });

  test('workload level: pods under their owner, bare pods on their own, templates for workloads without pods, sorted by name', () => {
    const groups = endpointGroups(c, 'workload');
    expect(groups.map((g) => [g.name, g.kind, g.namespace, g.template, g.pods.map((p) => p.name)])).toEqual([
      ['dev/debug[Pod]', 'Pod', 'dev', false, ['debug']],
      ['dev/pending[Pod]', 'Pod', 'dev', false, ['pending']],
      ['prod/db[StatefulSet]', 'StatefulSet', 'prod', true, ['db']],
      ['prod/web[Deployment]', 'Deployment', 'prod', false, ['web-2', 'web-1']],
    ]);
    expect(groups[2]!.pods[0]).toBe(templatePods(c).find((p) => p.name === 'db'));
  });

  test('pod level: every pod its own endpoint; workloads without pods still appear as their template', () => {
    expect(endpointGroups(c, 'pod').map((g) => g.name)).toEqual([
      'dev/debug[Pod]',
      'dev/pending[Pod]',
      'prod/db[StatefulSet]',
      'prod/web-1[Pod]',
      'prod/web-2[Pod]',
    ]);
  });

  test('hostNetwork pods and workloads are endpoints only with hostNetworkAsPods', () => {
    const names = endpointGroups(c, 'workload', { hostNetworkAsPods: true }).map((g) => g.name);
    expect(names).toContain('dev/node-exporter[Pod]');
    expect(names).toContain('dev/agent[DaemonSet]');
    expect(endpointGroups(c, 'workload').map((g) => g.name)).not.toContain('dev/agent[DaemonSet]');
  });
});
