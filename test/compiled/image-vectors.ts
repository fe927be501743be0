/**
 * Corrupt images for both validators (JS: validate-image.test.ts, native: image-vectors.test.ts
 * in test/native): a valid image of a small dual-stack cluster, and per invariant of IMAGE.md
 * one or more copies with exactly that invariant broken, each with the invariant both must name.
 */
import { compile, readImage } from '@netpol/core';
import { IMAGE_INVARIANTS, type ImageInvariant } from '@netpol/core/internal';
import { cluster, flow } from '../helpers.js';
import { HEADER } from '../../packages/core/src/compile/layout.js';

const YAML = `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: ns, labels: {app: a}}
spec: {nodeName: n1}
status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}, {ip: 'fd00::1'}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: ns, labels: {app: b}}
spec: {nodeName: n1}
status: {podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}, {ip: 'fd00::2'}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: ns, labels: {app: c}}
status: {podIP: 10.0.1.3, podIPs: [{ip: 10.0.1.3}, {ip: 'fd00::3'}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress, Egress]
  ingress:
  - {from: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: 80}]}
  - {from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}}, {ipBlock: {cidr: 'fd00:1::/64', except: ['fd00:1::/96']}}], ports: [{port: 443, protocol: UDP}]}
  egress:
  - {to: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: 8080}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: guard}
spec:
  tier: Admin
  priority: 10
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: b}}}}
  ingress:
  - {name: no-c, action: Deny, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: c}}}}]}
  egress:
  - {name: web, action: Accept, to: [{domainNames: ['*.example.com', 'api.example.org']}], protocols: [{tcp: {destinationPort: {number: 443}}}]}
  - {name: dns, action: Pass, to: [{networks: [8.8.8.0/24, '2001:db8::/64']}]}
  - {name: rest, action: Deny, to: [{networks: [0.0.0.0/0]}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: floor}
spec:
  tier: Baseline
  priority: 5
  subject: {namespaces: {}}
  ingress:
  - {action: Deny, from: [{namespaces: {}}], protocols: [{udp: {destinationPort: {range: {start: 400, end: 500}}}}]}
`;

export const vectorCluster = cluster(YAML);
/** The valid image every vector starts from (a plain ArrayBuffer: copies are cheap). */
export const validImage = compile(vectorCluster).image as ArrayBuffer;

/** Flows over the cluster's addresses and prefixes, both families, a few ports. */
export const vectorFlows = (() => {
  const v4 = ['10.0.0.1', '10.0.0.2', '10.0.1.3', '192.168.2.9', '192.168.1.7', '8.8.8.8'];
  const v6 = ['fd00::1', 'fd00::2', 'fd00::3', 'fd00:1::1:0:0:5', 'fd00:1::7', '2001:db8::1', '::ffff:10.0.0.2'];
  const out = [];
  for (const group of [v4, v6]) {
    for (const s of group)
      for (const d of group)
        for (const [p, port] of [
          ['TCP', 80],
          ['TCP', 8080],
          ['UDP', 443],
          ['ICMP', 8],
        ] as const)
          out.push(flow(s, d, p, port));
  }
  return out;
})();

/** Header words, as compile/layout.ts names them (the contract's numbers: the native validator reads the same words). */
const H = HEADER;
/** Entry 1's first u32 word (ENTRY_STRIDE 8) and first u16 half (ENTRY_HALVES 16): vectors edit entry 1. */
const E = 8;
const Q = 16;
const section = (k: number) => ({ offset: H.sections + 2 * k, count: H.sections + 2 * k + 1 });
const LPM4 = section(0);
const LPM6 = section(1);
const ENTRIES = section(2);
const PORT_MAP = section(3);
const HOSTS6 = section(7);
const TIER_EGRESS = section(8);
const TIER_DECISIONS = section(10);
const POINTER = 0x80000000;

type Views = ReturnType<typeof readImage>;
export interface Vector {
  readonly name: string;
  readonly invariant: ImageInvariant;
  /** A corrupt copy of validImage. */
  readonly image: () => ArrayBuffer;
}

