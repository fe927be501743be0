/**
 * The JS kernel's batch loop is a closure made per image (kernels/batch4.ts): several kernels
 * over different images, their batches interleaved, each answer as the kernel's own single-flow
 * path does. A loop that read another image's arrays or counts (one closure shared by kernels,
 * or a capture from the wrong kernel) would fail here.
 */
import { describe, expect, it } from 'vitest';
import { Kernel, compile, type FlowBatch } from '@netpol/core';
import { syntheticCluster, syntheticTrace } from '@netpol/core/internal';

const images = [
  compile(syntheticCluster({ pods: 300, policies: 30, seed: 11 })).image,
  compile(syntheticCluster({ pods: 500, policies: 60, clusterPolicies: 6, seed: 12 })).image,
  compile(syntheticCluster({ pods: 200, policies: 10, seed: 13 }), { allowEgressToLocalNode: true }).image,
];

describe('JS batch loop per image', () => {
  it('interleaved batches over three images equal each kernel’s verdict4, flow by flow', () => {
    const kernels = images.map((image, i) => (i === 1 ? new Kernel(image.slice(0), { mutable: true }) : new Kernel(image)));
    // Every trace runs through every kernel: addresses of one cluster are misses or other pods in another.
    const traces = [11, 12, 13].map((seed, i) => syntheticTrace(syntheticCluster({ pods: [300, 500, 200][i]!, policies: 10, seed }), { count: 3001, seed }));
    let disagreements = 0;
    for (let round = 0; round < 3; round++) {
      for (const [k, kernel] of kernels.entries()) {
        for (const trace of traces) {
          const batch: FlowBatch = { count: trace.count, src: trace.src, dst: trace.dst, protocol: trace.protocol, port: trace.port };
          const out = new Uint8Array(trace.count);
          kernel.verdictBatch(batch, out);
          for (let i = 0; i < trace.count; i++) {
            if (out[i] !== kernel.verdict4(trace.src[i]!, trace.dst[i]!, trace.protocol[i]!, trace.port[i]!)) disagreements++;
          }
        }
        expect(disagreements, `kernel ${k}, round ${round}`).toBe(0);
      }
    }
  });
});
