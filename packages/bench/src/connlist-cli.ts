#!/usr/bin/env node
/**
 * The `connlist` part alone, without the rest of the benchmark:
 *
 *   node --expose-gc packages/bench/dist/connlist-cli.js --size L --diff L
 *
 * (after `npx --yes pnpm@12.21.0 --filter @netpol/core run build` and
 * `npx --yes pnpm@12.21.0 --filter @netpol/bench run build`). Exit 0 ok, 1 a crash, 2 bad
 * usage; missed targets are printed, never an error.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connlistOptions, connlistTargets, renderConnlist, runConnlist, type ConnlistOptions, type ConnlistSpec } from './connlist.js';
import { formatTable } from './format.js';
import { SIZE_NAMES, type SizeName } from './generators.js';
import { Progress } from './progress.js';

const USAGE = `usage: node --expose-gc packages/bench/dist/connlist-cli.js [options]

  --quick            the quick part (S and M, seconds): what the bench's quick run does
  --size LIST        maps of these clusters, comma-separated: ${SIZE_NAMES.join(', ')}
                     (default: S, M, L; workload level as a dump and as manifests, and pod level)
  --level LIST       workload, pod (default both)
  --variant LIST     pods (a running cluster's dump), manifests (workloads only) (default both)
  --runs N           timed runs per map and diff (default 3)
  --diff LIST        change-set diffs of these sizes (default L; 'none' for none)
  --json FILE        also write the results as JSON
  -h, --help         this text`;

function list<T extends string>(v: string | undefined, all: readonly T[], name: string): T[] | undefined {
  if (v === undefined) return undefined;
  const out = v.split(',').map((s) => s.trim()) as T[];
  const bad = out.find((s) => !all.includes(s));
  if (bad !== undefined) throw new Error(`--${name}: unknown ${JSON.stringify(bad)} (${all.join(', ')})`);
  return out;
}

export function main(argv: string[]): number {
  let o: ConnlistOptions;
  let json: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        quick: { type: 'boolean' },
        size: { type: 'string' },
        level: { type: 'string' },
        variant: { type: 'string' },
        runs: { type: 'string' },
        diff: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    json = values.json;
    const runs = values.runs === undefined ? undefined : Number(values.runs);
    if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1)) throw new Error('--runs must be a positive integer');
    const base = connlistOptions(values.quick === true, true);
    const sizes = list<SizeName>(values.size, SIZE_NAMES, 'size');
    const levels = list(values.level, ['workload', 'pod'] as const, 'level');
    const variants = list(values.variant, ['pods', 'manifests'] as const, 'variant');
    const diffs = values.diff === 'none' ? [] : list<SizeName>(values.diff, SIZE_NAMES, 'diff');
    let maps: ConnlistSpec[] = sizes
      ? sizes.flatMap((size) =>
          (['workload', 'pod'] as const).flatMap((level) =>
            (['pods', 'manifests'] as const)
              .filter((variant) => level === 'workload' || variant === 'pods')
              .map((variant) => ({ size, level, variant, runs: 3, matrix: (size === 'S' || size === 'M') && level === 'workload' && variant === 'pods' })),
          ),
        )
      : [...base.maps];
    maps = maps
      .filter((m) => (!levels || levels.includes(m.level)) && (!variants || variants.includes(m.variant)))
      .map((m) => ({ ...m, runs: runs ?? m.runs }));
    o = { maps, diffs: (diffs ?? base.diffs.map((d) => d.size)).map((size) => ({ size, runs: runs ?? 3 })) };
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const progress = new Progress();
  progress.total = o.maps.length + o.diffs.length;
  const results = runConnlist(o, progress);
  progress.done();
  process.stdout.write(`${renderConnlist(results)}\n\n`);
  const targets = connlistTargets(results);
  process.stdout.write(
    `${formatTable(
      ['target', 'measured', 'met', 'note'],
      targets.map((t) => [
        `${t.what}: ${t.target}`,
        t.measured === null ? '–' : `${t.measured} ${t.unit}`,
        t.met === null ? '–' : t.met ? 'yes' : 'NO',
        t.note,
      ]),
    )}\n`,
  );
  if (json) writeFileSync(json, `${JSON.stringify({ ...results, targets }, null, 2)}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`connlist bench crashed: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
