/**
 * A changeable image (a live copy patched in place: `Kernel(image, { mutable: true })`, the
 * addon's `loadImage(bytes, false)`) is validated once, then its bytes may change under the
 * kernel. An index changed to point outside its section must make the flows that read it
 * malformed (0x80), never "allowed" where the unchanged image does not allow, never a throw
 * (IMAGE.md, "Changeable images"). Each case writes one index past its section after the kernels
 * were made: a trie leaf past the entries, a trie pointer past the trie, an entry's row,
 * group, column or tier row/column, a group-map offset, a matrix cell's port-set id, a tier
 * cell's decision id, a tier decision's port-set id, an IPv6 host slot. The native kernel is
 * checked too when the addon is loaded. An image that will not change is copied by both
 * kernels: writing the caller's buffer afterwards changes no verdict.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kernel, compile, type FlowBatch } from '@netpol/core';
import { syntheticCluster } from '@netpol/core/internal';
import { ENTRY, ENTRY_HALF, ENTRY_HALVES, ENTRY_STRIDE, HEADER, HOST6_STRIDE, MALFORMED, sectionViews } from '../../packages/core/src/compile/layout.js';
import { POINTER } from '../../packages/core/src/compile/lpm.js';
import { nativeBinding } from '../../packages/core/src/native/loader.js';

const binding = nativeBinding();
const cluster = syntheticCluster({ pods: 120, policies: 40, clusterPolicies: 8, seed: 21 });
const { image } = compile(cluster, { allowEgressToLocalNode: true });

/** 40 pod addresses (IPv4), every ordered pair of them a flow, three protocols and ports. */
const addrs = cluster.pods
  .filter((p) => !p.hostNetwork)
  .flatMap((p) => p.ips.filter((ip) => ip.family === 4).map((ip) => Number(ip.value)))
  .slice(0, 40);
const PORTS: [number, number][] = [
  [6, 8080],
  [6, 5432],
  [17, 53],
];
const count = addrs.length * addrs.length * PORTS.length;
const batch: FlowBatch = (() => {
  const src = new Uint32Array(count);
  const dst = new Uint32Array(count);
  const protocol = new Uint8Array(count);
  const port = new Uint16Array(count);
  let i = 0;
  for (const a of addrs)
    for (const b of addrs)
      for (const [p, n] of PORTS) {
        src[i] = a;
        dst[i] = b;
        protocol[i] = p;
        port[i++] = n;
      }
  return { count, src, dst, protocol, port };
})();
/** The same flows as IPv6 batch rows: IPv4 in the first word, family 4 (the general loop). */
const batch6: FlowBatch = (() => {
  const src = new Uint32Array(4 * count);
  const dst = new Uint32Array(4 * count);
  for (let i = 0; i < count; i++) {
    src[4 * i] = batch.src[i]!;
    dst[4 * i] = batch.dst[i]!;
  }
  return { ...batch, src, dst, family: new Uint8Array(count).fill(4) };
})();

const probe = new Kernel(image);
const before = new Uint8Array(count);
probe.verdictBatch(batch, before);

const KINDS = ['leaf', 'pointer', 'row', 'group', 'column', 'tierRow', 'tierColumn', 'groupMap', 'cell', 'tierCell', 'tierSet'] as const;
type Kind = (typeof KINDS)[number];

/** Trie slots an address's lookup reads, root first. */
function trieSlots(lpm4: Uint32Array, a: number): number[] {
  const slots = [a >>> 16];
  let v = lpm4[a >>> 16]!;
  for (const byte of [(a >>> 8) & 255, a & 255]) {
    if (!(v & POINTER)) break;
    slots.push((v & 0x7fffffff) + byte);
    v = lpm4[slots[slots.length - 1]!]!;
  }
  return slots;
}

/**
 * Writes one index of `buffer` past its section: `kind`, at the image place `pick` chooses
 * (among what the flows read), `over` (≥ 0) past the first out-of-range value. False when the
 * image has no such place or the field cannot hold an out-of-range value.
 */
