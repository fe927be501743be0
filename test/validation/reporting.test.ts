/**
 * Every problem is reported, not just the first, in the API server's order (§3.1), with
 * the document index and object of each.
 */
import { describe, expect, it } from 'vitest';
import { dedent, errorsOf, load, policyYaml } from './util.js';

describe('all problems are reported', () => {
  it('one policy with 5 different errors yields 5 errors', () => {
    const r = load(
      policyYaml(
        `
        podSelector:
          matchLabels: {"bad key": x}
        ingress:
        - ports: [{protocol: ICMP}]
          from: [{}]
        egress:
        - to: [{ipBlock: {cidr: 10.0.0.0/33}}]
        `,
        'name: Bad_Name\nnamespace: ns',
      ),
    );
    expect(r.cluster).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => i.check)).toEqual(['M2', 'S1', 'P1', 'R1', 'B2']);
  });

  it('two bad policies in two documents both report, each with its document index and object', () => {
    const text = [
      policyYaml('podSelector: {}\npolicyTypes: [Ingress, Sideways]', 'name: first\nnamespace: ns'),
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n',
      policyYaml('podSelector: {}\ningress:\n- ports: [{port: 0}]', 'name: second\nnamespace: ns'),
    ].join('---\n');
    const r = load(text);
    expect(r.cluster).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => ({ document: i.document, object: i.object, check: i.check, path: i.path, file: i.file }))).toEqual([
      { document: 0, object: 'NetworkPolicy ns/first', check: 'T2', path: 'spec.policyTypes[1]', file: 'test.yaml' },
      { document: 2, object: 'NetworkPolicy ns/second', check: 'P2', path: 'spec.ingress[0].ports[0].port', file: 'test.yaml' },
    ]);
  });

  it('a valid object next to a bad one does not hide the error and gives no cluster', () => {
    const text = [
      policyYaml('podSelector: {}', 'name: ok\nnamespace: ns'),
      policyYaml('podSelector: {}\npolicyTypes: [x, w, z]', 'name: bad\nnamespace: ns'),
    ].join('---\n');
    const r = load(text);
    expect(r.cluster).toBeUndefined();
    expect(errorsOf(r.issues).map((i) => [i.document, i.check])).toEqual([[1, 'T1']]);
  });
});

describe('error order follows §3.1 whatever the order of the YAML', () => {
  it('metadata, podSelector, ingress (ports then from), egress (ports then to), policyTypes', () => {
    // Keys are written in reverse so that document order cannot explain the result.
    const yaml = dedent(`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      spec:
        policyTypes: [Ingress, Egress, Sideways]
        egress:
        - to: [{}]
          ports: [{port: 0}]
        ingress:
        - from: [{namespaceSelector: {matchLabels: {"-a": b}}}]
          ports: [{protocol: tcp}]
        - from: [{ipBlock: {cidr: "1.2.3.0/24", except: [1.2.4.0/28]}}]
          ports: [{port: http, endPort: 90}]
        podSelector:
          matchExpressions: [{key: a, operator: Is}]
      metadata:
        namespace: Upper
        name: UPPER
    `);
    const r = load(yaml);
    expect(errorsOf(r.issues).map((i) => `${i.check} ${i.path}`)).toEqual([
      'M2 metadata.name',
      'M4 metadata.namespace',
      'S3 spec.podSelector.matchExpressions[0].operator',
      'P1 spec.ingress[0].ports[0].protocol',
      'S1 spec.ingress[0].from[0].namespaceSelector.matchLabels',
      'P6 spec.ingress[1].ports[0].endPort',
      'B7 spec.ingress[1].from[0].ipBlock.except[0]',
      'P2 spec.egress[0].ports[0].port',
      'R1 spec.egress[0].to[0]',
      'T1 spec.policyTypes',
    ]);
  });

  it('inside a port: protocol, port, then endPort (P4 before P5)', () => {
    const r = load(policyYaml('podSelector: {}\ningress:\n- ports: [{endPort: 0, port: 65536, protocol: ICMP}]'));
    expect(errorsOf(r.issues).map((i) => `${i.check} ${i.path}`)).toEqual([
      'P1 spec.ingress[0].ports[0].protocol',
      'P2 spec.ingress[0].ports[0].port',
      'P4 spec.ingress[0].ports[0].endPort',
      'P5 spec.ingress[0].ports[0].endPort',
    ]);
  });

  it('inside a peer: podSelector, namespaceSelector, ipBlock, then the peer-level R2', () => {
    const r = load(
      policyYaml(`
        podSelector: {}
        ingress:
        - from:
          - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}
            namespaceSelector: {matchLabels: {"-b": x}}
            podSelector: {matchLabels: {"-a": x}}
      `),
    );
    expect(errorsOf(r.issues).map((i) => `${i.check} ${i.path}`)).toEqual([
      'S1 spec.ingress[0].from[0].podSelector.matchLabels',
      'S1 spec.ingress[0].from[0].namespaceSelector.matchLabels',
      'B7 spec.ingress[0].from[0].ipBlock.except[0]',
      'R2 spec.ingress[0].from[0]',
    ]);
  });

  it('inside an expression: operator/values, then key, then each value', () => {
    const r = load(policyYaml('podSelector:\n  matchExpressions:\n  - {values: ["-x", ok, "y-"], key: "-k", operator: Exists}'));
    expect(errorsOf(r.issues).map((i) => `${i.check} ${i.path}`)).toEqual([
      'S5 spec.podSelector.matchExpressions[0].values',
      'S6 spec.podSelector.matchExpressions[0].key',
      'S7 spec.podSelector.matchExpressions[0].values[0]',
      'S7 spec.podSelector.matchExpressions[0].values[2]',
    ]);
  });

  it('inside a selector: matchLabels before matchExpressions (upstream ValidateLabelSelector)', () => {
    const r = load(policyYaml('podSelector:\n  matchExpressions: [{key: a, operator: Is}]\n  matchLabels: {"-a": b}'));
    expect(errorsOf(r.issues).map((i) => `${i.check} ${i.path}`)).toEqual([
      'S1 spec.podSelector.matchLabels',
      'S3 spec.podSelector.matchExpressions[0].operator',
    ]);
  });

  it('rules and list entries in index order', () => {
    const r = load(policyYaml('podSelector: {}\negress:\n- ports: [{port: 0}, {port: 1}, {port: -5}]\n- to: [{}, {podSelector: {}}, {}]'));
    expect(errorsOf(r.issues).map((i) => i.path)).toEqual([
      'spec.egress[0].ports[0].port',
      'spec.egress[0].ports[2].port',
      'spec.egress[1].to[0]',
      'spec.egress[1].to[2]',
    ]);
  });
});
