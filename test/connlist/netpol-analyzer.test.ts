// netpol-analyzer's published connlist examples (test/fixtures/netpol-analyzer, README there),
// reproduced line for line, and every place where netpol's output differs, with its reason.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { connectivity, type ConnectivityOptions } from '../../packages/core/src/analysis/connectivity.js';
import { formatConnlist, type ConnlistFormat } from '../../packages/core/src/analysis/connlist-format.js';
import { formatIssue, loadFiles, loadText } from '../../packages/core/src/index.js';
import type { Cluster } from '../../packages/core/src/model/types.js';

const root = join(import.meta.dirname, '../fixtures/netpol-analyzer');
const inputOf = (name: string): string => join(root, name, 'input');
const expected = (name: string, file: string): string => readFileSync(join(root, name, 'expected', file), 'utf8');

function load(name: string): Cluster {
  const r = loadFiles([inputOf(name)]);
  if (!r.cluster) throw new Error(r.issues.map(formatIssue).join('\n'));
  return r.cluster;
}

/** The input with one correction (`from` → `to` in `file`) that makes it valid for the API server. */
function loadCorrected(name: string, file: string, from: string, to: string): Cluster {
  const texts = readdirSync(inputOf(name)).map((f) => {
    const text = readFileSync(join(inputOf(name), f), 'utf8');
    if (f !== file) return text;
    expect(text).toContain(from);
    return text.replace(from, to);
  });
  const r = loadText(texts.join('\n---\n'));
  if (!r.cluster) throw new Error(r.issues.map(formatIssue).join('\n'));
  return r.cluster;
}

const COMPAT: ConnectivityOptions = { compat: 'netpol-analyzer' };
const report = (c: Cluster, format: ConnlistFormat, options: ConnectivityOptions = COMPAT): string => {
  const r = connectivity(c, options);
  return formatConnlist(r.connections(), format, { ignoreOtherProtocols: r.ignoreOtherProtocols, endpoints: r.endpoints });
};
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
/** Outputs published before netpol-analyzer named external blocks `...[External]`. */
const withoutExternalSuffix = (text: string): string => text.replace(/\[External\]/g, '');
const ingressAnalysis = (l: string): boolean =>
  l.includes('{ingress-controller}') || l.includes('{ingress-nginx}') || l.includes('{openshift-ingress-operator}');