function corrupt(buffer: ArrayBuffer | SharedArrayBuffer, kind: Kind, pick: number, over: number): boolean {
  const v = sectionViews(buffer);
  const h = v.header;
  const entries = h[HEADER.entryCount]!;
  const entry = probe.entry4(addrs[pick % addrs.length]!);
  const egress = (pick & 1) === 0;
  const u16 = (min: number): number | undefined => (min > 0xffff ? undefined : min + (over % (0x10000 - min)));
  const u32 = (min: number): number => min + (over % (0x7fffffff - min));
  const setHalf = (field: number, min: number): boolean => {
    const value = u16(min);
    if (value === undefined) return false;
    v.entryHalves[entry * ENTRY_HALVES + field] = value;
    return true;
  };
  const m = egress ? v.egressMatrix : v.ingressMatrix;
  const cols = h[egress ? HEADER.egressPeerCount : HEADER.ingressPeerCount]!;
  const maps = h[egress ? HEADER.egressGroupCount : HEADER.ingressGroupCount]! * cols;
  const tm = egress ? v.tierEgressMatrix : v.tierIngressMatrix;
  const tcols = h[egress ? HEADER.tierEgressColCount : HEADER.tierIngressColCount]!;
  const words = h[HEADER.portSetWords]!;
  switch (kind) {
    case 'leaf': {
      const slots = trieSlots(v.lpm4, addrs[pick % addrs.length]!);
      v.lpm4[slots[slots.length - 1]!] = u32(entries);
      return true;
    }
    case 'pointer': {
      const slots = trieSlots(v.lpm4, addrs[pick % addrs.length]!);
      v.lpm4[slots[(over >>> 3) % slots.length]!] = (POINTER | u32(v.lpm4.length)) >>> 0;
      return true;
    }
    case 'row':
      v.entries[entry * ENTRY_STRIDE + (egress ? ENTRY.egressRow : ENTRY.ingressRow)] = u32(m.length);
      return true;
    case 'group':
      return setHalf(egress ? ENTRY_HALF.egressGroup : ENTRY_HALF.ingressGroup, Math.ceil(m.length / cols));
    case 'column':
      return setHalf(egress ? ENTRY_HALF.egressCol : ENTRY_HALF.ingressCol, m.length);
    case 'tierRow':
      return setHalf(egress ? ENTRY_HALF.tierEgressRow : ENTRY_HALF.tierIngressRow, Math.ceil(tm.length / tcols));
    case 'tierColumn':
      return setHalf(egress ? ENTRY_HALF.tierEgressCol : ENTRY_HALF.tierIngressCol, tm.length);
    case 'groupMap': {
      // Rows start after the maps: an offset of at least the matrix length is outside from every row.
      const value = u16(m.length);
      if (value === undefined) return false;
      m[over % maps] = value;
      return true;
    }
    case 'cell': {
      const value = u16(Math.ceil(v.portSets.length / words));
      if (value === undefined || m.length === maps) return false;
      m[maps + (over % (m.length - maps))] = value;
      return true;
    }
    case 'tierCell': {
      const value = u16(Math.ceil(v.tierDecisions.length / 4));
      if (value === undefined || tm.length <= tcols) return false;
      tm[tcols + (over % (tm.length - tcols))] = value; // row 0 is never read
      return true;
    }
    case 'tierSet': {
      if (v.tierDecisions.length <= 4) return false;
      v.tierDecisions[4 + (over % (v.tierDecisions.length - 4))] = u32(Math.ceil(v.portSets.length / words));
      return true;
    }
  }
}

/** Every flow: a byte, allowed only where the unchanged image allows. The number of malformed flows. */
function checkBytes(out: Uint8Array, what: string): number {
  let malformed = 0;
  for (let i = 0; i < count; i++) {
    const b = out[i]!;
    if (b === MALFORMED) malformed++;
    else if ((b & 1) === 1 && (before[i]! & 1) === 0)
      expect.fail(`${what}: flow ${i} allowed (0x${b.toString(16)}), denied before (0x${before[i]!.toString(16)})`);
  }
  return malformed;
}

