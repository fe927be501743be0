// The image is self-describing and checked before use: a reader refuses anything that is
// not a well-formed image rather than reading outside it.
import { describe, expect, test } from 'vitest';
import { compile, IMAGE_MAGIC, IMAGE_VERSION, Kernel, readImage } from '@netpol/core';
import { cluster } from '../helpers.js';

const YAML = `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: ns, labels: {app: a}}
status: {podIP: 10.0.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}}], ports: [{port: 80}]}]
`;

describe('image header and sections', () => {
  const { image } = compile(cluster(YAML));

  test('magic, version, length and a section table that fits', () => {
    const v = readImage(image);
    expect(v.header[0]).toBe(IMAGE_MAGIC);
    expect(v.header[1]).toBe(IMAGE_VERSION);
    expect(v.header[2]).toBe(image.byteLength);
    expect(v.lpm4.length).toBeGreaterThanOrEqual(65536);
    expect(v.portMap.length).toBe(3 * 65536);
    for (const section of [
      v.lpm4,
      v.lpm6,
      v.entries,
      v.portMap,
      v.portSets,
      v.egressMatrix,
      v.ingressMatrix,
      v.hosts6,
      v.tierEgressMatrix,
      v.tierIngressMatrix,
      v.tierDecisions,
    ]) {
      expect(section.byteOffset % 64).toBe(0);
      expect(section.byteOffset + section.byteLength).toBeLessThanOrEqual(image.byteLength);
    }
  });

  test('a SharedArrayBuffer image reads the same', () => {
    const shared = compile(cluster(YAML), { shared: true }).image;
    expect(shared).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.compare(new Uint8Array(shared), new Uint8Array(image))).toBe(0);
  });

  const corrupt = (edit: (w: Uint32Array) => void): ArrayBuffer => {
    const copy = image.slice(0) as ArrayBuffer;
    edit(new Uint32Array(copy, 0, 48));
    return copy;
  };
  test.each([
    ['bad magic', (w: Uint32Array) => void (w[0] = 0xdeadbeef), /: magic: /],
    ['other version', (w: Uint32Array) => void (w[1] = 99), /: version: /],
    ['wrong length', (w: Uint32Array) => void (w[2] = w[2]! + 64), /: byte-length: /],
    ['section past the end', (w: Uint32Array) => void (w[24 + 2 * 3 + 1] = 1 << 24), /: section-bounds: /],
    ['misaligned section', (w: Uint32Array) => void (w[24 + 2 * 2] = w[24 + 2 * 2]! + 2), /: section-bounds: /],
  ])('%s is refused', (_name, edit, message) => {
    expect(() => new Kernel(corrupt(edit))).toThrow(message);
  });
  test('a truncated buffer is refused', () => {
    expect(() => readImage(new ArrayBuffer(16))).toThrow(/: header-size: /);
  });
});
