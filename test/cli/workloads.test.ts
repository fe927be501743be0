// Workload manifests end to end through the CLI: a Deployment-only repository (Online
// Boutique), a Helm-style multi-document stream on stdin (the built binary), and the warnings a
// user sees for ingress objects and namespaces the manifests do not define.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { run } from '../../packages/core/src/cli/run.js';

const repo = join(import.meta.dirname, '../..');
const boutique = join(repo, 'test/fixtures/online-boutique');
const bin = join(repo, 'packages/core/dist/cli/main.js');

/** 1-based line of the first line containing `needle` after the first one containing `after`. */
function lineOf(text: string, needle: string, after = ''): number {
  const lines = text.split('\n');
  const from = lines.findIndex((l) => l.includes(after));
  return lines.findIndex((l, i) => i >= from && l.includes(needle)) + 1;
}

async function cli(...args: string[]) {
  const out: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { code, out: out.join('\n') };
}

/** What `helm template` prints: `# Source:` comments, documents of several kinds, one empty document. */
const HELM_STREAM = `---
# Source: shop/templates/namespace.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-web
  namespace: shop
  labels:
    app.kubernetes.io/instance: release
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      containers:
        - name: web
          image: "nginx:1.27"
          ports:
            - name: http
              containerPort: 8080
---
# Source: shop/templates/db.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: release-db
  namespace: shop
spec:
  serviceName: release-db
  selector:
    matchLabels:
      app.kubernetes.io/name: db
  template:
    metadata:
      labels:
        app.kubernetes.io/name: db
    spec:
      containers:
        - name: db
          image: "postgres:16"
          ports:
            - name: sql
              containerPort: 5432
---
# Source: shop/templates/backup.yaml
apiVersion: batch/v1
kind: CronJob
metadata:
  name: release-backup
  namespace: shop
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          labels:
            app.kubernetes.io/name: backup
        spec:
          restartPolicy: OnFailure
          containers:
            - name: backup
              image: "postgres:16"
---
# Source: shop/templates/ingress.yaml
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: release-web
  namespace: shop
spec:
  rules: []
---
# Source: shop/templates/netpol.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: db
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: web
      ports:
        - port: sql
---
`;

describe('validate on workload manifests', () => {
  test('a Deployment-only repository: its workloads are counted, not "0 pods" alone', async () => {
    const r = await cli('validate', '-f', join(boutique, 'manifests'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^valid: 1 namespaces, 0 pods, 12 workloads \(12 Deployment\), 12 services, 0 nodes, 0 network policies \(\d+ warning\(s\)\)$/m);
    expect(r.out).toMatch(
      /warning: .*namespace default is used by Deployment default\/emailservice, Deployment default\/checkoutservice, Deployment default\/recommendationservice and \d+ more but not in the input/,
    );
    expect(r.out).not.toMatch(/kind Deployment is not used/);
  });

  test('-o json counts workloads', async () => {
    const r = await cli('validate', '-f', join(boutique, 'manifests'), '-f', join(boutique, 'network-policies'), '-o', 'json');
    const j = JSON.parse(r.out) as { valid: boolean; counts: Record<string, number> };
    expect(j.valid).toBe(true);
    expect(j.counts).toMatchObject({ namespaces: 1, pods: 0, workloads: 12, policies: 13 });
  });

  test('a Helm-style stream on stdin (-f -): every kind read, the Ingress skipped with its reason', () => {
    const r = spawnSync(process.execPath, [bin, 'validate', '-f', '-'], { input: HELM_STREAM, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `warning: <stdin>:${lineOf(HELM_STREAM, 'kind: Ingress')} doc 4 Ingress: kind: Ingress not evaluated: netpol does not evaluate ingress routing`,
    );
    expect(r.stdout).toMatch(
      /^valid: 1 namespaces, 0 pods, 3 workloads \(1 Deployment, 1 StatefulSet, 1 CronJob\), 0 nodes, 1 network policies \(1 warning\(s\)\)$/m,
    );
  });

  test('a selector that does not match its template on stdin: exit 2, file:line and the field path', () => {
    const bad = HELM_STREAM.replace('      app.kubernetes.io/name: db\n  template', '      app.kubernetes.io/name: database\n  template');
    expect(bad).not.toBe(HELM_STREAM);
    const r = spawnSync(process.execPath, [bin, 'validate', '-f', '-'], { input: bad, encoding: 'utf8' });
    expect(r.status).toBe(2);
    const line = lineOf(bad, 'labels:', 'kind: StatefulSet');
    expect(r.stdout).toContain(
      `error: <stdin>:${line} doc 2 StatefulSet shop/release-db: spec.template.metadata.labels: Invalid value: {"app.kubernetes.io/name":"db"}: \`selector\` does not match template \`labels\``,
    );
    expect(r.stdout).toMatch(/^invalid: 1 error\(s\)/m);
  });

  test('a NetworkPolicy-only input prints the summary it always did', async () => {
    const r = await cli('validate', '-f', join(boutique, 'network-policies'));
    expect(r.out).toMatch(/^valid: 1 namespaces, 0 pods, 0 nodes, 13 network policies \(1 warning\(s\)\)$/m);
  });
});