const copy = (): ArrayBuffer => validImage.slice(0);
const edit = (f: (v: Views) => void) => (): ArrayBuffer => {
  const b = copy();
  f(readImage(b));
  return b;
};
/** The first pointer slot of a trie at or after `from`, and its child chunk. */
const pointerAt = (t: Uint32Array, from = 0): { slot: number; child: number } => {
  for (let i = from; i < t.length; i++) if (t[i]! & POINTER) return { slot: i, child: t[i]! & 0x7fffffff };
  throw new Error('the vector cluster has no trie chunk here');
};

export const vectors: readonly Vector[] = [
  { name: 'a buffer shorter than the header', invariant: 'header-size', image: () => validImage.slice(0, 64) },
  { name: 'a buffer of a version 2 header (128 bytes)', invariant: 'header-size', image: () => validImage.slice(0, 128) },
  { name: 'bad magic', invariant: 'magic', image: edit((v) => void (v.header[0] = 0xdeadbeef)) },
  { name: 'version 1', invariant: 'version', image: edit((v) => void (v.header[1] = 1)) },
  { name: 'version 2', invariant: 'version', image: edit((v) => void (v.header[1] = 2)) },
  { name: 'a truncated buffer', invariant: 'byte-length', image: () => validImage.slice(0, validImage.byteLength - 64) },
  { name: 'length word one more', invariant: 'byte-length', image: edit((v) => void (v.header[2]! += 1)) },
  { name: 'entry stride 7', invariant: 'entry-stride', image: edit((v) => void (v.header[H.entryStride] = 7)) },
  { name: 'entry stride 16 (version 4)', invariant: 'entry-stride', image: edit((v) => void (v.header[H.entryStride] = 16)) },
  { name: 'an unknown flag bit', invariant: 'flags', image: edit((v) => void (v.header[H.flags]! |= 1 << 9)) },
  { name: 'portMap past the end', invariant: 'section-bounds', image: edit((v) => void (v.header[PORT_MAP.offset] = validImage.byteLength)) },
  { name: 'entries misaligned', invariant: 'section-bounds', image: edit((v) => void (v.header[ENTRIES.offset]! += 2)) },
  { name: 'a section inside the header', invariant: 'section-bounds', image: edit((v) => void (v.header[LPM4.offset] = 64)) },
  {
    name: 'tierDecisions at byte 128 (inside the 192-byte header)',
    invariant: 'section-bounds',
    image: edit((v) => void (v.header[TIER_DECISIONS.offset] = 128)),
  },
  { name: 'the tier egress matrix past the end', invariant: 'section-bounds', image: edit((v) => void (v.header[TIER_EGRESS.count] = validImage.byteLength)) },
  { name: 'a count overflowing 32 bits', invariant: 'section-bounds', image: edit((v) => void (v.header[LPM6.count] = 0xffffffff)) },
  { name: 'lpm6 over lpm4', invariant: 'section-overlap', image: edit((v) => void (v.header[LPM6.offset] = v.header[LPM4.offset]!)) },
  { name: 'tierDecisions over hosts6', invariant: 'section-overlap', image: edit((v) => void (v.header[TIER_DECISIONS.offset] = v.header[HOSTS6.offset]!)) },
  {
    name: 'entries over the end of lpm6',
    invariant: 'section-overlap',
    image: edit((v) => void (v.header[ENTRIES.offset] = v.header[LPM6.offset]! + 4 * v.header[LPM6.count]! - 4)),
  },
  { name: 'entryCount 0', invariant: 'entries-size', image: edit((v) => void (v.header[H.entryCount] = 0)) },
  { name: 'entryCount one more', invariant: 'entries-size', image: edit((v) => void (v.header[H.entryCount]! += 1)) },
  { name: 'portSetWords one more', invariant: 'port-classes', image: edit((v) => void (v.header[H.portSetWords]! += 1)) },
  { name: 'portSetCount one more', invariant: 'port-sets-size', image: edit((v) => void (v.header[H.portSetCount]! += 1)) },
  { name: 'portMap one short', invariant: 'port-map-size', image: edit((v) => void (v.header[PORT_MAP.count]! -= 1)) },
  { name: 'egress peer count huge', invariant: 'egress-matrix-size', image: edit((v) => void (v.header[H.egressPeerCount] = 0x7fffffff)) },
  { name: 'ingress group count 0', invariant: 'ingress-matrix-size', image: edit((v) => void (v.header[H.ingressGroupCount] = 0)) },
  {
    name: 'egress group maps longer than the matrix',
    invariant: 'egress-matrix-size',
    image: edit((v) => void (v.header[H.egressGroupCount] = v.egressMatrix.length)),
  },
  {
    name: 'tier egress columns not a multiple of nameClassCount',
    invariant: 'tier-matrix-size',
    image: edit((v) => void (v.header[H.tierEgressColCount]! += 1)),
  },
  { name: 'tier egress row count 0', invariant: 'tier-matrix-size', image: edit((v) => void (v.header[H.tierEgressRowCount] = 0)) },
  { name: 'tier ingress column count one more', invariant: 'tier-matrix-size', image: edit((v) => void (v.header[H.tierIngressColCount]! += 1)) },
  { name: 'tier egress matrix one cell short', invariant: 'tier-matrix-size', image: edit((v) => void (v.header[TIER_EGRESS.count]! -= 1)) },
  { name: 'tierDecisionCount 0', invariant: 'tier-decisions-size', image: edit((v) => void (v.header[H.tierDecisionCount] = 0)) },
  { name: 'tierDecisionCount one more', invariant: 'tier-decisions-size', image: edit((v) => void (v.header[H.tierDecisionCount]! += 1)) },
  { name: 'nameClassCount 0', invariant: 'name-classes', image: edit((v) => void (v.header[H.nameClassCount] = 0)) },
  { name: 'hosts6Slots not a power of two', invariant: 'hosts6-size', image: edit((v) => void (v.header[H.hosts6Slots] = 3)) },
  { name: 'lpm4 shorter than the root', invariant: 'trie-size', image: edit((v) => void (v.header[LPM4.count] = 65535)) },
  { name: 'an lpm4 root slot pointing into the root', invariant: 'trie-child', image: edit((v) => void (v.lpm4[0x0a00] = POINTER | 100)) },
  { name: 'an lpm4 pointer past the trie', invariant: 'trie-child', image: edit((v) => void (v.lpm4[0x0a00] = (POINTER | (v.lpm4.length - 255)) >>> 0)) },
  { name: 'an lpm6 pointer past the trie', invariant: 'trie-child', image: edit((v) => void (v.lpm6[pointerAt(v.lpm6).slot] = (POINTER | 0x7fffffff) >>> 0)) },
  { name: 'an lpm4 leaf past entryCount', invariant: 'trie-leaf', image: edit((v) => void (v.lpm4[0x0a00] = 0x7fffffff)) },
  { name: 'an lpm6 leaf equal to entryCount', invariant: 'trie-leaf', image: edit((v) => void (v.lpm6[0] = v.header[H.entryCount]!)) },
  {
    name: 'an lpm4 third-level slot pointing back (a loop)',
    invariant: 'trie-depth',
    image: edit((v) => {
      const level1 = pointerAt(v.lpm4, 0x0a00); // 10.0/16: the pods' /32s, two chunk levels
      const level2 = pointerAt(v.lpm4.subarray(0, level1.child + 256), level1.child);
      v.lpm4[level2.child] = (POINTER | level1.child) >>> 0;
    }),
  },
  {
    name: 'an lpm6 chunk pointing at itself',
    invariant: 'trie-depth',
    image: edit((v) => {
      const { child } = pointerAt(v.lpm6);
      v.lpm6[child + 7] = (POINTER | child) >>> 0;
    }),
  },
  { name: 'an entry with no egress row but a group', invariant: 'entry-map', image: edit((v) => void ((v.entries[E + 1] = 0), (v.entryHalves[Q + 6] = 1))) },
  {
    name: 'an entry ingress group past the groups',
    invariant: 'entry-map',
    image: edit((v) => void ((v.entries[E + 2] = v.ingressMatrix.length - 1), (v.entryHalves[Q + 7] = v.header[H.ingressGroupCount]!))),
  },
  {
    name: 'an entry ingress group 65535',
    invariant: 'entry-map',
    image: edit((v) => void ((v.entries[E + 2] = v.ingressMatrix.length - 1), (v.entryHalves[Q + 7] = 0xffff))),
  },
  { name: 'an entry egress row inside the group maps', invariant: 'entry-row', image: edit((v) => void (v.entries[E + 1] = 1)) },
  {
    name: 'an entry egress row whose cells run past the matrix',
    invariant: 'entry-row',
    image: edit((v) => void ((v.entryHalves[Q + 6] = 0), (v.egressMatrix[0] = 7), (v.entries[E + 1] = v.egressMatrix.length - 7))),
  },
  { name: 'an entry ingress row past the matrix', invariant: 'entry-row', image: edit((v) => void (v.entries[E + 2] = 0xffffffff)) },
  { name: 'an entry egress column past the matrix', invariant: 'entry-column', image: edit((v) => void (v.entryHalves[Q + 8] = v.header[9]!)) },
  { name: 'an entry ingress column 65535', invariant: 'entry-column', image: edit((v) => void (v.entryHalves[Q + 9] = 0xffff)) },
  { name: 'an entry ingress column past the matrix', invariant: 'entry-column', image: edit((v) => void (v.entryHalves[Q + 9] = v.header[11]!)) },
  {
    name: 'an entry tier egress row past the tier matrix',
    invariant: 'entry-tier-row',
    image: edit((v) => void (v.entryHalves[Q + 12] = v.header[H.tierEgressRowCount]!)),
  },
  { name: 'an entry tier ingress row 65535', invariant: 'entry-tier-row', image: edit((v) => void (v.entryHalves[Q + 13] = 0xffff)) },
  {
    name: 'an entry tier egress column whose name classes run past the matrix',
    invariant: 'entry-tier-column',
    image: edit((v) => void (v.entryHalves[Q + 14] = v.header[H.tierEgressColCount]! / v.header[H.nameClassCount]!)),
  },
  {
    name: 'an entry tier ingress column past the matrix',
    invariant: 'entry-tier-column',
    image: edit((v) => void (v.entryHalves[Q + 15] = v.header[H.tierIngressColCount]!)),
  },
  { name: 'a TCP port class out of range', invariant: 'port-class', image: edit((v) => void (v.portMap[80] = v.header[6]!)) },
  { name: 'an SCTP port class 65535', invariant: 'port-class', image: edit((v) => void (v.portMap[131072 + 65535] = 65535)) },
  {
    name: 'an egress cell past the port sets',
    invariant: 'port-set',
    image: edit((v) => void (v.egressMatrix[v.egressMatrix.length - 1] = v.header[H.portSetCount]!)),
  },
  { name: 'an ingress cell past the port sets', invariant: 'port-set', image: edit((v) => void (v.ingressMatrix[v.ingressMatrix.length - 1] = 0xffff)) },
  {
    name: 'a tier egress cell past the tier decisions',
    invariant: 'tier-cell',
    image: edit((v) => void (v.tierEgressMatrix[v.tierEgressMatrix.length - 1] = v.header[H.tierDecisionCount]!)),
  },
  { name: 'a tier ingress cell 0xffff', invariant: 'tier-cell', image: edit((v) => void (v.tierIngressMatrix[0] = 0xffff)) },
  {
    name: 'a tier decision naming a port set past portSetCount',
    invariant: 'tier-set',
    image: edit((v) => void (v.tierDecisions[v.tierDecisions.length - 1] = v.header[H.portSetCount]!)),
  },
  {
    name: 'tier decision 0 naming another port set',
    invariant: 'tier-decision-zero',
    image: edit((v) => void (v.tierDecisions[2] = v.header[H.portSetCount]! - 1)),
  },
  { name: 'port set 0 holding a class', invariant: 'tier-decision-zero', image: edit((v) => void (v.portSets[0] = 1)) },
  {
    name: 'an IPv6 host slot with an entry past entryCount',
    invariant: 'hosts6-entry',
    image: edit((v) => {
      for (let i = 4; i < v.hosts6.length; i += 5) if (v.hosts6[i] !== 0) v.hosts6[i] = v.header[H.entryCount]! + 1;
    }),
  },
  {
    name: 'an IPv6 host table without an empty slot',
    invariant: 'hosts6-empty',
    image: edit((v) => {
      for (let i = 4; i < v.hosts6.length; i += 5) if (v.hosts6[i] === 0) v.hosts6[i] = 1;
    }),
  },
];

/** Every invariant JS can meet has a vector ('alignment' only concerns native views). */
export const untested = (): ImageInvariant[] =>
  (Object.keys(IMAGE_INVARIANTS) as ImageInvariant[]).filter((i) => i !== 'alignment' && !vectors.some((v) => v.invariant === i));
