/**
 * Workload manifests: every workload kind's pod template (labels, container and init container
 * ports, hostNetwork), the API server's checks on what is read (selector, template, apiVersion),
 * owner references of pods and workloads, skipped ingress kinds, and namespaces used but absent.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadFiles, loadObjects, type Workload } from '@netpol/core';
import { cluster, runs } from '../helpers.js';
import { brief, dedent, errorsOf, expectIssue, expectRejected, load, warningsOf } from './util.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/online-boutique');

/** An apps/v1 workload of `kind` whose template has `labels` and `spec` (YAML at column 0). */
function apps(kind: string, name: string, spec = 'containers: [{name: c, ports: [{containerPort: 80}]}]', extra = ''): string {
  const podSpec = dedent(spec)
    .trimEnd()
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
  return dedent(`
    apiVersion: apps/v1
    kind: ${kind}
    metadata: {name: ${name}, namespace: shop}
    spec:
      selector: {matchLabels: {app: ${name}}}
      template:
        metadata: {labels: {app: ${name}, tier: web}}
        spec:
  `).concat(podSpec, '\n', extra);
}

const NS = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n';

/** A CronJob `report` whose job template's pod spec is `podSpec` (a YAML flow mapping); the pod spec is on line 9. */
const cronJob = (podSpec: string) =>
  `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: report, namespace: shop}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {app: report}}\n        spec: ${podSpec}\n`;

const byName = (ws: readonly Workload[] | undefined) => Object.fromEntries((ws ?? []).map((w) => [w.name, w]));