describe('a changeable image changed past its sections', () => {
  it('the test image has cluster-scoped policies and small enough sections for every kind', () => {
    const v = sectionViews(image);
    expect(v.tierDecisions.length).toBeGreaterThan(4);
    expect(v.egressMatrix.length).toBeLessThan(0x10000);
    expect(v.ingressMatrix.length).toBeLessThan(0x10000);
  });

  it('every kind, anywhere the flows read: malformed or no more allowed than before, in both kernels', () => {
    // Per kernel and kind, the malformed flows seen: each kind must be read by some flow.
    const malformed = new Map<string, number>();
    const add = (key: string, n: number) => malformed.set(key, (malformed.get(key) ?? 0) + n);
    fc.assert(
      // Two places of the same kind: two leaves past the entries, for one, make a flow between two unknown entries.
      fc.property(fc.constantFrom(...KINDS), fc.nat(), fc.nat(), fc.nat(), fc.nat(), (kind, pick, over, pick2, over2) => {
        const buffer = image.slice(0);
        const js = new Kernel(buffer, { mutable: true });
        const native = binding?.loadImage(new Uint8Array(buffer), false);
        if (!corrupt(buffer, kind, pick, over) || !corrupt(buffer, kind, pick2, over2)) return;
        const what = `${kind} at ${pick} and ${pick2}, ${over} and ${over2} past`;
        const out = new Uint8Array(count);
        js.verdictBatch(batch, out);
        add(`JS ${kind}`, checkBytes(out, `JS batch, ${what}`));
        for (let i = 0; i < count; i += 7)
          expect(js.verdict4(batch.src[i]!, batch.dst[i]!, batch.protocol[i]!, batch.port[i]!), `JS verdict4, ${what}`).toBe(out[i]);
        js.verdictBatch(batch6, out);
        checkBytes(out, `JS family batch, ${what}`);
        if (binding && native) {
          binding.verdictBatch(native, batch.src, batch.dst, batch.protocol, batch.port, out, count);
          add(`native ${kind}`, checkBytes(out, `native, ${what}`));
          binding.releaseImage(native);
        }
      }),
      { numRuns: 200 },
    );
    // Each kind was read by some flow at least once (else the case tested nothing).
    for (const kind of KINDS) {
      expect(malformed.get(`JS ${kind}`) ?? 0, `JS ${kind}`).toBeGreaterThan(0);
      if (binding) expect(malformed.get(`native ${kind}`) ?? 0, `native ${kind}`).toBeGreaterThan(0);
    }
  });

  it('an IPv6 host slot past the entries: malformed, not allowed', () => {
    const v6 = syntheticCluster({ pods: 60, policies: 20, seed: 4, dualStack: 1 });
    const compiled = compile(v6);
    const pods = v6.pods.filter((p) => !p.hostNetwork && p.ips.some((ip) => ip.family === 6)).slice(0, 10);
    const words = (x: bigint) => [0, 1, 2, 3].map((i) => Number((x >> BigInt(96 - 32 * i)) & 0xffffffffn));
    const addresses = pods.map((p) => words(p.ips.find((ip) => ip.family === 6)!.value));
    const buffer = compiled.image.slice(0);
    const js = new Kernel(buffer, { mutable: true });
    const v = sectionViews(buffer);
    const entries = v.header[HEADER.entryCount]!;
    for (let at = 0; at < v.hosts6.length; at += HOST6_STRIDE) if (v.hosts6[at + 4] !== 0) v.hosts6[at + 4] = entries + 1 + at;
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    for (const x of addresses)
      for (const y of addresses) {
        a.set(x);
        b.set(y);
        expect(js.verdict6(a, 0, b, 0, 6, 80)).toBe(MALFORMED);
      }
  });
});

describe('an image that will not change is the kernels’ private copy', () => {
  it('writing the caller’s buffer after the kernels were made changes no verdict', () => {
    const buffer = new SharedArrayBuffer(image.byteLength);
    new Uint8Array(buffer).set(new Uint8Array(image));
    const js = new Kernel(buffer);
    const native = binding?.loadImage(new Uint8Array(buffer), true);
    for (const [k, kind] of KINDS.entries()) corrupt(buffer, kind, k * 5, k * 1000);
    const out = new Uint8Array(count);
    js.verdictBatch(batch, out);
    expect(out).toEqual(before);
    if (binding && native) {
      binding.verdictBatch(native, batch.src, batch.dst, batch.protocol, batch.port, out, count);
      expect(out).toEqual(before);
      binding.releaseImage(native);
    }
  });
});
