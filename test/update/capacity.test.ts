/**
 * Valid objects the image cannot hold (more port classes than its u16 portMap numbers) are
 * refused up front as `capacity-exceeded`, naming the object and the limit: by the loader
 * (so `netpol validate` fails, exit 2), by `verdict`, and by LiveDataplane.apply, which keeps
 * serving the previous generation unchanged and accepts later valid batches.
 */
import { describe, expect, it } from 'vitest';
import { LiveDataplane, compile, loadText, parseIP, readFiles, type Flow } from '@netpol/core';
import { run } from '../../packages/core/src/cli/run.js';
import { allocateImage, ENTRY_STRIDE, FIELD, FIELD_COUNT, readEntry, SECTIONS, writeEntry } from '../../packages/core/src/compile/layout.js';
import { PortSetTable } from '../../packages/core/src/compile/matrix.js';
import { buildPortClasses } from '../../packages/core/src/compile/ports.js';
import { CapacityError } from '../../packages/core/src/model/limits.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const fixtures = ['test/fixtures/pcap/cluster.yaml', 'test/fixtures/pcap/policies.yaml'].map((f) => join(root, f));

/** A policy admitting every odd TCP port in [from, to]: each port is a class of its own, and so is the gap after it. */
function oddPorts(name: string, from: number, to: number): Record<string, unknown> {
  const ports: { protocol: string; port: number }[] = [];
  for (let p = from; p <= to; p += 2) ports.push({ protocol: 'TCP', port: p });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'demo' },
    spec: { podSelector: { matchLabels: { app: 'nothing' } }, policyTypes: ['Ingress'], ingress: [{ ports }] },
  };
}

/** Every pair of the fixture's pod addresses on a few ports, both protocols. */
function probeFlows(): Flow[] {
  const ips = ['10.244.1.11', '10.244.1.20', '10.244.2.5', '10.244.1.12', '192.0.2.1'].map((a) => parseIP(a)!);
  const flows: Flow[] = [];
  for (const src of ips)
    for (const dst of ips) for (const port of [53, 80, 443, 8080, 9090]) for (const protocol of [6, 17]) flows.push({ src, dst, protocol, port });
  return flows;
}

const verdicts = (live: LiveDataplane): string[] => probeFlows().map((f) => JSON.stringify(live.verdict(f)));