describe('workload kinds', () => {
  it('every kind loads its pod template: labels, ports of containers and init containers, hostNetwork', () => {
    const text = [
      NS,
      apps('Deployment', 'web'),
      apps('ReplicaSet', 'rs'),
      apps('StatefulSet', 'db', 'containers: [{name: c, ports: [{name: sql, containerPort: 5432}]}]'),
      apps('DaemonSet', 'agent', 'hostNetwork: true\ncontainers: [{name: c, ports: [{containerPort: 9100, protocol: UDP}]}]'),
      dedent(`
        apiVersion: v1
        kind: ReplicationController
        metadata: {name: rc, namespace: shop}
        spec:
          template:
            metadata: {labels: {app: rc}}
            spec: {containers: [{name: c}]}
      `),
      dedent(`
        apiVersion: batch/v1
        kind: Job
        metadata: {name: migrate, namespace: shop}
        spec:
          template:
            metadata: {labels: {app: migrate}}
            spec:
              initContainers: [{name: i, ports: [{name: warm, containerPort: 8000}]}]
              containers: [{name: c}]
      `),
      cronJob('{containers: [{name: c, ports: [{containerPort: 8443, protocol: SCTP}]}]}'),
    ].join('---\n');
    const c = cluster(text);
    const w = byName(c.workloads);
    expect(c.workloads!.map((x) => x.kind)).toEqual(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ReplicationController', 'Job', 'CronJob']);
    expect(w['web']).toEqual({
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      labels: { app: 'web', tier: 'web' },
      ports: [{ port: 80, protocol: 'TCP', init: false }],
      hostNetwork: false,
    });
    expect(w['db']!.ports).toEqual([{ name: 'sql', port: 5432, protocol: 'TCP', init: false }]);
    expect(w['agent']!.hostNetwork).toBe(true);
    expect(w['agent']!.ports).toEqual([{ port: 9100, protocol: 'UDP', init: false }]);
    expect(w['rc']!.labels).toEqual({ app: 'rc' });
    expect(w['migrate']!.ports).toEqual([{ name: 'warm', port: 8000, protocol: 'TCP', init: true }]);
    expect(w['report']).toMatchObject({ kind: 'CronJob', labels: { app: 'report' }, ports: [{ port: 8443, protocol: 'SCTP', init: false }] });
    expect(c.pods).toEqual([]);
  });

  it('a workload without a namespace takes the default one, like a pod', () => {
    const r = loadFiles([join(FIXTURE, 'manifests')], { defaultNamespace: 'boutique' });
    expect(r.cluster!.workloads!.every((w) => w.namespace === 'boutique')).toBe(true);
  });

  it('unknown fields are ignored, as on Pods (only the pod template is read)', () => {
    const c = cluster(apps('Deployment', 'web', 'containers: [{name: c, ports: [{containerPort: 80}]}]\nnotAField: 1', 'status: {weird: [1]}\n'));
    expect(c.workloads).toHaveLength(1);
  });

  it('a duplicate workload is an error naming the first', () => {
    const r = load([apps('Deployment', 'web'), apps('Deployment', 'web'), apps('StatefulSet', 'web')].join('---\n'));
    const e = expectRejected(r, { path: 'metadata.name', code: 'duplicate-object' });
    expect(e.message).toContain('Deployment shop/web is also defined at test.yaml:3');
    expect(errorsOf(r.issues)).toHaveLength(1); // a StatefulSet of the same name is another object
  });
});

describe('what the API server would reject', () => {
  it('bad container ports: Go field paths and lines under spec.template.spec', () => {
    const text = apps(
      'Deployment',
      'web',
      'containers:\n- name: c\n  ports:\n  - containerPort: 80\n  - containerPort: 70000\ninitContainers:\n- name: i\n  ports: [{name: Bad_Name, containerPort: 1}]',
    );
    const r = load(text);
    const port = expectRejected(r, { path: 'spec.template.spec.containers[0].ports[1].containerPort', code: 'invalid-port' });
    expect(port.line).toBe(text.split('\n').findIndex((l) => l.includes('70000')) + 1);
    expect(port.object).toBe('Deployment shop/web');
    expect(port.message).toBe('spec.template.spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive');
    expectIssue(r.issues, 'error', { path: 'spec.template.spec.initContainers[0].ports[0].name', code: 'invalid-port-name' });
  });

  it('a CronJob’s paths go through spec.jobTemplate.spec.template', () => {
    const r = load(cronJob('{hostNetwork: "yes", containers: [{name: c, ports: [{containerPort: 80, protocol: ICMP}]}]}'));
    expectRejected(r, { path: 'spec.jobTemplate.spec.template.spec.containers[0].ports[0].protocol', code: 'unsupported-protocol' });
    const e = expectIssue(r.issues, 'error', { path: 'spec.jobTemplate.spec.template.spec.hostNetwork', code: 'wrong-type' });
    expect(e.line).toBe(9);
  });

  it('the selector must match the template labels', () => {
    const text = apps('Deployment', 'web').replace('selector: {matchLabels: {app: web}}', 'selector: {matchLabels: {app: api}}');
    const r = load(text);
    const e = expectRejected(r, { path: 'spec.template.metadata.labels', code: 'selector-mismatch', type: 'Invalid value' });
    expect(e.message).toBe('spec.template.metadata.labels: Invalid value: {"app":"web","tier":"web"}: `selector` does not match template `labels`');
    expect(e.line).toBe(7);
  });

  it('matchExpressions count: a NotIn the labels fail is a mismatch', () => {
    const text = apps('StatefulSet', 'db').replace(
      'selector: {matchLabels: {app: db}}',
      'selector: {matchLabels: {app: db}, matchExpressions: [{key: tier, operator: NotIn, values: [web]}]}',
    );
    expectRejected(load(text), { path: 'spec.template.metadata.labels', code: 'selector-mismatch' });
  });

  it('apps/v1 requires a non-empty selector', () => {
    const none = load(apps('DaemonSet', 'agent').replace('  selector: {matchLabels: {app: agent}}\n', ''));
    expectRejected(none, { path: 'spec.selector', code: 'field-required', type: 'Required value' });
    const empty = load(apps('DaemonSet', 'agent').replace('selector: {matchLabels: {app: agent}}', 'selector: {}'));
    const e = expectRejected(empty, { path: 'spec.selector', code: 'selector-empty' });
    expect(e.message).toContain('empty selector is invalid for daemonset');
    const bad = load(apps('ReplicaSet', 'rs').replace('{matchLabels: {app: rs}}', '{matchLabels: {app: rs}, matchExpressions: [{key: app, operator: Is}]}'));
    expectRejected(bad, { path: 'spec.selector.matchExpressions[0].operator', code: 'invalid-selector-operator' });
  });

  it('a Job’s selector is optional (generated), and checked when given, as in a kubectl dump', () => {
    const job = (selector: string) =>
      dedent(`
        apiVersion: batch/v1
        kind: Job
        metadata: {name: j, namespace: shop}
        spec:
          ${selector}
          template:
            metadata: {labels: {batch.kubernetes.io/controller-uid: abc, job-name: j}}
            spec: {containers: [{name: c}]}
      `);
    expect(cluster(job('')).workloads).toHaveLength(1);
    expect(cluster(job('selector: {matchLabels: {batch.kubernetes.io/controller-uid: abc}}')).workloads).toHaveLength(1);
    expectRejected(load(job('selector: {matchLabels: {batch.kubernetes.io/controller-uid: xyz}}')), {
      path: 'spec.template.metadata.labels',
      code: 'selector-mismatch',
    });
  });

  it('a ReplicationController’s map selector defaults to the template labels and must match them', () => {
    const rc = (selector: string, labels = '{app: rc}') =>
      `apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  ${selector}\n  template:\n    metadata: {labels: ${labels}}\n    spec: {containers: [{name: c}]}\n`;
    expect(cluster(rc('selector: {app: rc}')).workloads![0]!.labels).toEqual({ app: 'rc' });
    expectRejected(load(rc('selector: {app: other}')), { path: 'spec.template.metadata.labels', code: 'selector-mismatch' });
    expectRejected(load(rc('', '{}')), { path: 'spec.selector', code: 'field-required' });
  });

  it('a template, with containers, is required', () => {
    const noTemplate = load('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: d}}\n');
    expectRejected(noTemplate, { path: 'spec.template', code: 'field-required' });
    expectRejected(load('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n'), { path: 'spec', code: 'field-required' });
    expectRejected(load(apps('Deployment', 'web', 'containers: []')), { path: 'spec.template.spec.containers', code: 'field-required' });
    const cron = load('apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {schedule: "* * * * *"}\n');
    expectRejected(cron, { path: 'spec.jobTemplate', code: 'field-required' });
    // A part of the wrong type is one problem, not also a missing one.
    for (const [text, path] of [
      [apps('Deployment', 'web').replace(/ {2}template:\n[\s\S]*$/, '  template: []\n'), 'spec.template'],
      [apps('Deployment', 'web').replace(/ {4}spec:\n[\s\S]*$/, '    spec: x\n'), 'spec.template.spec'],
      ['apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: 3\n', 'spec'],
    ] as const)
      expect(errorsOf(load(text).issues).map((i) => [i.path, i.code])).toEqual([[path, 'wrong-type']]);
  });

  it('template labels are validated as labels', () => {
    const r = load(apps('Deployment', 'web').replace('tier: web', 'tier: "not valid!"'));
    expectRejected(r, { path: 'spec.template.metadata.labels', code: 'invalid-label-value' });
  });

  it('a CronJob name is at most 52 characters (its Jobs add 11)', () => {
    const name = 'c'.repeat(53);
    const r = load(
      `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: ${name}}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec: {containers: [{name: c}]}\n`,
    );
    const e = expectRejected(r, { path: 'metadata.name', code: 'invalid-name' });
    expect(e.message).toContain('must be no more than 52 characters');
  });

  it('every problem of every object is listed, with file and line', () => {
    const text = [
      apps('Deployment', 'a').replace('containerPort: 80', 'containerPort: 0'),
      apps('Deployment', 'b').replace('{matchLabels: {app: b}}', '{matchLabels: {app: x}}'),
      apps('StatefulSet', 'c').replace('containerPort: 80', 'containerPort: "80"'),
    ].join('---\n');
    const r = load(text);
    expect(r.cluster).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => [i.document, i.path, i.file, i.line])).toEqual([
      [0, 'spec.template.spec.containers[0].ports[0].containerPort', 'test.yaml', 9],
      [1, 'spec.template.metadata.labels', 'test.yaml', 17],
      [2, 'spec.template.spec.containers[0].ports[0].containerPort', 'test.yaml', 29], // a string: the type error only (no Required beside it)
    ]);
  });

  it('apiVersion: old and wrong versions of a workload kind are errors; a custom resource of the same kind name is skipped', () => {
    for (const [apiVersion, kind] of [
      ['extensions/v1beta1', 'Deployment'],
      ['apps/v1beta2', 'DaemonSet'],
      ['v1', 'Deployment'],
      ['batch/v1beta1', 'CronJob'],
      ['apps/v1', 'Job'],
    ]) {
      const r = load(apps('Deployment', 'web').replace('apiVersion: apps/v1\nkind: Deployment', `apiVersion: ${apiVersion}\nkind: ${kind}`));
      const e = expectRejected(r, { path: 'apiVersion', code: 'unsupported-api-version' });
      expect(e.line).toBe(1);
    }
    const volcano = load('apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: train}\nspec: {tasks: []}\n');
    expect(volcano.cluster!.workloads).toBeUndefined();
    const w = expectIssue(volcano.issues, 'warning', { path: 'kind', code: 'skipped-kind' });
    expect(w.message).toContain('Job of batch.volcano.sh/v1alpha1 is not the Kubernetes Job (batch/v1)');
  });
});

