// Options objects are checked at every public entry: a misspelt key is a TypeError naming it
// and the key it probably meant (it would otherwise leave a semantics option at its default
// and change verdicts silently), a value of the wrong type is a TypeError naming the key and
// the type. Every option the README documents is still accepted: the lists come from its
// tables, and the tables must name exactly the options the code checks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compile,
  CompiledDataplane,
  Conntrack,
  DEFAULT_OPTIONS,
  DEFAULT_TIMEOUTS,
  ImageDataplane,
  LiveDataplane,
  loadFiles,
  loadFilesOrThrow,
  loadObjects,
  loadClusterPolicy,
  loadText,
  loadTextOrThrow,
  PacketFilter,
  readFiles,
  readText,
  ReferenceEvaluator,
  VerdictPool,
  type CompileOptions,
  type ConntrackOptions,
  type ConntrackTimeouts,
  type DataplaneOptions,
  type EvaluationOptions,
  type LiveOptions,
  type LoadOptions,
  type PacketFilterOptions,
  type PoolOptions,
  type ReadOptions,
} from '@netpol/core';
import { syntheticCluster, syntheticTrace, type ClusterShape, type TraceShape } from '@netpol/core/internal';
import { checkOptions, closestKey } from '../../packages/core/src/model/check-options.js';
import { EVALUATION_OPTIONS } from '../../packages/core/src/model/options.js';
import { LOAD_OPTIONS } from '../../packages/core/src/load/load.js';
import { READ_OPTIONS } from '../../packages/core/src/load/read.js';
import { cluster } from '../helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/pcap');
const FILES = [join(FIXTURES, 'cluster.yaml'), join(FIXTURES, 'policies.yaml')];
const CLUSTER = cluster('apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n');
const dataplane = () => new CompiledDataplane(CLUSTER, { native: 'off' });

let pool: VerdictPool;
beforeAll(async () => {
  pool = await VerdictPool.create({ workers: 1, native: 'off' });
});
afterAll(() => pool.close());

/** The rows of the first Markdown table after `marker` in the README, as cells. */
function readmeTable(marker: string): string[][] {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const at = readme.indexOf(marker);
  expect(at, marker).toBeGreaterThanOrEqual(0);
  const lines = readme.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}