describe('capacity-exceeded', () => {
  it('the loader refuses one object with too many port classes, naming it, its line and the limit', () => {
    const text = `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: many-ports, namespace: demo}\nspec:\n  podSelector: {}\n  ingress:\n  - ports: ${JSON.stringify((oddPorts('x', 1, 65535)['spec'] as { ingress: { ports: unknown }[] }).ingress[0]!.ports)}\n`;
    const r = loadText(text, { file: 'big.yaml' });
    expect(r.cluster).toBeUndefined();
    const issue = r.issues.find((i) => i.code === 'capacity-exceeded');
    expect(issue).toMatchObject({ severity: 'error', file: 'big.yaml', line: 4, object: 'NetworkPolicy demo/many-ports' });
    expect(issue!.message).toContain('65535');
    expect(issue!.message).toContain('65539'); // 4 base classes + a cut at every port 1..65535
  });

  it('the loader counts the port classes exactly as compile() does', () => {
    // Under the limit: the image's header carries the compiler's count.
    const objects = [
      oddPorts('a', 1, 999),
      oddPorts('b', 500, 1500),
      {
        ...oddPorts('c', 20000, 20010),
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              ports: [
                { protocol: 'UDP', port: 53, endPort: 60 },
                { protocol: 'SCTP', port: 9 },
              ],
            },
          ],
        },
      },
    ];
    const text = objects.map((o) => JSON.stringify(o)).join('\n---\n');
    const r = loadText(text);
    expect(r.cluster).toBeDefined();
    const header = new Uint32Array(compile(r.cluster!).image, 0, 32);
    // 4 base classes; a: 500 ports × 2 cuts (1000 is a cut of 999+1); b: ports 501..1499 odd add only their +1 cuts, 1500 too
    expect(header[6]).toBe(4 + 1000 + 501 + 2 + 2);
  });

  it('validate exits 2 with the issue; verdict exits 2 before evaluating anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-capacity-'));
    const file = join(dir, 'many.json');
    writeFileSync(file, JSON.stringify(oddPorts('many-ports', 1, 65535)));
    const said: string[] = [];
    const io = { out: (l: string) => said.push(l), err: (l: string) => said.push(l) };
    expect(await run(['validate', '-f', fixtures[0]!, '-f', fixtures[1]!, '-f', file], io)).toBe(2);
    expect(said.join('\n')).toMatch(/NetworkPolicy demo\/many-ports.*65535/);
    const flows = join(dir, 'flows.jsonl');
    writeFileSync(flows, '{"src":"10.244.1.11","dst":"10.244.1.20","protocol":"TCP","port":8080}\n');
    const out: string[] = [];
    expect(await run(['verdict', '-f', fixtures[0]!, '-f', fixtures[1]!, '-f', file, '--flows', flows], { out: (l) => out.push(l), err: () => {} })).toBe(2);
    expect(out).toEqual([]);
  });

  it('a rejected live apply leaves the previous generation serving; a later valid apply works', () => {
    const live = new LiveDataplane(readFiles(fixtures).objects);
    const before = verdicts(live);
    const gen = live.generation;
    const r = live.apply([{ op: 'apply', object: oddPorts('many-ports', 1, 65535) }]);
    expect(r.applied).toBe(false);
    expect(r.generation).toBe(gen);
    expect(r.issues.find((i) => i.code === 'capacity-exceeded')).toMatchObject({ object: 'NetworkPolicy demo/many-ports' });
    expect(live.generation).toBe(gen);
    expect(verdicts(live)).toEqual(before);
    expect(live.current.generation).toBe(gen);
    const next = live.apply([{ op: 'delete', kind: 'NetworkPolicy', namespace: 'demo', name: 'client-deny-ingress' }]);
    expect(next.applied).toBe(true);
    expect(() => verdicts(live)).not.toThrow();
  });

  it('two policies each under the limit but over it together: the second batch is refused before any change', () => {
    const live = new LiveDataplane(readFiles(fixtures).objects);
    expect(live.apply([{ op: 'apply', object: oddPorts('low', 1, 40001) }]).applied).toBe(true);
    const before = verdicts(live);
    const snapshot = live.current;
    const r = live.apply([{ op: 'apply', object: oddPorts('high', 40003, 65535) }]);
    expect(r.applied).toBe(false);
    expect(r.issues.map((i) => i.code)).toEqual(['capacity-exceeded']);
    expect(r.issues[0]).toMatchObject({ object: 'NetworkPolicy demo/high' });
    expect(r.issues[0]!.message).toContain('65535');
    // The same generation object still answers: nothing was republished or retired.
    expect(snapshot.verdict(probeFlows()[0]!)).toEqual(live.verdict(probeFlows()[0]!));
    expect(verdicts(live)).toEqual(before);
    // A batch under the limit still goes through.
    expect(live.apply([{ op: 'apply', object: oddPorts('high', 40003, 40101) }]).applied).toBe(true);
  });

  it('the compilers throw CapacityError (code, table, limit) at every table limit', () => {
    const all = new Set<number>();
    for (let p = 1; p <= 65535; p++) all.add(p);
    const classes = (): unknown => buildPortClasses([all, new Set([1, 2, 3, 4, 5]), new Set()]);
    expect(classes).toThrow(CapacityError);
    expect(classes).toThrow(/at most 65535 port classes, this cluster needs 6554\d/);
    const sets = new PortSetTable(1);
    expect(() => {
      for (let k = 1; k <= 65536; k++) sets.intern(new Uint32Array([k]));
    }).toThrow(expect.objectContaining({ code: 'capacity-exceeded', table: 'portSets' }));
    expect(sets.sets.length).toBe(65536); // ids 0..65535: a u16 matrix cell holds each
    // An image the header's u32 byteLength cannot describe is refused before it is allocated.
    const counts = Object.fromEntries(SECTIONS.map((name) => [name, name === 'lpm4' ? 2 ** 30 : 0])) as Record<(typeof SECTIONS)[number], number>;
    const header = {
      flags: 0,
      entryCount: 0,
      portClassCount: 0,
      portSetWords: 0,
      portSetCount: 0,
      egressPeerCount: 0,
      egressRowCount: 0,
      ingressPeerCount: 0,
      ingressRowCount: 0,
      egressGroupCount: 1,
      ingressGroupCount: 1,
      hosts6Slots: 1,
      tierEgressColCount: 1,
      tierEgressRowCount: 1,
      tierIngressColCount: 1,
      tierIngressRowCount: 1,
      tierDecisionCount: 1,
      nameClassCount: 1,
    };
    expect(() => allocateImage(header, counts, false)).toThrow(expect.objectContaining({ code: 'capacity-exceeded', table: 'imageBytes' }));
  });

  it('an entry field past its u16 throws CapacityError naming the limit, and writes nothing', () => {
    const ent = new Uint32Array(2 * ENTRY_STRIDE);
    const fields = (name: keyof typeof FIELD, value: number): number[] => {
      const f = new Array<number>(FIELD_COUNT).fill(1);
      f[FIELD[name]] = value;
      return f;
    };
    for (const [name, table, needed] of [
      ['egressGroup', 'matrixGroups', 65537],
      ['ingressCol', 'peerColumns', 65537],
      ['tierEgressCol', 'tierClasses', 65537],
      ['addrNode', 'nodes', 65536],
    ] as const) {
      expect(() => writeEntry(ent, 1, fields(name, 65536))).toThrow(expect.objectContaining({ code: 'capacity-exceeded', table, needed }));
      expect(Array.from(ent)).toEqual(new Array<number>(2 * ENTRY_STRIDE).fill(0));
    }
    // 65535 fits every u16 field, and the row offsets and pod slot keep 32 bits.
    const f = fields('podNode', 65535);
    f[FIELD.egressRow] = 2 ** 32 - 1;
    writeEntry(ent, 1, f);
    expect(readEntry({ entries: ent, entryHalves: new Uint16Array(ent.buffer) }, 1)).toEqual(f);
  });
});