const pod = (name: string, refs: string, labels = '{app: web}') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: shop\n  labels: ${labels}\n  ownerReferences:\n${refs}spec: {containers: [{name: c}]}\n`;
const ref = (kind: string, name: string, controller = true, apiVersion = 'apps/v1') =>
  `  - {apiVersion: ${apiVersion}, kind: ${kind}, name: ${name}, uid: u-${name}, controller: ${controller}}\n`;
const ownedRS = (name: string, owner: string) =>
  apps('ReplicaSet', name).replace(
    'metadata: {name: ' + name + ', namespace: shop}',
    `metadata:\n  name: ${name}\n  namespace: shop\n  ownerReferences:\n${ref('Deployment', owner)}`,
  );

describe('owners', () => {
  it('a pod of a ReplicaSet whose Deployment is in the input belongs to the Deployment', () => {
    const c = cluster([NS, apps('Deployment', 'web'), ownedRS('web-5d8f', 'web'), pod('web-5d8f-x1', ref('ReplicaSet', 'web-5d8f'))].join('---\n'));
    expect(c.pods[0]!.owner).toEqual({ kind: 'Deployment', name: 'web' });
    // The workload keeps its own controller: endpoints leave an owned ReplicaSet out.
    expect(byName(c.workloads)['web-5d8f']!.owner).toEqual({ kind: 'Deployment', name: 'web' });
    expect(byName(c.workloads)['web']!.owner).toBeUndefined();
  });

  it('a pod of a ReplicaSet absent from the input belongs to that ReplicaSet (netpol-analyzer names it ns/rs[ReplicaSet])', () => {
    const c = cluster([NS, apps('Deployment', 'web'), pod('web-5d8f-x1', ref('ReplicaSet', 'web-5d8f'))].join('---\n'));
    expect(c.pods[0]!.owner).toEqual({ kind: 'ReplicaSet', name: 'web-5d8f' });
  });

  it('a ReplicaSet in the input whose Deployment is absent stays the owner of its pods', () => {
    const c = cluster([NS, ownedRS('web-5d8f', 'web'), pod('web-5d8f-x1', ref('ReplicaSet', 'web-5d8f'))].join('---\n'));
    expect(c.pods[0]!.owner).toEqual({ kind: 'ReplicaSet', name: 'web-5d8f' });
  });

  it('a Job of a CronJob: its pods belong to the CronJob', () => {
    const cron = cronJob('{containers: [{name: c}]}');
    const job = dedent(`
      apiVersion: batch/v1
      kind: Job
      metadata:
        name: report-2901
        namespace: shop
        ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: report, uid: u1, controller: true}]
      spec:
        template:
          metadata: {labels: {app: report}}
          spec: {containers: [{name: c}]}
    `);
    const c = cluster([NS, cron, job, pod('report-2901-abc', ref('Job', 'report-2901', true, 'batch/v1'), '{app: report}')].join('---\n'));
    expect(c.pods[0]!.owner).toEqual({ kind: 'CronJob', name: 'report' });
  });

  it('only a controller reference makes an owner; a Node (a static pod’s mirror) does not', () => {
    const c = cluster(
      [NS, pod('a', ref('ConfigMap', 'cm', false, 'v1')), pod('b', ref('Node', 'node-1', true, 'v1')), pod('c', ref('StatefulSet', 'db'))].join('---\n'),
    );
    expect(c.pods.map((p) => p.owner)).toEqual([undefined, undefined, { kind: 'StatefulSet', name: 'db' }]);
    expect('owner' in c.pods[0]!).toBe(false);
  });

  it('owner references: kind and name required, controller a boolean, at most one controller', () => {
    const r = load(
      [
        NS,
        pod('a', '  - {apiVersion: apps/v1, name: x, uid: u, controller: true}\n'),
        pod('b', '  - {apiVersion: apps/v1, kind: ReplicaSet, uid: u, controller: "true"}\n'),
        pod('c', ref('ReplicaSet', 'x') + ref('StatefulSet', 'db')),
      ].join('---\n'),
    );
    expect(r.cluster).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => [i.object, i.path, i.code])).toEqual([
      ['Pod shop/a', 'metadata.ownerReferences[0].kind', 'field-required'],
      ['Pod shop/b', 'metadata.ownerReferences[0].name', 'field-required'],
      ['Pod shop/b', 'metadata.ownerReferences[0].controller', 'wrong-type'],
      ['Pod shop/c', 'metadata.ownerReferences', 'multiple-controllers'],
    ]);
    const multi = errorsOf(r.issues)[3]!;
    expect(multi.message).toContain('Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/x, StatefulSet/db');
  });

  it('pods of a ReplicaSet absent from the input beside the Deployment that made it: a warning says they are two endpoints and what to add', () => {
    const hashed = (name: string) => pod(name, ref('ReplicaSet', 'web-5d8f'), '{app: web, pod-template-hash: 5d8f}');
    const r = load([NS, apps('Deployment', 'web'), hashed('web-5d8f-x1'), hashed('web-5d8f-x2')].join('---\n'));
    const w = warningsOf(r.issues).filter((i) => i.code === 'owner-not-in-input');
    expect(w.map((i) => [i.object, i.message])).toEqual([
      [
        'ReplicaSet shop/web-5d8f',
        'pods of ReplicaSet shop/web-5d8f, which is not in the input, are the endpoint shop/web-5d8f[ReplicaSet], apart from Deployment shop/web (its template); add the ReplicaSet to the input (kubectl get deployments,replicasets,pods) to group them under the Deployment',
      ],
    ]);
    expect(r.cluster!.pods.map((p) => p.owner)).toEqual([
      { kind: 'ReplicaSet', name: 'web-5d8f' },
      { kind: 'ReplicaSet', name: 'web-5d8f' },
    ]);
    // No warning with the ReplicaSet in the input, without the Deployment, or without the hash label.
    const none = (text: string) => expect(load(text).issues.filter((i) => i.code === 'owner-not-in-input')).toEqual([]);
    none([NS, apps('Deployment', 'web'), ownedRS('web-5d8f', 'web'), hashed('web-5d8f-x1')].join('---\n'));
    none([NS, hashed('web-5d8f-x1')].join('---\n'));
    none([NS, apps('Deployment', 'web'), pod('web-5d8f-x1', ref('ReplicaSet', 'web-5d8f'))].join('---\n'));
  });

  it('an ownership cycle (impossible in a cluster) ends where it closes', () => {
    const a = apps('ReplicaSet', 'a').replace(
      'metadata: {name: a, namespace: shop}',
      `metadata:\n  name: a\n  namespace: shop\n  ownerReferences:\n${ref('ReplicaSet', 'b')}`,
    );
    const b = apps('ReplicaSet', 'b').replace(
      'metadata: {name: b, namespace: shop}',
      `metadata:\n  name: b\n  namespace: shop\n  ownerReferences:\n${ref('ReplicaSet', 'a')}`,
    );
    const c = cluster([NS, a, b, pod('p', ref('ReplicaSet', 'a'))].join('---\n'));
    expect(c.pods[0]!.owner).toEqual({ kind: 'ReplicaSet', name: 'b' });
  });

  it('an owner is looked up in the pod’s own namespace', () => {
    const other = apps('Deployment', 'web').replace('namespace: shop', 'namespace: other');
    const rs = ownedRS('web-5d8f', 'web').replace('namespace: shop', 'namespace: other');
    const c = cluster([NS, other, rs, pod('web-5d8f-x1', ref('ReplicaSet', 'web-5d8f'))].join('---\n'));
    expect(c.pods[0]!.owner).toEqual({ kind: 'ReplicaSet', name: 'web-5d8f' });
  });
});

describe('skipped kinds', () => {
  it('Ingress and Route are skipped with a warning that says why', () => {
    const text = [
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec: {rules: []}\n',
      'apiVersion: route.openshift.io/v1\nkind: Route\nmetadata: {name: web, namespace: shop}\nspec: {to: {kind: Service, name: web}}\n',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web}\n',
    ].join('---\n');
    const r = load(text);
    expect(r.cluster).toBeDefined();
    const skipped = warningsOf(r.issues).filter((i) => i.code === 'skipped-kind');
    expect(skipped.map((i) => [i.document, i.path, i.line, i.object])).toEqual([
      [0, 'kind', 2, 'Ingress'],
      [1, 'kind', 7, 'Route'],
      [2, 'kind', 12, 'HTTPRoute'],
    ]);
    expect(skipped[0]!.message).toMatch(/^kind: Ingress not evaluated: .*ingress controller.*its own pods/);
    expect(skipped[1]!.message).toMatch(/^kind: Route not evaluated: /);
  });

  it('--strict does not refuse an Ingress (it is no policy)', () => {
    const r = load('apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n', { strict: true });
    expect(r.cluster).toBeDefined();
  });
});

describe('namespaces used but absent', () => {
  it('one warning per namespace, naming who uses it; it joins the cluster with only its name label', () => {
    const text = [
      apps('Deployment', 'web').replace('namespace: shop', 'namespace: ghost'),
      apps('StatefulSet', 'db').replace('namespace: shop', 'namespace: ghost'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ghost}\n',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: ghost}\nspec: {podSelector: {}}\n',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: phantom}\nspec: {podSelector: {}}\n',
    ].join('---\n');
    const r = load(text);
    expect(r.cluster!.namespaces).toEqual([
      { name: 'ghost', labels: { 'kubernetes.io/metadata.name': 'ghost' } },
      { name: 'phantom', labels: { 'kubernetes.io/metadata.name': 'phantom' } },
    ]);
    const w = warningsOf(r.issues).filter((i) => i.code === 'namespace-not-found');
    expect(w.map((i) => i.message)).toEqual([
      'namespace ghost is used by Pod ghost/p, Deployment ghost/web, StatefulSet ghost/db and 1 more but not in the input; assuming its only label is kubernetes.io/metadata.name=ghost',
      'namespace phantom is used by NetworkPolicy phantom/deny but not in the input; assuming its only label is kubernetes.io/metadata.name=phantom',
    ]);
  });

  it('a Service counts as a user too', () => {
    const r = load('apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ghost}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n');
    expect(r.cluster!.namespaces.map((n) => n.name)).toEqual(['ghost']);
    expect(warningsOf(r.issues).map((i) => i.message)).toContain(
      'namespace ghost is used by Service ghost/web but not in the input; assuming its only label is kubernetes.io/metadata.name=ghost',
    );
  });

  it('no warning for a namespace the input holds', () => {
    const r = load([NS, apps('Deployment', 'web')].join('---\n'));
    expect(r.issues.filter((i) => i.code === 'namespace-not-found')).toEqual([]);
  });
});

describe('Online Boutique (a Deployment-only repository)', () => {
  it('loads its 12 Deployments with their template ports; nothing else is needed', () => {
    const r = loadFiles([join(FIXTURE, 'manifests')]);
    expect(errorsOf(r.issues), brief(r.issues).join('\n')).toEqual([]);
    const c = r.cluster!;
    expect(c.pods).toEqual([]);
    expect(c.workloads!.map((w) => w.name)).toEqual([
      'emailservice',
      'checkoutservice',
      'recommendationservice',
      'frontend',
      'paymentservice',
      'productcatalogservice',
      'cartservice',
      'loadgenerator',
      'currencyservice',
      'shippingservice',
      'redis-cart',
      'adservice',
    ]);
    const w = byName(c.workloads);
    expect(c.workloads!.every((x) => x.kind === 'Deployment' && x.namespace === 'default')).toBe(true);
    expect(w['frontend']).toMatchObject({ labels: { app: 'frontend' }, ports: [{ port: 8080, protocol: 'TCP', init: false }], hostNetwork: false });
    expect(w['currencyservice']!.ports).toEqual([{ name: 'grpc', port: 7000, protocol: 'TCP', init: false }]);
    expect(w['loadgenerator']!.ports).toEqual([]); // its init container has no port
    // The default namespace is used but not given.
    expect(c.namespaces).toEqual([{ name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } }]);
    expect(warningsOf(r.issues).filter((i) => i.code === 'namespace-not-found')).toHaveLength(1);
  });

  it('with its NetworkPolicies', () => {
    const r = loadFiles([join(FIXTURE, 'manifests'), join(FIXTURE, 'network-policies')]);
    expect(r.cluster!.policies).toHaveLength(13);
    expect(r.cluster!.workloads).toHaveLength(12);
  });
});

describe('hostile values', () => {
  /** A valid object of each kind, and the paths netpol reads in it. */
  const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } };
  const objects: Record<string, unknown>[] = [
    ...['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].map((kind) => ({
      apiVersion: 'apps/v1',
      kind,
      metadata: { name: 'w', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'a' } }, template },
    })),
    { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'w' }, spec: { selector: { app: 'a' }, template } },
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'w' }, spec: { template } },
    { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'w' }, spec: { jobTemplate: { spec: { template } } } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ownerReferences: [{ kind: 'ReplicaSet', name: 'w', controller: true }] } },
  ];
  const PATHS = [
    ['spec'],
    ['metadata'],
    ['metadata', 'ownerReferences'],
    ['metadata', 'ownerReferences', 0],
    ['metadata', 'ownerReferences', 0, 'controller'],
    ['spec', 'selector'],
    ['spec', 'selector', 'matchLabels'],
    ['spec', 'template'],
    ['spec', 'jobTemplate'],
    ['spec', 'jobTemplate', 'spec'],
    ['spec', 'template', 'metadata'],
    ['spec', 'template', 'metadata', 'labels'],
    ['spec', 'template', 'spec'],
    ['spec', 'template', 'spec', 'containers'],
    ['spec', 'template', 'spec', 'containers', 0, 'ports'],
    ['spec', 'template', 'spec', 'hostNetwork'],
  ] as const;
  const setAt = (obj: unknown, path: readonly (string | number)[], value: unknown): unknown => {
    const copy = structuredClone(obj) as Record<string | number, unknown>;
    let cur = copy;
    for (const seg of path.slice(0, -1)) {
      if (typeof cur[seg] !== 'object' || cur[seg] === null) cur[seg] = typeof path[path.indexOf(seg) + 1] === 'number' ? [] : {};
      cur = cur[seg] as Record<string | number, unknown>;
    }
    cur[path.at(-1)!] = value;
    return copy;
  };

  it('any JSON value at a field netpol reads is a list of issues or a workload, never a crash', () => {
    fc.assert(
      fc.property(fc.constantFrom(...objects), fc.constantFrom(...PATHS), fc.jsonValue({ maxDepth: 3 }), (object, path, value) => {
        const r = loadObjects([{ file: 'x', document: 0, value: setAt(object, path, value) as Record<string, unknown>, locate: () => undefined }]);
        if (!r.cluster) expect(r.issues.some((i) => i.severity === 'error')).toBe(true);
        else expect((r.cluster.workloads?.length ?? 0) + r.cluster.pods.length).toBe(1);
      }),
      { numRuns: runs(2000) },
    );
  });
});

describe('NetworkPolicy-only input is what it was', () => {
  it('no workloads key, and pods without owner references have no owner key', () => {
    const c = cluster([NS, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n'].join('---\n'));
    expect('workloads' in c).toBe(false);
    expect('owner' in c.pods[0]!).toBe(false);
  });
});
