// Issue 16's acceptance for lint: every check fires where it should and nowhere else, over the
// example stories (examples/*/cluster.yaml alone and with each scenario), Online Boutique (its
// workloads with its policies, and its policies alone) and the deliberately broken manifests of
// test/fixtures/lint/broken (each names on its first line, `# lint: <ids>`, the checks that must
// fire on it). Every check of every helper runs: a finding from any check not listed here fails.
// Each expected finding is justified from the manifests in a comment.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LINT_CHECKS, lintFiles } from '@netpol/core';

const repo = join(import.meta.dirname, '../..');

type Expected = readonly (readonly [id: string, object: string, path: string])[];

/** [id, object, path] of every finding, sorted; throws with the issues when the input does not load. */
function findings(paths: readonly string[]): [string, string, string][] {
  const r = lintFiles(paths.map((p) => join(repo, p)));
  if (!r.cluster) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.findings.map((f) => [f.id, f.object, f.path] as [string, string, string]).sort((a, b) => a.join().localeCompare(b.join()));
}
const sorted = (e: Expected) => [...e].map((x) => [...x]).sort((a, b) => a.join().localeCompare(b.join()));

/** The scenario directories of an example (each is linted with the example's cluster.yaml). */
const scenarios = (example: string): string[] =>
  readdirSync(join(repo, 'examples', example)).filter((d) => statSync(join(repo, 'examples', example, d)).isDirectory());

/** Expected findings per example scenario (`example/scenario`; `example` alone: cluster.yaml only). */
const EXAMPLES: Readonly<Record<string, Expected>> = {
  // cluster.yaml of every example holds namespaces, pods and nodes only: nothing to say.
  'account-service': [],
  // lockdown: account-service is isolated for egress and its only egress rule goes to the
  // database on 5432: DNS is blocked, the pitfall the README's flows show ("the egress
  // allow-list also blocks DNS"). The input has no kube-dns pod, so the check tried every address.
  'account-service/lockdown': [['egress-without-dns', 'NetworkPolicy production/account-service', 'spec.egress']],
  'cluster-tiers': [],
  // guardrails: Admin and Baseline ClusterNetworkPolicies with distinct priorities, subjects and
  // peers that match the pods of the input, NetworkPolicies with named peers and ports: clean.
  'cluster-tiers/guardrails': [],
  'my-ns': [],
  // correct: default deny, DNS to kube-dns for all pods, the cronjob to one /32 on port 80: clean.
  'my-ns/correct': [],
  // merged: (1) the policy that gave every pod DNS is gone, so web, egress-isolated by
  // default-deny-all, cannot resolve names (README: "web ... loses DNS"); (2) the cronjob's one
  // rule opens every port to every peer: TCP 80 to CoreDNS, UDP/TCP 53 to example.com.
  'my-ns/merged': [
    ['egress-without-dns', 'NetworkPolicy my-ns/default-deny-all', 'spec.policyTypes'],
    ['rule-cross-product', 'NetworkPolicy my-ns/allow-cronjob-egress', 'spec.egress[0]'],
  ],
  // ports-only: allow-dns has ports 53 and no `to`: DNS to any server (README: "port 53 is open
  // to any IP").
  'my-ns/ports-only': [['ports-without-peers', 'NetworkPolicy my-ns/allow-dns', 'spec.egress[0].ports']],
  'production-db': [],
  // or / and: the namespaceSelector env=production matches the declared namespace production,
  // the podSelectors match backend pods; the OR/AND difference is intended either way.
  'production-db/and': [],
  'production-db/or': [],
  'secure-pod': [],
  // allow-by-label: default-deny selects every pod, access-secure-pod matches secure-pod and its
  // peer allow-access=true matches client-labelled: clean.
  'secure-pod/allow-by-label': [],
  'three-tier': [],
  // no-ports and tiers: allow-frontend-from-anywhere has port 80 and no `from`: any source, in the
  // cluster or on the internet, reaches the frontend on 80. The story means it (a public
  // frontend), and the finding says exactly that; its fix (an explicit ipBlock 0.0.0.0/0, or the
  // ignore annotation) records the intent. Leaving out the ports of the backend and db rules
  // (no-ports) is not a finding of any check: the peers still hold.
  'three-tier/no-ports': [['ports-without-peers', 'NetworkPolicy shop/allow-frontend-from-anywhere', 'spec.ingress[0].ports']],
  'three-tier/tiers': [['ports-without-peers', 'NetworkPolicy shop/allow-frontend-from-anywhere', 'spec.ingress[0].ports']],
};

describe('the example stories', () => {
  const examples = readdirSync(join(repo, 'examples')).filter((d) => statSync(join(repo, 'examples', d)).isDirectory());

  test('every example and scenario has its expectation here', () => {
    expect(examples.flatMap((e) => [e, ...scenarios(e).map((s) => `${e}/${s}`)]).sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  test.each(Object.entries(EXAMPLES))('%s', (name, expected) => {
    const [example, scenario] = name.split('/');
    const paths = [`examples/${example}/cluster.yaml`, ...(scenario ? [`examples/${example}/${scenario}`] : [])];
    expect(findings(paths)).toEqual(sorted(expected));
  });
});

describe('Online Boutique (test/fixtures/online-boutique)', () => {
  // 12 Deployments and their Services with the project's own policies: deny-all for every pod,
  // then one policy per service whose peers (app=frontend, app=checkoutservice...) match the
  // Deployments' template labels, with numeric ports; frontend and loadgenerator open egress
  // with `- {}` (pod-specific, not namespace-wide). Nothing to report.
  test('manifests and network policies: no finding', () => {
    expect(findings(['test/fixtures/online-boutique/manifests', 'test/fixtures/online-boutique/network-policies'])).toEqual([]);
  });

  test('the policies alone: no finding either (selectors cannot be judged without workloads)', () => {
    expect(findings(['test/fixtures/online-boutique/network-policies'])).toEqual([]);
  });
});

describe('the broken manifests (test/fixtures/lint/broken)', () => {
  const dir = join(repo, 'test/fixtures/lint/broken');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const header = (f: string): string[] => {
    const m = /^# lint: (.+)$/.exec(readFileSync(join(dir, f), 'utf8').split('\n', 1)[0]!);
    if (!m) throw new Error(`${f}: the first line must be "# lint: <check ids>"`);
    return m[1]!.trim().split(/\s+/);
  };

  test('together they trigger every check', () => {
    const fired = new Set(files.flatMap((f) => findings([`test/fixtures/lint/broken/${f}`]).map(([id]) => id)));
    expect(LINT_CHECKS.map((c) => c.id).filter((id) => !fired.has(id))).toEqual([]);
  });

  test.each(files)('%s: exactly the checks its first line names fire, with every check enabled', (f) => {
    expect([...new Set(findings([`test/fixtures/lint/broken/${f}`]).map(([id]) => id))].sort()).toEqual(header(f).sort());
  });
});
