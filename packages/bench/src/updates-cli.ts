#!/usr/bin/env node
/**
 * The `updates` part alone, without the rest of the benchmark:
 *
 *   node --expose-gc packages/bench/dist/updates-cli.js --size M --ops 50
 *
 * (after `npx --yes pnpm@12.21.0 --filter @netpol/core run build` and
 * `npx --yes pnpm@12.21.0 --filter @netpol/bench run build`). Exit 0 ok, 1 a verdict mismatch or
 * a crash, 2 bad usage; missed targets are printed, never an error.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { VerdictMismatchError } from './engines.js';
import { SIZE_NAMES, type SizeName } from './generators.js';
import { sinkState } from './measure.js';
import { Progress } from './progress.js';
import { formatTable } from './format.js';
import { renderUpdates, updateTargets } from './update-report.js';
import { OP_KINDS, runUpdates, updatesSpec, type OpKind, type UpdatesOverrides, type UpdatesSpec } from './updates.js';

const USAGE = `usage: node --expose-gc packages/bench/dist/updates-cli.js [options]

  --size LIST          clusters, comma-separated: ${SIZE_NAMES.join(', ')} (default M)
  --quick              the quick defaults (fewer changes, shorter streams)
  --ops N              recorded changes per pod kind (default 200, quick 50)
  --other-ops N        recorded changes per namespace and policy kind (default 50, quick 10)
  --warmup N           changes per kind before recording (default 5, quick 2)
  --budget-ms MS       per kind, stop recording after this long once 5 changes are in
                       (default 10000, quick 1000)
  --check-every K      check flows around every K-th change against the reference (default 10)
  --kinds LIST         kinds of change, comma-separated (default all):
                       ${OP_KINDS.join(', ')}
  --stream-ms MS       time per rate of the verdicts-while-updating run (default 1000, quick 300)
  --batches-per-update LIST
                       one update every N verdict batches, one run per value, 0 = none
                       (default 0,1000,100,10; quick 0,100,10)
  --json FILE          also write the results as JSON
  --self-test-mismatch the first check expects a wrong verdict: the run must exit 1
  -h, --help           this text`;

function count(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} needs an integer ≥ ${min}`);
  return n;
}

/** Options → specs; throws on bad usage. */
function specs(argv: string[]): { specs: UpdatesSpec[]; quick: boolean; json?: string } | 'help' {
  const a = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: 'M' },
      quick: { type: 'boolean', default: false },
      ops: { type: 'string' },
      'other-ops': { type: 'string' },
      warmup: { type: 'string' },
      'budget-ms': { type: 'string' },
      'check-every': { type: 'string' },
      kinds: { type: 'string' },
      'stream-ms': { type: 'string' },
      'batches-per-update': { type: 'string' },
      json: { type: 'string' },
      'self-test-mismatch': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
  if (a.help) return 'help';
  const sizes = a.size.split(',').map((s) => s.trim());
  for (const s of sizes) if (!(SIZE_NAMES as string[]).includes(s)) throw new Error(`unknown size '${s}'`);
  const kinds = a.kinds?.split(',').map((s) => s.trim());
  for (const k of kinds ?? []) if (!(OP_KINDS as readonly string[]).includes(k)) throw new Error(`unknown kind '${k}'`);
  const rates = a['batches-per-update']?.split(',').map((s) => count(s.trim(), 'batches-per-update')!);
  const over: UpdatesOverrides = {
    ...(a.ops !== undefined && { podOps: count(a.ops, 'ops', 1)! }),
    ...(a['other-ops'] !== undefined && { otherOps: count(a['other-ops'], 'other-ops', 1)! }),
    ...(a.warmup !== undefined && { warmupOps: count(a.warmup, 'warmup')! }),
    ...(a['budget-ms'] !== undefined && { budgetMsPerKind: count(a['budget-ms'], 'budget-ms', 1)! }),
    ...(a['check-every'] !== undefined && { checkEvery: count(a['check-every'], 'check-every', 1)! }),
    ...(kinds && { kinds: kinds as OpKind[] }),
    ...(a['self-test-mismatch'] && { injectMismatch: true }),
  };
  const stream = { ...(a['stream-ms'] !== undefined && { durationMs: count(a['stream-ms'], 'stream-ms', 1)! }), ...(rates && { batchesPerUpdate: rates }) };
  return {
    quick: a.quick,
    ...(a.json !== undefined && { json: a.json }),
    specs: sizes.map((s) => updatesSpec(s, s as SizeName, a.quick, { ...over, stream })),
  };
}

export function main(argv: string[]): number {
  let parsed;
  try {
    parsed = specs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function')
    process.stderr.write('note: run with node --expose-gc so that each kind of change starts after a full GC\n');
  const progress = new Progress();
  progress.total = parsed.specs.length;
  try {
    const results = runUpdates(parsed.specs, progress);
    progress.done();
    const targets = updateTargets(results, parsed.quick);
    process.stdout.write(`${renderUpdates(results)}\n\nTargets (DESIGN.md)\n`);
    process.stdout.write(
      `${formatTable(
        ['', 'what', 'target', 'measured', 'note'],
        targets.map((t) => [t.met === null ? '·' : t.met ? 'ok' : 'MISS', t.what, t.target, t.measured === null ? '–' : `${t.measured} ${t.unit}`, t.note]),
      )}\n`,
    );
    if (parsed.json) writeFileSync(resolve(parsed.json), `${JSON.stringify({ updates: results, targets, sink: sinkState() }, null, 2)}\n`);
    return 0;
  } catch (e) {
    progress.done();
    if (e instanceof VerdictMismatchError) process.stderr.write(`\nVERDICT MISMATCH, benchmark aborted: ${e.message}\n`);
    else process.stderr.write(`\nbenchmark crashed: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
