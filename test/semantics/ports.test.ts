// §1.6 and §2.5: port entries, ranges and named ports.
import { expect, test } from 'vitest';
import type { EvaluationOptions } from '@netpol/core';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, np, ns, pod, type Built, type Engine, type PodOptions } from './fixtures.js';

const SRC = '10.0.0.1';
const DST = '10.0.0.2';
const EXT = '203.0.113.9';

/** app/dst is isolated for ingress by the given `ports:` list (from anyone). */
function ingressWith(engine: Engine, ports: string, dstPod: PodOptions = {}, options: EvaluationOptions = {}): Built {
  return engine.build(
    [
      ns('app'),
      pod('app', 'src', SRC, { labels: { role: 'src' } }),
      pod('app', 'dst', DST, { labels: { role: 'dst' }, ...dstPod }),
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: dst}}
      ingress:
      - ports: ${ports}
    `,
      ),
    ],
    options,
  );
}

type Proto = 'TCP' | 'UDP' | 'SCTP';
const allows = (ev: Built, proto: Proto, port: number, src = SRC) => ev.verdict(flow(src, DST, proto, port)).allowed;

describeEach(ENGINES, 'protocol and numeric ports', (engine) => {
  test('protocol defaults to TCP', () => {
    const ev = ingressWith(engine, '[{port: 80}]');
    expect(allows(ev, 'TCP', 80)).toBe(true);
    expect(allows(ev, 'UDP', 80)).toBe(false);
    expect(allows(ev, 'SCTP', 80)).toBe(false);
  });

  test('a numeric port is an equality', () => {
    const ev = ingressWith(engine, '[{protocol: UDP, port: 53}]');
    expect(allows(ev, 'UDP', 53)).toBe(true);
    expect(allows(ev, 'UDP', 52)).toBe(false);
    expect(allows(ev, 'UDP', 54)).toBe(false);
    expect(allows(ev, 'TCP', 53)).toBe(false);
  });

  test('ports: [{}] is every TCP port, nothing else', () => {
    const ev = ingressWith(engine, '[{}]');
    expect(allows(ev, 'TCP', 1)).toBe(true);
    expect(allows(ev, 'TCP', 65535)).toBe(true);
    expect(allows(ev, 'UDP', 1)).toBe(false);
    expect(ev.verdict(flow(SRC, DST, 'ICMP')).allowed).toBe(false);
  });

  test('a protocol without port is every port of that protocol', () => {
    const ev = ingressWith(engine, '[{protocol: SCTP}]');
    expect(allows(ev, 'SCTP', 1)).toBe(true);
    expect(allows(ev, 'SCTP', 65535)).toBe(true);
    expect(allows(ev, 'TCP', 1)).toBe(false);
  });

  test('endPort range edges: port-1, port, endPort, endPort+1', () => {
    const ev = ingressWith(engine, '[{port: 32000, endPort: 32768}]');
    expect([31999, 32000, 32001, 32767, 32768, 32769].map((p) => allows(ev, 'TCP', p))).toEqual([false, true, true, true, true, false]);
    expect(allows(ev, 'UDP', 32000)).toBe(false);
  });

  test('endPort == port is a single port; a range can reach 65535', () => {
    const ev = ingressWith(engine, '[{port: 8080, endPort: 8080}, {protocol: UDP, port: 65000, endPort: 65535}]');
    expect([8079, 8080, 8081].map((p) => allows(ev, 'TCP', p))).toEqual([false, true, false]);
    expect([64999, 65000, 65535].map((p) => allows(ev, 'UDP', p))).toEqual([false, true, true]);
  });

  test('port entries are ORed; explain gives the first matching entry', () => {
    const ev = ingressWith(engine, '[{port: 80}, {port: 443}, {port: 400, endPort: 500}]');
    expect([80, 443, 450, 8080].map((p) => allows(ev, 'TCP', p))).toEqual([true, true, true, false]);
    if (!engine.explains) return;
    expect(ev.explain(flow(SRC, DST, 'TCP', 443)).ingressDetail.allowedBy).toEqual([
      { policy: 'app/p', direction: 'ingress', ruleIndex: 0, peerIndex: null, portIndex: 1 },
    ]);
    expect(ev.explain(flow(SRC, DST, 'TCP', 450)).ingressDetail.allowedBy).toMatchObject([{ portIndex: 2 }]);
    const miss = ev.explain(flow(SRC, DST, 'TCP', 8080));
    expect(miss.ingressDetail.rejected).toMatchObject([{ policy: 'app/p', ruleIndex: 0, peerMatched: true, portMatched: false }]);
  });
});

describeEach(ENGINES, 'named ports resolve on the destination pod', (engine) => {
  const web: PodOptions = {
    containers: [
      [
        ['http', 8080],
        ['dns', 53, 'UDP'],
        ['metrics', 9090, 'TCP'],
      ],
    ],
  };

  test('ingress: name, number and protocol of the subject pod', () => {
    const ev = ingressWith(engine, '[{port: http}, {protocol: UDP, port: dns}]', web);
    expect(allows(ev, 'TCP', 8080)).toBe(true);
    expect(allows(ev, 'TCP', 80)).toBe(false);
    expect(allows(ev, 'UDP', 8080)).toBe(false);
    expect(allows(ev, 'UDP', 53)).toBe(true);
    expect(allows(ev, 'TCP', 53)).toBe(false);
    expect(allows(ev, 'TCP', 9090)).toBe(false);
  });

  test('ingress: protocol mismatch between rule and container port never matches', () => {
    // dns is UDP on the pod; a TCP rule for it matches nothing. http is TCP; a UDP rule matches nothing.
    const ev = ingressWith(engine, '[{port: dns}, {protocol: UDP, port: http}]', web);
    expect(allows(ev, 'TCP', 53)).toBe(false);
    expect(allows(ev, 'UDP', 53)).toBe(false);
    expect(allows(ev, 'UDP', 8080)).toBe(false);
    expect(allows(ev, 'TCP', 8080)).toBe(false);
  });

  test('ingress: from an external source too (the name is looked up on the subject)', () => {
    const ev = ingressWith(engine, '[{port: http}]', web);
    expect(allows(ev, 'TCP', 8080, EXT)).toBe(true);
  });

  test('egress: resolved on the remote (destination) pod, not on the source', () => {
    const ev = engine.build([
      ns('app'),
      pod('app', 'src', SRC, { labels: { role: 'src' }, containers: [[['http', 9999]]] }),
      pod('app', 'dst', DST, web),
      pod('app', 'other', '10.0.0.3', { containers: [[['http', 7000, 'UDP']]] }),
      np(
        'app',
        'p',
        `
        podSelector: {matchLabels: {role: src}}
        policyTypes: [Egress]
        egress:
        - ports: [{port: http}]
      `,
      ),
    ]);
    expect(ev.verdict(flow(SRC, DST, 'TCP', 8080)).egress).toBe('allowed');
    expect(ev.verdict(flow(SRC, DST, 'TCP', 9999)).egress).toBe('denied');
    expect(ev.verdict(flow(SRC, '10.0.0.3', 'TCP', 7000)).egress).toBe('denied'); // protocol mismatch
    expect(ev.verdict(flow(SRC, '10.0.0.3', 'UDP', 7000)).egress).toBe('denied');
  });

  test('egress to an external IP: a named port never matches, even when an ipBlock covers it', () => {
    const ev = engine.build([
      ns('app'),
      pod('app', 'src', SRC, { labels: { role: 'src' }, containers: [[['https', 443]]] }),
      pod('app', 'dst', DST, { containers: [[['https', 443]]] }),
      np(
        'app',
        'named',
        `
        podSelector: {matchLabels: {role: src}}
        policyTypes: [Egress]
        egress:
        - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
          ports: [{port: https}]
      `,
      ),
    ]);
    expect(ev.verdict(flow(SRC, EXT, 'TCP', 443)).egress).toBe('denied');
    // The same rule does match the pod that the ipBlock also covers.
    expect(ev.verdict(flow(SRC, DST, 'TCP', 443)).egress).toBe('allowed');
    if (engine.explains)
      expect(ev.explain(flow(SRC, EXT, 'TCP', 443)).egressDetail.rejected).toMatchObject([
        { policy: 'app/named', ruleIndex: 0, peerMatched: true, portMatched: false },
      ]);
  });

  test('a numeric port to the same external IP does match (control)', () => {
    const ev = engine.build([
      ns('app'),
      pod('app', 'src', SRC, { labels: { role: 'src' } }),
      np(
        'app',
        'numeric',
        `
        podSelector: {matchLabels: {role: src}}
        policyTypes: [Egress]
        egress:
        - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
          ports: [{port: 443}]
      `,
      ),
    ]);
    expect(ev.verdict(flow(SRC, EXT, 'TCP', 443)).egress).toBe('allowed');
  });

  test('a name reused by two containers with different numbers: any of them matches', () => {
    const ev = ingressWith(engine, '[{port: web}]', { containers: [[['web', 8080]], [['web', 8443]]] });
    expect(allows(ev, 'TCP', 8080)).toBe(true);
    expect(allows(ev, 'TCP', 8443)).toBe(true);
    expect(allows(ev, 'TCP', 8081)).toBe(false);
  });

  test('init container ports count by default; initContainerPorts: false disables them', () => {
    const dst: PodOptions = { containers: [[['main', 8080]]], initContainers: [[['sidecar', 15001]]] };
    const on = ingressWith(engine, '[{port: main}, {port: sidecar}]', dst);
    expect(allows(on, 'TCP', 15001)).toBe(true);
    expect(allows(on, 'TCP', 8080)).toBe(true);
    const off = ingressWith(engine, '[{port: main}, {port: sidecar}]', dst, { initContainerPorts: false });
    expect(allows(off, 'TCP', 15001)).toBe(false);
    expect(allows(off, 'TCP', 8080)).toBe(true);
  });

  test('an unknown name matches nothing and is not an error', () => {
    const ev = ingressWith(engine, '[{port: nope}, {port: 81}]', web);
    expect(allows(ev, 'TCP', 8080)).toBe(false);
    expect(allows(ev, 'TCP', 81)).toBe(true);
    if (engine.explains) expect(ev.explain(flow(SRC, DST, 'TCP', 81)).ingressDetail.allowedBy).toMatchObject([{ portIndex: 1 }]);
  });

  test('a pod without container ports matches no named port', () => {
    const ev = ingressWith(engine, '[{port: http}]');
    expect(allows(ev, 'TCP', 8080)).toBe(false);
    expect(allows(ev, 'TCP', 80)).toBe(false);
  });
});
