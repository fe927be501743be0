// compile() appends an entry per pod without an address and nothing else: a cluster without such
// pods compiles to the same bytes whether or not its workloads are listed (every workload has
// pods), with and without cluster-scoped policies; one template workload more adds exactly one
// entry, after the others, that no address reaches, and every validator accepts it.
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, compile, validateImage } from '@netpol/core';
import { syntheticCluster } from '@netpol/core/internal';
import { addresslessPods } from '../../packages/core/src/compile/compile.js';
import { HEADER } from '../../packages/core/src/compile/layout.js';
import { templatePods } from '../../packages/core/src/model/endpoints.js';
import { workload } from './builders.js';

const bytes = (b: ArrayBuffer | SharedArrayBuffer): Uint8Array => new Uint8Array(b);

describe('an image without pods lacking an address is unchanged', () => {
  for (const clusterPolicies of [0, 6]) {
    test(`workloads that all have pods change no byte (clusterPolicies ${clusterPolicies})`, () => {
      const bare = syntheticCluster({ pods: 300, policies: 30, clusterPolicies, seed: 3 });
      const owned = syntheticCluster({ pods: 300, policies: 30, clusterPolicies, seed: 3, workloads: 'pods' });
      expect(owned.workloads!.length).toBeGreaterThan(10);
      expect(addresslessPods(owned)).toEqual([]);
      expect(bytes(compile(owned).image)).toEqual(bytes(compile(bare).image));
    });
  }

  test('one template workload more: one entry more, appended, reached by no address, accepted by the validators', () => {
    const c = syntheticCluster({ pods: 300, policies: 30, clusterPolicies: 6, seed: 3 });
    const before = compile(c);
    const withTemplate = { ...c, workloads: [workload('Deployment', c.pods[0]!.namespace, 'new-app', c.pods[0]!.labels)] };
    const after = compile(withTemplate);
    const n = (r: typeof before) => new Uint32Array(r.image, 0, 48)[HEADER.entryCount]!;
    expect(n(after)).toBe(n(before) + 1);
    const [template] = templatePods(withTemplate);
    expect(after.provenance.podEntries.get(template!)).toBe(n(before));
    expect(() => validateImage(after.image)).not.toThrow();
    // The addon (when loaded) validates the image too: constructing the dataplane would throw otherwise.
    const dataplane = new CompiledDataplane(withTemplate);
    expect(dataplane.entryOf({ pod: template! })).toBe(n(before));
    // Every address still answers as before.
    const old = new CompiledDataplane(c);
    for (const p of c.pods.slice(0, 50)) for (const ip of p.ips) expect(dataplane.entryOf({ address: ip })).toBe(old.entryOf({ address: ip }));
  });
});