const firstCode = (cell: string): string | undefined => /`([^`]+)`/.exec(cell)?.[1];

/** EvaluationOptions as the README documents them: name → default. */
const documented = new Map(readmeTable('Options (`EvaluationOptions`').map((r) => [firstCode(r[0]!)!, firstCode(r[1]!) === 'true']));
/** The loader's limits that have an option (`maxInputBytes`...). */
const documentedLimits = readmeTable('| limit | default | option [flag] |')
  .map((r) => firstCode(r[2]!))
  .filter((k): k is string => k !== undefined);

describe('checkOptions', () => {
  const SPEC = { strict: 'boolean', maxEntries: 'number', mode: ['a', 'b'], name: 'string', table: 'object' } as const;
  const check = (o: unknown) => () => checkOptions('thing options', o as object, SPEC);

  it('accepts known keys of the right type, undefined values and no options at all', () => {
    expect(check({ strict: true, maxEntries: 3, mode: 'b', name: 'x', table: {} })).not.toThrow();
    expect(check({ strict: undefined })).not.toThrow();
    expect(check(undefined)).not.toThrow();
  });

  it('an unknown key names it and the key it probably meant', () => {
    expect(check({ strcit: true })).toThrow(new TypeError('thing options: unknown option "strcit" (did you mean "strict"?)'));
    expect(check({ zzz: 1 })).toThrow(new TypeError('thing options: unknown option "zzz"'));
  });

  it('a wrong type names the key, the expected type and what was given', () => {
    expect(check({ strict: 'false' })).toThrow(new TypeError('thing options: option "strict" must be a boolean, not "false"'));
    expect(check({ maxEntries: '10' })).toThrow(new TypeError('thing options: option "maxEntries" must be a number, not "10"'));
    expect(check({ mode: 'c' })).toThrow(new TypeError('thing options: option "mode" must be one of "a", "b", not "c"'));
    expect(check({ table: [] })).toThrow(new TypeError('thing options: option "table" must be an object, not an array'));
    expect(check({ name: null })).toThrow(new TypeError('thing options: option "name" must be a string, not null'));
  });

  it('every problem in one error', () => {
    expect(check({ strict: 1, maxEntrys: 1, extra: true })).toThrow(
      new TypeError('thing options: option "strict" must be a boolean, not 1; unknown option "maxEntrys" (did you mean "maxEntries"?); unknown option "extra"'),
    );
  });

  it('options that are not an object', () => {
    expect(check(null)).toThrow(new TypeError('thing options must be an object, not null'));
    expect(check(true)).toThrow(new TypeError('thing options must be an object, not true'));
    expect(check(['strict'])).toThrow(new TypeError('thing options must be an object, not an array'));
  });

  it('the closest key: case folded, within a third of its length (at least 2 edits)', () => {
    expect(closestKey('readOnly', ['readonly', 'memory'])).toBe('readonly');
    expect(closestKey('ipBlockMatchPods', Object.keys(EVALUATION_OPTIONS))).toBe('ipBlockMatchesPods');
    expect(closestKey('allowEgressToNode', Object.keys(EVALUATION_OPTIONS))).toBe('allowEgressToLocalNode');
    expect(closestKey('native', ['shared', 'strict'])).toBeUndefined();
  });

  it('a long unknown key is cut in the message; at most 10 problems are listed', () => {
    expect(() => checkOptions('thing options', { ['k'.repeat(10_000)]: 1 }, SPEC)).toThrow(`unknown option "${'k'.repeat(60)}..."`);
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`x${i}`, 1]));
    expect(() => checkOptions('thing options', many, SPEC)).toThrow(/unknown option "x9"; and 990 more$/);
  });
});

interface Entry {
  readonly name: string;
  /** How its errors name the options object. */
  readonly where: string;
  /** Calls the entry with these options (async entries return their promise). */
  readonly call: (options: object) => unknown;
  /** A key of its, misspelt, and the key. */
  readonly typo: readonly [string, string];
  /** A key of its and a value of the wrong type, with the expected type's wording. */
  readonly wrong: readonly [string, unknown, string];
  /** Every key it takes, set: typed `Required<...>` so that a new option must be added here. */
  readonly all: () => object;
}

const evaluationAll: Required<EvaluationOptions> = { ...DEFAULT_OPTIONS };
const compileAll: Required<CompileOptions> = { ...evaluationAll, shared: false };
const dataplaneAll: Required<DataplaneOptions> = { ...compileAll, native: 'off' };
const readAll: Required<ReadOptions> = { maxInputBytes: 1 << 20, maxYamlTokens: 1 << 20 };
const loadAll: Required<LoadOptions> = { ...readAll, strict: true, defaultNamespace: 'a', recursive: false, ignoreUnsupportedPolicies: false };
const conntrackAll: Required<ConntrackOptions> = { maxEntries: 64, timeouts: { udp: 5 }, tcpLoose: false, seed: [1, 2] };

const SYNTHETIC = syntheticCluster({ pods: 20, policies: 2, seed: 1 });

const ENTRIES: Entry[] = [
  {
    name: 'readText',
    where: 'readText options',
    call: (o) => readText('', 'x.yaml', o),
    typo: ['maxInputByte', 'maxInputBytes'],
    wrong: ['maxYamlTokens', '5', 'a number'],
    all: () => readAll,
  },
  {
    name: 'readFiles',
    where: 'readFiles options',
    call: (o) => readFiles(FILES, false, o),
    typo: ['maxYamlToken', 'maxYamlTokens'],
    wrong: ['maxInputBytes', true, 'a number'],
    all: () => readAll,
  },
  {
    name: 'loadText',
    where: 'loadText options',
    call: (o) => loadText('', o),
    typo: ['stict', 'strict'],
    wrong: ['strict', 'yes', 'a boolean'],
    all: () => ({ ...loadAll, file: 'x.yaml' }) satisfies Required<LoadOptions & { file?: string }>,
  },
  {
    name: 'loadTextOrThrow',
    where: 'loadText options',
    call: (o) => loadTextOrThrow('', o),
    typo: ['defaultNamespce', 'defaultNamespace'],
    wrong: ['file', 1, 'a string'],
    all: () => ({ ...loadAll, file: 'x.yaml' }),
  },
  {
    name: 'loadFiles',
    where: 'loadFiles options',
    call: (o) => loadFiles(FILES, o),
    typo: ['recursve', 'recursive'],
    wrong: ['defaultNamespace', 1, 'a string'],
    all: () => loadAll,
  },
  {
    name: 'loadFilesOrThrow',
    where: 'loadFiles options',
    call: (o) => loadFilesOrThrow(FILES, o),
    typo: ['Strict', 'strict'],
    wrong: ['recursive', 0, 'a boolean'],
    all: () => loadAll,
  },
  {
    name: 'loadObjects',
    where: 'loadObjects options',
    call: (o) => loadObjects([], o),
    typo: ['maxinputbytes', 'maxInputBytes'],
    wrong: ['maxInputBytes', '1', 'a number'],
    all: () => loadAll,
  },
  {
    name: 'loadClusterPolicy',
    where: 'loadClusterPolicy options',
    call: (o) => loadClusterPolicy({}, o),
    typo: ['ignoreUnsupportedPolicy', 'ignoreUnsupportedPolicies'],
    wrong: ['ignoreUnsupportedPolicies', 'yes', 'a boolean'],
    all: () => ({ ...loadAll, file: 'x.yaml' }),
  },
  {
    name: 'compile',
    where: 'compile options',
    call: (o) => compile(CLUSTER, o),
    typo: ['ipBlockMatchPods', 'ipBlockMatchesPods'],
    wrong: ['shared', 'true', 'a boolean'],
    all: () => compileAll,
  },
  {
    name: 'CompiledDataplane',
    where: 'CompiledDataplane options',
    call: (o) => new CompiledDataplane(CLUSTER, o),
    typo: ['ipBlockMatchPods', 'ipBlockMatchesPods'],
    wrong: ['native', 'on', 'one of "auto", "off", "require"'],
    all: () => dataplaneAll,
  },
  {
    name: 'ImageDataplane',
    where: 'ImageDataplane options',
    call: (o) => new ImageDataplane(compile(CLUSTER).image, o),
    typo: ['mutabel', 'mutable'],
    wrong: ['mutable', 1, 'a boolean'],
    all: () => ({ native: 'off', mutable: true }) satisfies Required<ConstructorParameters<typeof ImageDataplane>[1] & object>,
  },
  {
    name: 'ReferenceEvaluator',
    where: 'ReferenceEvaluator options',
    call: (o) => new ReferenceEvaluator(CLUSTER, o),
    typo: ['initContainerPort', 'initContainerPorts'],
    wrong: ['ipv4MappedAsIPv4', 'false', 'a boolean'],
    all: () => evaluationAll,
  },
  {
    name: 'LiveDataplane',
    where: 'LiveDataplane options',
    call: (o) => new LiveDataplane([], o),
    typo: ['rebuildAfterUnsued', 'rebuildAfterUnused'],
    wrong: ['pool', 2, 'an object'],
    // The union of the dataplane's, the loader's and its own.
    all: () =>
      ({
        ...dataplaneAll,
        ...loadAll,
        pool,
        rebuildAfterUnused: 100,
        compaction: 'manual',
        compactionIdleMs: 1000,
        compactionMinWaste: 0.5,
        compactionMinBytes: 0,
        compactionSliceMs: 1,
        onCompaction: () => {},
      }) satisfies Required<LiveOptions>,
  },
  {
    name: 'VerdictPool.create',
    where: 'VerdictPool options',
    call: async (o) => (await VerdictPool.create(o)).close(),
    typo: ['worker', 'workers'],
    wrong: ['workers', '2', 'a number'],
    all: () => ({ workers: 1, native: 'off' }) satisfies Required<PoolOptions>,
  },
  {
    name: 'VerdictPool.addImage',
    where: 'VerdictPool.addImage options',
    call: (o) => pool.addImage(pool.newImageId(), compile(CLUSTER, { shared: true }).image as SharedArrayBuffer, o),
    typo: ['mutabel', 'mutable'],
    wrong: ['mutable', 'no', 'a boolean'],
    all: () => ({ mutable: false }),
  },
  {
    name: 'PacketFilter',
    where: 'PacketFilter options',
    call: (o) => new PacketFilter(dataplane(), o),
    typo: ['fragmentPolcy', 'fragmentPolicy'],
    wrong: ['fragmentPolicy', 'drop', 'one of "protocol-only", "track", "allow"'],
    // Conntrack's options and its own.
    all: () => ({ ...conntrackAll, fragmentPolicy: 'track', conntrack: new Conntrack() }) satisfies Required<PacketFilterOptions>,
  },
  {
    name: 'PacketFilter with a table',
    where: 'PacketFilter options',
    call: (o) => new PacketFilter(dataplane(), { conntrack: new Conntrack(), ...o }),
    typo: ['tcploose', 'tcpLoose'],
    wrong: ['conntrack', {}, 'a Conntrack'],
    all: () => ({}),
  },
  {
    name: 'PacketFilter.setDataplane',
    where: 'PacketFilter.setDataplane options',
    call: (o) => new PacketFilter(dataplane()).setDataplane(dataplane(), o),
    typo: ['revalidat', 'revalidate'],
    wrong: ['flush', 'true', 'a boolean'],
    all: () => ({ revalidate: true, flush: false }),
  },
  {
    name: 'Conntrack',
    where: 'Conntrack options',
    call: (o) => new Conntrack(o),
    typo: ['maxEntry', 'maxEntries'],
    wrong: ['seed', 7, 'an array of two unsigned 32-bit integers'],
    all: () => conntrackAll,
  },
  {
    name: 'Conntrack timeouts',
    where: 'Conntrack options.timeouts',
    call: (o) => new Conntrack({ timeouts: o }),
    typo: ['tcpEstablish', 'tcpEstablished'],
    wrong: ['udp', '30', 'a number'],
    all: () => ({ ...DEFAULT_TIMEOUTS }) satisfies Required<ConntrackTimeouts>,
  },
  {
    name: 'syntheticCluster',
    where: 'syntheticCluster shape',
    call: (o) => syntheticCluster({ pods: 10, policies: 2, ...o }),
    typo: ['dualstack', 'dualStack'],
    wrong: ['seed', '1', 'a number'],
    all: () => ({ pods: 10, policies: 2, dualStack: 0, clusterPolicies: 1, workloads: 'pods', seed: 3 }) satisfies Required<ClusterShape>,
  },
  {
    name: 'syntheticTrace',
    where: 'syntheticTrace shape',
    call: (o) => syntheticTrace(SYNTHETIC, { count: 4, ...o }),
    typo: ['podToPods', 'podToPod'],
    wrong: ['count', '4', 'a number'],
    all: () => ({ count: 4, seed: 1, podToPod: 0.5 }) satisfies Required<TraceShape>,
  },
];

/** Runs an entry and returns what it threw (sync or rejected), or undefined. */
async function thrown(entry: Entry, options: object): Promise<unknown> {
  try {
    await entry.call(options);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('every public entry', () => {
  it.each(ENTRIES.map((e) => [`${e.name} (${e.typo[0]})`, e] as const))('%s: a misspelt key is a TypeError naming it and the key meant', async (_, entry) => {
    const e = await thrown(entry, { [entry.typo[0]]: true });
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe(`${entry.where}: unknown option "${entry.typo[0]}" (did you mean "${entry.typo[1]}"?)`);
  });

  it.each(ENTRIES.map((e) => [`${e.name} (${e.wrong[0]})`, e] as const))(
    '%s: a value of the wrong type is a TypeError naming the key and the type',
    async (_, entry) => {
      const [key, value, expected] = entry.wrong;
      const e = await thrown(entry, { [key]: value });
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error).message).toContain(`option "${key}" must be ${expected}, not `);
    },
  );

  it.each(ENTRIES.map((e) => [e.name, e] as const))('%s: every key it takes is accepted', async (_, entry) => {
    expect(await thrown(entry, entry.all())).toBeUndefined();
  });
});

describe('the README documents the options the code checks', () => {
  it('the EvaluationOptions table names exactly the checked keys, with the defaults', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(EVALUATION_OPTIONS).sort());
    expect(Object.fromEntries(documented)).toEqual(DEFAULT_OPTIONS);
  });

  it('the loader limits with an option are LoadOptions and ReadOptions keys', () => {
    expect(documentedLimits).toEqual(['maxInputBytes', 'maxYamlTokens']);
    for (const k of documentedLimits) expect(Object.keys(READ_OPTIONS)).toContain(k);
    for (const k of Object.keys(READ_OPTIONS)) expect(Object.keys(LOAD_OPTIONS)).toContain(k);
  });

  const EVALUATING = ['ReferenceEvaluator', 'compile', 'CompiledDataplane', 'LiveDataplane'].map((n) => ENTRIES.find((e) => e.name === n)!);
  it.each(EVALUATING.map((e) => [e.name, e] as const))('%s accepts each documented option, either way, and refuses it as a string', async (_, entry) => {
    for (const [key, byDefault] of documented) {
      for (const value of [byDefault, !byDefault]) expect(await thrown(entry, { [key]: value }), `${key}: ${value}`).toBeUndefined();
      expect(String(await thrown(entry, { [key]: String(byDefault) }))).toContain(`option "${key}" must be a boolean, not "${byDefault}"`);
    }
  });

  const LOADING = ENTRIES.filter((e) => /^(read|load)/.test(e.name) || e.name === 'LiveDataplane');
  it.each(LOADING.map((e) => [e.name, e] as const))('%s accepts each documented limit', async (_, entry) => {
    for (const key of documentedLimits) expect(await thrown(entry, { [key]: 1 << 20 }), key).toBeUndefined();
  });

  it('a typo no longer changes verdicts silently: ipBlockMatchPods: false used to evaluate as the default', () => {
    expect(() => new ReferenceEvaluator(CLUSTER, { ipBlockMatchPods: false } as EvaluationOptions)).toThrow(
      'unknown option "ipBlockMatchPods" (did you mean "ipBlockMatchesPods"?)',
    );
  });
});