describe('reproduced line for line', () => {
  test('anp_and_banp_using_networks_and_nodes_test: networks cut the destinations, nodes peers match nothing', () => {
    const out = report(load('anp_and_banp_using_networks_and_nodes_test'), 'txt');
    expect(out).toBe(expected('anp_and_banp_using_networks_and_nodes_test', 'connlist_output.txt'));
  });

  test('the same in the dataplane view (no pod address, no hostNetwork, no ICMP-only difference here)', () => {
    const out = report(load('anp_and_banp_using_networks_and_nodes_test'), 'txt', {});
    expect(out).toBe(expected('anp_and_banp_using_networks_and_nodes_test', 'connlist_output.txt'));
  });

  for (const format of ['txt', 'md', 'csv', 'json'] as const) {
    test(`demo_app_with_routes_and_ingress (docs/connlist_output.md), ${format}: every line but the Ingress/Route analysis'`, () => {
      const want = lines(expected('demo_app_with_routes_and_ingress', `connlist_output.${format}`));
      const got = lines(withoutExternalSuffix(report(load('demo_app_with_routes_and_ingress'), format)));
      if (format === 'json') {
        const parsed = JSON.parse(want.join('\n')) as { src: string }[];
        expect(JSON.parse(got.join('\n'))).toEqual(parsed.filter((e) => !ingressAnalysis(e.src)));
      } else expect(got).toEqual(want.filter((l) => !ingressAnalysis(l)));
    });
  }

  test('demo_app_with_routes_and_ingress, dot: the same graph without the ingress controller node and edges', () => {
    const want = lines(expected('demo_app_with_routes_and_ingress', 'connlist_output.dot')).filter((l) => !ingressAnalysis(l));
    expect(lines(withoutExternalSuffix(report(load('demo_app_with_routes_and_ingress'), 'dot')))).toEqual(want);
  });

  test('k8s_ingress_test: pods with ReplicaSet owners, --focus-workload by name; every line but the Ingress analysis', () => {
    const want = lines(expected('k8s_ingress_test', 'focus_workload_details-v1-79f774bdb9_connlist_output.txt')).filter((l) => !ingressAnalysis(l));
    const got = lines(withoutExternalSuffix(report(load('k8s_ingress_test'), 'txt', { ...COMPAT, focusWorkload: ['details-v1-79f774bdb9'] })));
    expect(got).toEqual(want);
    // namespace/name matches the same workload
    expect(lines(withoutExternalSuffix(report(load('k8s_ingress_test'), 'txt', { ...COMPAT, focusWorkload: ['default/details-v1-79f774bdb9'] })))).toEqual(
      want,
    );
  });

  test('anp_test_3_pass_traffic: a Pass to NetworkPolicy (input corrected: the ANP pods peer needs its podSelector)', () => {
    const c = loadCorrected(
      'anp_test_3_pass_traffic',
      'policies.yaml',
      '            kubernetes.io/metadata.name: bar-ns\n    ports:',
      '            kubernetes.io/metadata.name: bar-ns\n        podSelector: {}\n    ports:',
    );
    expect(lines(withoutExternalSuffix(report(c, 'txt')))).toEqual(lines(expected('anp_test_3_pass_traffic', 'connlist_output.txt')));
  });

  test('anp_test_1_deny_traffic_at_cluster_level: an Admin Deny of all ingress from pods (input corrected: selector matching the template labels)', () => {
    const c = loadCorrected('anp_test_1_deny_traffic_at_cluster_level', 'deployments.yaml', '      app: sensitive\n  template', '      app: bar\n  template');
    expect(report(c, 'txt')).toBe(expected('anp_test_1_deny_traffic_at_cluster_level', 'connlist_output.txt'));
  });

  test('netpol_named_port_test_2: named ports resolved per destination pod (input corrected: containerport → containerPort)', () => {
    const c = loadCorrected('netpol_named_port_test_2', 'pods.yaml', 'containerport: 3535', 'containerPort: 3535');
    const want = lines(expected('netpol_named_port_test_2', 'connlist_output.txt'));
    const got = lines(withoutExternalSuffix(report(c, 'txt')));
    // netpol-analyzer prints the named ports it could not resolve on the pod (not-found; newport is SCTP on the pod, UDP in the rule);
    // such a port opens nothing.
    expect(want[2]).toBe('helloworld/pod-a[Deployment] => helloworld/new-pod[Deployment] : SCTP 8956,9090,not-found,UDP newport');
    expect(got).toEqual([want[0], want[1], 'helloworld/pod-a[Deployment] => helloworld/new-pod[Deployment] : SCTP 8956,9090']);
  });
});

test('anp_test_named_ports_multiple_peers: a named port in an Admin rule resolves on the destination pod (input corrected: no networks peer beside the named port)', () => {
  const c = loadCorrected('anp_test_named_ports_multiple_peers', 'policies.yaml', '    - networks:\n      - 104.154.164.170/32\n', '');
  const inCluster = (l: string): boolean => !/^[0-9]/.test(l) && !/=> [0-9]/.test(l);
  const got = lines(report(c, 'txt')).filter(inCluster);
  expect(got).toEqual(lines(expected('anp_test_named_ports_multiple_peers', 'connlist_output.txt')).filter(inCluster));
  expect(got).toContain('ns1/pod1[Deployment] => ns3/pod1[Deployment] : TCP 8080,UDP 80,5000-6000');
});

describe('published inputs the API server refuses: netpol refuses them too', () => {
  const refused: [string, RegExp][] = [
    ['anp_test_named_ports_multiple_peers', /networks\/nodes\/domainNames peer cannot be set with namedPorts/],
    ['anp_test_3_pass_traffic', /pods\.podSelector: Required value/],
    ['anp_test_1_deny_traffic_at_cluster_level', /`selector` does not match template `labels`/],
    ['netpol_named_port_test_2', /containerPort: Required value/],
  ];
  for (const [name, reason] of refused) {
    test(name, () => {
      const r = loadFiles([inputOf(name)]);
      expect(r.cluster).toBeUndefined();
      expect(
        r.issues
          .filter((i) => i.severity === 'error')
          .map(formatIssue)
          .join('\n'),
      ).toMatch(reason);
    });
  }
});
